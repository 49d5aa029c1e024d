"""The journal of changes: what each `agents pause|resume|undo` run did to each agent, so that
`aitasker history` can list them and `aitasker undo` can put agents back.

It is `journal.jsonl` in the state folder (`paths.state_dir()`), private to the user (folder
0700, file 0600), oldest first. A run writes ahead (`Run`): its header and each agent's intent
before the change is sent, then the agent's outcome, so even a `kill -9` leaves a record of
every change that may have been made; an intent with no outcome reads back as `interrupted`.
The journal keeps the newest KEEP_OPERATIONS operations and MAX_BYTES, dropping the oldest
whole operations, never part of one; the newest is kept whatever its size.

The file may be old, edited or damaged, so reading keeps only records exactly as this module
writes them (format 2, or format 1's one line per operation) and skips the rest silently.
Nothing but the fields of Operation and Item is ever written: never a token.

Standard library only.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time as _time
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from aitasker_cli import journal_file
from aitasker_cli.cache import is_uuid
from aitasker_cli.errors import LocalIOError
from aitasker_cli.paths import state_dir
from aitasker_cli.patterns import encodable

OUTCOMES = ("changed", "unchanged", "skipped", "failed", "interrupted")
PENDING = "pending"
"""Written before an item's change is sent; read back as `interrupted` if nothing followed."""
ACTIONS = ("pause", "resume", "undo")
KEEP_OPERATIONS = 1000
MAX_BYTES = 32 * 1024 * 1024
"""The journal's size cap; the newest operation is always kept even if alone larger.
`AITASKER_JOURNAL_MAX_BYTES` may lower it (for tests)."""
NAME_LENGTH = 200
"""Longer agent names are cut to this many characters, when written and when read."""
STATUS_LENGTH = 256
"""Longer statuses are cut to this many characters; any other status is kept as sent."""
PROFILE_LENGTH = 200
HOST_LENGTH = 255
URL_LENGTH = 2048
SMALLEST_OPERATION = 200
"""No operation is written shorter (a header alone is about this long)."""
SYNC_SECONDS = 1.0
"""A run flushes the journal to disk at its end and at least this often while it goes."""

_issued: set[str] = set()
"""The IDs new_operation_id has given in this process."""
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
        }


