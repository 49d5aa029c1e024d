"""Following a listing (`--watch`): poll it, and say what was added, changed or removed.

AITasker pushes nothing for agents or workspaces, so following is polling, within the API's
rate limit: a watch never uses more than half of the requests `X-RateLimit-Remaining` says are
left in a window (a minute), and lengthens its interval instead. A poll that fails for the
world's reasons (network, 5xx, 429) leaves the last listing standing, marked stale, and the
watch goes on; an answer waiting cannot change (401, 403, 404) ends it. Ctrl-C ends it too.
Nothing here prints: each round is yielded to the front end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.core.errors import AitaskerError

WINDOW = 60.0
"""The API's rate-limit window, in seconds (its documented 300 requests a minute)."""
SHARE = 0.5
"""Of the requests left in a window, the most a watch uses."""
DOCUMENTED_LIMIT = 300
"""Requests a minute the API documents, for a server that sends no rate-limit headers."""

Event = dict[str, Any]


class Round(NamedTuple):
    """One poll: what it found, what changed since the last one, and how the watch stands."""

    at: datetime
    items: Mapping[str, Any]
    """Every item the listing holds, by ID, as the client gave it (a model, for the table's
    typed cells); the last good poll's, when this one failed."""
    events: list[Event]
    error: AitaskerError | None
    """Why this poll failed (the listing is then stale)."""
    stale_since: datetime | None
    """When the first of the failing polls in a row was made."""
    interval: float
    budget: tuple[int | None, int | None]
    """Requests left in the API's window, and its limit, as it last said."""
    slowed: str | None
    """Why the interval was lengthened, said once: the first round that lengthened it."""


def watch(
    client: ApiClient, fetch: Callable[[], Iterable[Any]], *, interval: float
) -> Iterator[Round]:
    """Poll `fetch()` (a whole listing) every `interval` seconds or more, for ever."""
    from aitasker_cli.api import client as http
    from aitasker_cli.core.errors import UnavailableError

    known: dict[str, Mapping[str, Any]] = {}
    shown: dict[str, Any] = {}
    stale_since: datetime | None = None
    told = False
    while True:
        sent = client.requests_sent
        try:
            listed = {str(_raw(item)["id"]): item for item in fetch()}
        except UnavailableError as exc:  # the world's fault: keep the last listing, poll again
            at = datetime.now(timezone.utc)
            stale_since = stale_since or at
            error: AitaskerError | None = exc
            events: list[Event] = []
        else:
            at = datetime.now(timezone.utc)  # the poll that saw it ended now
            found = {item_id: _raw(item) for item_id, item in listed.items()}
            events = changes(known, found, at)
            known, shown, stale_since, error = found, listed, None, None
        wait = paced(interval, client.requests_sent - sent, client.rate_budget[0])
        slowed = None
        if wait > interval and not told:
            told = True
            slowed = (
                f"polling every {wait:.0f} s instead of {interval:g} s: a poll takes "
                f"{client.requests_sent - sent} requests, and a watch uses at most half of "
                "what the API's rate limit has left"
            )
        yield Round(at, shown, events, error, stale_since, wait, client.rate_budget, slowed)
        http.sleep(wait)


def paced(interval: float, per_poll: int, remaining: int | None) -> float:
    """The interval that keeps a window's polls within SHARE of the requests left in it (of
    the API's documented DOCUMENTED_LIMIT when it sends no headers)."""
    if per_poll <= 0:
        return interval
    if remaining is not None and remaining <= 0:
        return WINDOW  # nothing is left: the next poll waits for the window to renew
    allowed = (DOCUMENTED_LIMIT if remaining is None else remaining) * SHARE
    return max(interval, WINDOW * per_poll / allowed)


def changes(
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    at: datetime,
) -> list[Event]:
    """The events from one listing to the next: added, changed (the changed fields' values
    before and after), removed (it left the listing, or its filter)."""
    when = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    events: list[Event] = []
    for item_id, item in after.items():
        old = before.get(item_id)
        if old is None:
            events.append({"event": "added", "id": item_id, "at": when, "item": item})
            continue
        fields = [key for key in {**old, **item} if old.get(key) != item.get(key)]
        if fields:
            events.append(
                {
                    "event": "changed",
                    "id": item_id,
                    "at": when,
                    "item": item,
                    "before": {key: old.get(key) for key in fields},
                    "after": {key: item.get(key) for key in fields},
                }
            )
    for item_id, item in before.items():
        if item_id not in after:
            events.append({"event": "removed", "id": item_id, "at": when, "item": item})
    return events


def _raw(item: Any) -> Mapping[str, Any]:
    raw: Mapping[str, Any] = item if isinstance(item, Mapping) else item.raw
    return raw
