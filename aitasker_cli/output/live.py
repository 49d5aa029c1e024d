"""What `--watch` writes: ndjson events, one a line as they happen, or on a terminal a live
table redrawn at each poll, its changed cells highlighted for one round, with a footer saying
when the last good poll was, since when polls fail, and the API's request budget left.

Server text reaches the table only through cells.table_cell (controls made visible) inside
rich Text objects (never markup); the rich Live display's own cursor movements are the only
other bytes, and everything passes the secret redaction of the sink.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aitasker_cli.output import sink
from aitasker_cli.output.cells import heading, raw_of, table_cell, to_json

if TYPE_CHECKING:
    from aitasker_cli.domain.views import View

SHORT_ID = 8


def event(line: Mapping[str, Any]) -> None:
    """One watch event on stdout, as one compact JSON line, flushed at once."""
    sink.out(to_json(line, compact=True) + "\n")


class _Redacted:
    """stdout for rich's Live: every write passes the sink's secret redaction."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(sink.redact_registered(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return int(self._stream.fileno())


@contextmanager
def live_table(color: bool) -> Iterator[Any]:
    """A live display on the terminal; yields its update(renderable)."""
    from rich.console import Console
    from rich.live import Live

    console = Console(
        file=_Redacted(sys.stdout),  # type: ignore[arg-type]
        markup=False,
        highlight=False,
        emoji=False,
        no_color=not color,
        force_terminal=True,
    )
    # Live must not take over sys.stdout and sys.stderr: warnings go to stderr as they are.
    live_display = Live(
        console=console,
        auto_refresh=False,
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with live_display as live:
        yield lambda renderable: live.update(renderable, refresh=True)


def watch_table(
    view: View,
    fields: Sequence[str],
    items: Mapping[str, Any],
    changed: Mapping[str, Sequence[str]],
    footer: str,
    height: int,
) -> Any:
    """The table of one round: `changed` (ID → fields; every field for an added item) shown
    reversed, as many rows as fit `height` lines, and the footer under it, always in view."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    now = datetime.now(timezone.utc)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    rows = sorted(items.values(), key=lambda item: str(raw_of(item).get("created_at") or ""))
    short = _unique_length([str(raw_of(item).get("id")) for item in rows])
    for field in fields:  # IDs are never cut: people copy them
        wide = short if field == "id" or field.endswith("_id") else None
        table.add_column(Text(heading(field)), no_wrap=True, overflow="ellipsis", min_width=wide)
    room = max(1, height - 3 - footer.count("\n") - 1)  # the heading, its rule, the footer
    hidden = max(0, len(rows) - room)
    if hidden:
        rows = rows[: room - 1]  # the last line says how many more there are
    for item in rows:
        item_id = str(raw_of(item).get("id"))
        marked = changed.get(item_id, ())
        cells = []
        for field in fields:
            text = table_cell(item if not isinstance(item, Mapping) else _typed(item), field, now)
            if field == "id" or field.endswith("_id"):
                text = text[:short]
            hot = field in marked or "*" in marked
            cells.append(Text(text, style="reverse" if hot else ""))
        table.add_row(*cells)
    if not rows:
        table.add_row(*[Text("") for _ in fields])
    del view
    if hidden:
        more = Text(f"… and {hidden + 1} more (a taller window shows them; -o ndjson has all)")
        return Group(table, more, Text(footer))
    return Group(table, Text(footer))


def _unique_length(ids: Sequence[str]) -> int:
    """How many characters of each ID keep them apart (8 at least), as list tables show them."""
    length = SHORT_ID
    while length < 36 and len({item_id[:length] for item_id in ids}) < len(set(ids)):
        length += 1
    return length


def _typed(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """Times as datetimes, so the table shows them as ages (`3m ago`)."""
    typed = dict(item)
    for key, value in item.items():
        if key.endswith("_at") and isinstance(value, str):
            with suppress(ValueError):
                typed[key] = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return typed
