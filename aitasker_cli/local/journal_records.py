"""What the journal holds: an operation and its items, and the checks a record must pass to
be written or read back (a journal may be old, edited or damaged).

Standard library only.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from aitasker_cli.core.patterns import encodable
from aitasker_cli.domain.actions import ROWS, reversible
from aitasker_cli.local.cache import is_uuid

OUTCOMES = ("changed", "unchanged", "skipped", "failed", "interrupted")
PENDING = "pending"
"""Written before an item's change is sent; read back as `interrupted` if nothing followed."""
ACTIONS = ("undo", *(row.name for row in ROWS))
"""What an operation can be: undo, or a verb of the actions table (domain.actions)."""
NAME_LENGTH = 200
"""Longer agent names are cut to this many characters, when written and when read."""
STATUS_LENGTH = 256
"""Longer statuses are cut to this many characters; any other status is kept as sent."""
REASON_LENGTH = 2000
"""Longer reasons (a rejection's feedback, why an item was skipped) are cut to this many."""
PROFILE_LENGTH = 200
HOST_LENGTH = 255
URL_LENGTH = 2048
_OPERATION_ID = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9a-f]{6}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class Item(NamedTuple):
    """One agent in an operation."""

    id: str
    """The agent's UUID."""
    name: str
    """Its display name ('' if unknown)."""
    before: str | None
    """Its status before (None if unknown)."""
    after: str | None
    """Its status after (None if unknown, e.g. interrupted or failed)."""
    outcome: str
    """One of OUTCOMES."""
    sent: bool = True
    """Whether its change may have been sent: False for an item interrupted before it was."""
    reason: str | None = None
    """The reason sent with a decision (approve, reject), or why the item was skipped."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "reason": self.reason,
        }


class Operation(NamedTuple):
    """One run of an action (pause, cancel, approve...) or of undo, and what it did to each
    item (an agent, or a task)."""

    id: str
    """From new_operation_id()."""
    time: str
    """ISO 8601 UTC, to the second: 2026-11-29T11:20:05Z."""
    profile: str
    host: str
    """The API host (api.aitasker.co; sandbox.localhost for --sandbox)."""
    action: str
    """'undo', or a verb of the actions table: 'pause', 'approve'..."""
    items: tuple[Item, ...]
    undoes: str | None = None
    """For 'undo': the ID of the operation it undid."""
    api_url: str | None = None
    """The whole API base URL; None in records written before it was kept (host only)."""
    origin: str = "terminal"
    """Who ran it: terminal, mcp or action."""

    @property
    def changed(self) -> int:
        """How many items the operation changed."""
        return sum(item.outcome == "changed" for item in self.items)

    @property
    def failed(self) -> int:
        """How many items failed or were interrupted."""
        return sum(item.outcome in ("failed", "interrupted") for item in self.items)

    @property
    def final(self) -> bool:
        """Whether nothing can undo it (approve, reject, cancel: the actions table says)."""
        return self.action != "undo" and not reversible(self.action)

    def summary(self) -> dict[str, Any]:
        """What `aitasker history` shows of it: everything but the items, which it counts."""
        return {
            "id": self.id,
            "time": self.time,
            "action": self.action,
            "final": self.final,
            "undoes": self.undoes,
            "changed": self.changed,
            "failed": self.failed,
            "total": len(self.items),
            "profile": self.profile,
            "host": self.host,
            "api_url": self.api_url,
            "origin": self.origin,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in the order `history -o json` shows the fields."""
        return {
            "id": self.id,
            "time": self.time,
            "profile": self.profile,
            "host": self.host,
            "api_url": self.api_url,
            "origin": self.origin,
            "action": self.action,
            "final": self.final,
            "undoes": self.undoes,
            "changed": self.changed,
            "failed": self.failed,
            "items": [item.as_dict() for item in self.items],
        }

    def acted_on(self, profile: str, api_url: str) -> bool:
        """Whether it was made with this profile on this API (a record that kept only the host
        matches an API URL without a path on that host)."""
        if profile != self.profile:
            return False
        if self.api_url is None:
            wanted = urlsplit(api_url)
            return wanted.path.strip("/") == "" and wanted.netloc.lower() == self.host
        return same_api(self.api_url, api_url)


def same_api(one: str, other: str) -> bool:
    """Whether two API base URLs name the same API (scheme, host and port, path)."""
    first, second = urlsplit(one), urlsplit(other)
    return (first.scheme.lower(), first.netloc.lower(), first.path.rstrip("/")) == (
        second.scheme.lower(),
        second.netloc.lower(),
        second.path.rstrip("/"),
    )


# Checking


def is_operation_id(value: object) -> bool:
    return isinstance(value, str) and _OPERATION_ID.fullmatch(value) is not None


def operation_problem(operation: Operation) -> str | None:
    """What makes `operation` unfit for the journal; None if nothing does."""
    if not is_operation_id(operation.id):
        return f"its ID {operation.id!r} is not one from new_operation_id()"
    if not (isinstance(operation.time, str) and _TIME.fullmatch(operation.time)):
        return f"its time {operation.time!r} is not ISO 8601 UTC to the second"
    if not is_text(operation.profile, PROFILE_LENGTH):
        return f"its profile {operation.profile!r} is not a name"
    if not is_text(operation.host, HOST_LENGTH):
        return f"its host {operation.host!r} is not a host name"
    if operation.api_url is not None and not is_text(operation.api_url, URL_LENGTH):
        return f"its API URL {operation.api_url!r} is not a URL"
    if operation.action not in ACTIONS:
        return f"its action {operation.action!r} is not one of {', '.join(ACTIONS)}"
    if operation.undoes is not None and not is_operation_id(operation.undoes):
        return f"the operation it undoes, {operation.undoes!r}, is not an operation ID"
    if not isinstance(operation.items, tuple):
        return "its items are not a tuple"
    for item in operation.items:
        problem = item_problem(item)
        if problem:
            return problem
    return None


def item_problem(item: Item) -> str | None:
    if not isinstance(item, Item):
        return f"an item {item!r} is not an Item"
    if not (isinstance(item.id, str) and is_uuid(item.id)):
        return f"an item's ID {item.id!r} is not a UUID"
    if not isinstance(item.name, str):
        return f"the name of {item.id} is not text"
    for status in (item.before, item.after):
        # Any status the server sent is kept (JSON escapes what must be), cut to a bound.
        if status is not None and not (isinstance(status, str) and len(status) <= STATUS_LENGTH):
            return f"a status of {item.id}, {status!r}, is not a status"
    if item.reason is not None and not (
        isinstance(item.reason, str)
        and len(item.reason) <= REASON_LENGTH
        and encodable(item.reason)
    ):
        return f"the reason of {item.id} is not text of at most {REASON_LENGTH} characters"
    if item.outcome not in OUTCOMES:
        return f"the outcome of {item.id}, {item.outcome!r}, is not one of {', '.join(OUTCOMES)}"
    return None


def is_text(value: object, length: int) -> bool:
    """Printable text on one line, 1 to `length` characters, valid Unicode."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= length
        and value.isprintable()
        and encodable(value)
    )