class Operation(NamedTuple):
    """One run of pause, resume or undo, and what it did to each agent."""

    id: str
    """From new_operation_id()."""
    time: str
    """ISO 8601 UTC, to the second: 2026-11-29T11:20:05Z."""
    profile: str
    host: str
    """The API host (api.aitasker.co; sandbox.localhost for --sandbox)."""
    action: str
    """'pause', 'resume' or 'undo'."""
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

    def summary(self) -> dict[str, Any]:
        """What `aitasker history` shows of it: everything but the items, which it counts."""
        return {
            "id": self.id,
            "time": self.time,
            "action": self.action,
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


def new_operation_id() -> str:
    """UTC time to the second and 6 random hex digits: `20261129T112005-3f9a2c`.

    IDs sort by time, read as a time, and two processes starting in the same second still get
    different ones (the random part comes from the OS's entropy). One process never gets the
    same ID twice.
    """
    while True:
        operation_id = f"{_time.strftime('%Y%m%dT%H%M%S', _time.gmtime())}-{secrets.token_hex(3)}"
        if operation_id not in _issued:
            _issued.add(operation_id)
            return operation_id


def journal_path() -> Path:
    return state_dir() / "journal.jsonl"


def max_bytes() -> int:
    """MAX_BYTES, or less if AITASKER_JOURNAL_MAX_BYTES asks for less."""
    wanted = os.environ.get("AITASKER_JOURNAL_MAX_BYTES", "")
    return min(MAX_BYTES, int(wanted)) if wanted.isdigit() and int(wanted) > 0 else MAX_BYTES


class Run:
    """The journal of one run as it happens: its header with the first item written, each
    agent's intent before its change is sent, and each outcome. Thread-safe.

    A journal that cannot be written never stops the run: the first failure is kept in
    `problem`, and nothing more is written.
    """

    def __init__(
        self,
        *,
        profile: str,
        api_url: str,
        action: str,
        undoes: str | None = None,
        origin: str = "terminal",
    ) -> None:
        self.id = new_operation_id()
        self._header = Operation(
            id=self.id,
            time=_time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime()),
            profile=profile,
            host=urlsplit(api_url).netloc.lower(),
            action=action,
            items=(),
            undoes=undoes,
            api_url=api_url,
            origin=origin,
        )
        self._lock = threading.Lock()
        self._started = False
        self._synced = _time.monotonic()
        self.problem: str | None = None
        """Why the journal could not be written (then this run cannot be undone from it)."""
        self.changed = 0
        self._interrupted = 0
        self._open: set[str] = set()
        """Agents whose change was sent with no outcome known yet."""

    def intend(self, agent_id: str, name: str, before: str | None) -> None:
        """Before a change is sent to `agent_id`: the change may be made from now on."""
        self._write(Item(agent_id, name, before, None, PENDING))

    def note(self, item: Item) -> None:
        """An item's outcome."""
        self._write(item)

    def close(self) -> None:
        """At the end of the run: flush to disk and trim the journal."""
        with self._lock:
            if not self._started or self.problem:
                return
            path = journal_path()
            try:
                with journal_file.locked(path.with_name("journal.lock")):
                    journal_file.sync(path)
                    journal_file.trim(path, max_bytes(), KEEP_OPERATIONS, SMALLEST_OPERATION)
            except OSError as exc:
                self.problem = _problem("write", path, exc)

    @property
    def undoable(self) -> bool:
        """Whether the journal holds something of this run for `undo` to put back."""
        may_have_changed = self.changed or self._interrupted or self._open
        return self._started and self.problem is None and bool(may_have_changed)

    def _write(self, item: Item) -> None:
        with self._lock:
            if self.problem:
                return
            data = _item_line(self.id, item)
            if not self._started:
                data = _header_line(self._header) + data
            path = journal_path()
            now = _time.monotonic()
            try:
                if not self._started:
                    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                with journal_file.locked(path.with_name("journal.lock")):
                    journal_file.append(path, data, sync=now - self._synced > SYNC_SECONDS)
            except OSError as exc:
                self.problem = _problem("write", path, exc)
                return
            self._started = True
            if now - self._synced > SYNC_SECONDS:
                self._synced = now
            if item.outcome == PENDING:
                self._open.add(item.id)
            else:
                was_sent = item.id in self._open
                self._open.discard(item.id)
                self.changed += item.outcome == "changed"
                self._interrupted += item.outcome == "interrupted" and was_sent


def record(operation: Operation) -> None:
    """Append a whole `operation` to the journal at once, then trim it if it has grown too long.

    LocalIOError (exit 10) if the journal cannot be written; ValueError if `operation` is not
    one the journal can hold (an ID not from new_operation_id, an item ID that is not a
    UUID, an unknown outcome...): a bug in the caller.
    """
    problem = operation_problem(operation)
    if problem:
        raise ValueError(f"not an operation the journal can hold: {problem}")
    data = _header_line(operation) + b"".join(
        # An item cut off in flight was sent: its intent comes first, as a Run writes it.
        (_item_line(operation.id, item._replace(outcome=PENDING)) if _in_flight(item) else b"")
        + _item_line(operation.id, item)
        for item in operation.items
    )
    path = journal_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with journal_file.locked(path.with_name("journal.lock")):
            journal_file.append(path, data, sync=True)
            journal_file.trim(path, max_bytes(), KEEP_OPERATIONS, SMALLEST_OPERATION)
    except OSError as exc:
        raise LocalIOError(_problem("write", path, exc)) from None


def _in_flight(item: Item) -> bool:
    return item.outcome == "interrupted" and item.sent


def _header_line(operation: Operation) -> bytes:
    """The record that starts an operation (journal_file.trim finds it by its first keys)."""
    fields = operation._asdict()
    del fields["items"]
    return journal_file.encode({"v": journal_file.FORMAT, "kind": "operation", **fields})


def _item_line(operation_id: str, item: Item) -> bytes:
    """An agent's record in an operation: its name and statuses cut, broken text replaced."""
    return journal_file.encode(
        {
            "v": journal_file.FORMAT,
            "kind": "item",
            "op": operation_id,
            "id": item.id,
            "name": _clean(item.name[:NAME_LENGTH]),
            "before": None if item.before is None else item.before[:STATUS_LENGTH],
            "after": None if item.after is None else item.after[:STATUS_LENGTH],
            "outcome": item.outcome,
        }
    )


def _clean(text: str) -> str:
    return text if encodable(text) else text.encode("utf-8", errors="replace").decode("utf-8")


def _problem(verb: str, path: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"cannot {verb} the journal {path}: {reason}"


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
