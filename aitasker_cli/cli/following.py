"""`--watch` on a listing: the live table on a terminal, ndjson events otherwise.

The polling is ops.watching's; this module picks the front end from the output options and
refuses what cannot be followed (another format, `--limit`).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aitasker_cli.cli.options import seconds_option
from aitasker_cli.core.errors import UsageError

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.cli.options import Common
    from aitasker_cli.cli.session import Session
    from aitasker_cli.domain.views import View
    from aitasker_cli.ops.watching import Round

WatchOpt = Annotated[
    bool,
    typer.Option(
        "--watch",
        help="Follow the listing: a live table on a terminal, else one JSON event a line "
        "(added, changed, removed). Ctrl-C ends it.",
    ),
]
IntervalOpt = Annotated[
    float,
    seconds_option(
        "--interval",
        "With --watch: seconds between polls (longer when the API's rate limit needs it).",
        minimum=1.0,
    ),
]
INTERVAL = 3.0


def check(common: Common, limit: int | None) -> bool:
    """Whether the watch is a live table (else ndjson events); exit 2 for what cannot be
    followed: --limit, or a format other than table (on a terminal) and ndjson."""
    from aitasker_cli.output import sink

    if limit is not None:
        raise UsageError(
            "--limit and --watch do not mix", hint="--watch follows the whole listing."
        )
    chosen = common.output.value if common.output is not None else None
    terminal = sink.is_terminal(sys.stdout)
    if chosen not in (None, "table", "ndjson") or (chosen == "table" and not terminal):
        raise UsageError(
            f"--watch writes a live table on a terminal or ndjson events, not {chosen}",
            hint="Use -o ndjson, or leave -o out.",
        )
    return terminal and chosen != "ndjson"


def follow_listing(
    common: Common,
    limit: int | None,
    view: View,
    fetch: Callable[[ApiClient], Iterable[Any]],
    *,
    interval: float,
) -> None:
    """`RESOURCE list --watch`: check what can be followed, connect, and follow `fetch`."""
    from aitasker_cli.cli.session import connect

    live = check(common, limit)
    with connect(common) as session:
        follow(session, view, lambda: fetch(session.client), live=live, interval=interval)


def follow(
    session: Session,
    view: View,
    fetch: Callable[[], Iterable[Any]],
    *,
    live: bool,
    interval: float,
) -> None:
    """Poll `fetch` until Ctrl-C (exit 130), writing each round."""
    from aitasker_cli.ops.watching import watch

    fields = session.output.fields
    if fields and not live:
        # --fields shapes the events' items, and only those fields are compared.
        from aitasker_cli.output.cells import nested, raw_of

        whole = fetch
        fetch = lambda: (  # noqa: E731
            {**nested(raw_of(item), fields), "id": raw_of(item).get("id")} for item in whole()
        )
    rounds = watch(session.client, fetch, interval=interval)
    if live:
        _live(session, view, rounds)
    else:
        _events(rounds)


def _events(rounds: Iterable[Round]) -> None:
    from aitasker_cli.output import live, render

    failing = False
    for one in rounds:
        for line in one.events:
            live.event(line)
        if one.slowed:
            render.warning(one.slowed)
        if one.error is not None and not failing:
            render.warning(f"a poll failed ({one.error.message}); polling on")
        failing = one.error is not None


def _live(session: Session, view: View, rounds: Iterable[Round]) -> None:
    from aitasker_cli.output import live

    fields = session.output.fields or view.columns
    slowed = ""
    first = True
    with live.live_table(session.output.color) as update:
        for one in rounds:
            slowed = one.slowed or slowed
            marked: dict[str, list[str]] = {}
            for line in one.events:
                if line["event"] == "changed":
                    marked[line["id"]] = list(line["after"])
                elif line["event"] == "added" and not first:  # at first, everything is new
                    marked[line["id"]] = ["*"]
            first = first and one.error is not None
            footer = _footer(view, one, slowed)
            height = shutil.get_terminal_size().lines
            update(live.watch_table(view, fields, one.items, marked, footer, height))


def _footer(view: View, one: Round, slowed: str) -> str:
    seen = f"{len(one.items)} {view.plural if len(one.items) != 1 else view.noun}"
    if one.stale_since is not None and one.error is not None:
        state = f"Stale since {one.stale_since:%H:%M:%S} ({one.error.message})"
    else:
        state = f"Updated {one.at:%H:%M:%S}"
    remaining, limit = one.budget
    budget = f" · {remaining}/{limit} requests left this minute" if remaining is not None else ""
    note = f"\nSlower: {slowed}." if slowed else ""
    return f"{state} · {seen} · every {one.interval:g} s{budget} · Ctrl-C to stop{note}"
