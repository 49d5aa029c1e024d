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

import contextlib
import os
import secrets
import threading
import time as _time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from aitasker_cli.core.errors import LocalIOError
from aitasker_cli.core.paths import state_dir
from aitasker_cli.core.patterns import encodable
from aitasker_cli.core.secrets import redact
from aitasker_cli.local import journal_file
from aitasker_cli.local.journal_records import (
    NAME_LENGTH,
    PENDING,
    REASON_LENGTH,
    STATUS_LENGTH,
    Item,
    Operation,
    operation_problem,
)

KEEP_OPERATIONS = 1000
MAX_BYTES = 32 * 1024 * 1024
"""The journal's size cap; the newest operation is always kept even if alone larger.
`AITASKER_JOURNAL_MAX_BYTES` may lower it (for tests)."""
SMALLEST_OPERATION = 200
"""No operation is written shorter (a header alone is about this long)."""
SYNC_SECONDS = 1.0
"""A run flushes the journal to disk at its end and at least this often while it goes."""

_issued: set[str] = set()
"""The IDs new_operation_id has given in this process."""


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
        self._file: journal_file.Appender | None = None
        self._synced = _time.monotonic()
        self.problem: str | None = None
        """Why the journal could not be written (then this run cannot be undone from it)."""
        self.changed = 0
        self._interrupted = 0
        self._open: set[str] = set()
        """Agents whose change was sent with no outcome known yet."""
        self._closed = False
        problem = operation_problem(self._header)
        if problem:  # what the journal could not read back is not written (a 300-char profile)
            self.problem = f"cannot journal this run: {problem}"

    def intend(
        self, agent_id: str, name: str, before: str | None, reason: str | None = None
    ) -> None:
        """Before a change is sent to `agent_id`: the change may be made from now on."""
        self._write(Item(agent_id, name, before, None, PENDING, reason=reason))

    def note(self, item: Item) -> None:
        """An item's outcome."""
        self._write(item)

    def close(self) -> None:
        """At the end of the run: its end record (saying whether it holds anything to undo),
        flushed to disk, then a trim if it is due. Nothing is written after it."""
        with self._lock:
            self._closed = True
            if self._file is None or self.problem:
                return
            try:
                self._file.write(_end_line(self.id, empty=not self._undoable()))
                self._file.close(_trim(self.id))
            except Exception as exc:  # whatever the journal does, the run's output must follow
                reason = exc if isinstance(exc, OSError) else OSError(0, repr(exc))
                self.problem = _problem("write", journal_path(), reason)
            self._file = None

    @property
    def undoable(self) -> bool:
        """Whether the journal holds something of this run for `undo` to put back."""
        return self._started and self.problem is None and self._undoable()

    def _undoable(self) -> bool:
        return bool(self.changed or self._interrupted or self._open)

    def _write(self, item: Item) -> None:
        with self._lock:
            if self.problem or self._closed:
                return  # a worker answered after the run was over (a signal): it is not read
            if self._file is None and item.outcome != PENDING:
                return  # nothing was sent yet: an agent that needed nothing is not journaled
            data = _item_line(self.id, item)
            now = _time.monotonic()
            try:
                if self._file is None:
                    self._file = journal_file.Appender(journal_path())
                    data = _header_line(self._header) + data
                self._file.write(data, sync=now - self._synced > SYNC_SECONDS)
            except OSError as exc:
                self.problem = _problem("write", journal_path(), exc)
                if self._file is not None:
                    with contextlib.suppress(OSError):
                        self._file.close()
                    self._file = None
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


def _trim(ending: str) -> Callable[[Path], None]:
    """A trim of the journal that keeps the operation `ending` whatever its size."""

    def trim(path: Path) -> None:
        journal_file.trim(path, max_bytes(), KEEP_OPERATIONS, SMALLEST_OPERATION, ending=ending)

    return trim


def record(operation: Operation) -> None:
    """Append a whole `operation` to the journal at once, then trim it if it has grown too long.

    LocalIOError (exit 10) if the journal cannot be written; ValueError if `operation` is not
    one the journal can hold (an ID not from new_operation_id, an item ID that is not a
    UUID, an unknown outcome...): a bug in the caller.
    """
    problem = operation_problem(operation)
    if problem:
        raise ValueError(f"not an operation the journal can hold: {problem}")
    data = (
        _header_line(operation)
        + b"".join(
            # An item cut off in flight was sent: its intent comes first, as a Run writes it.
            (_item_line(operation.id, item._replace(outcome=PENDING)) if _in_flight(item) else b"")
            + _item_line(operation.id, item)
            for item in operation.items
        )
        + _end_line(operation.id, empty=not any(map(_may_have_changed, operation.items)))
    )
    path = journal_path()
    try:
        appender = journal_file.Appender(path)
        try:
            appender.write(data)
        finally:
            appender.close(_trim(operation.id))
    except OSError as exc:
        raise LocalIOError(_problem("write", path, exc)) from None


def _may_have_changed(item: Item) -> bool:
    return item.outcome == "changed" or _in_flight(item)


def _in_flight(item: Item) -> bool:
    return item.outcome == "interrupted" and item.sent


def _header_line(operation: Operation) -> bytes:
    """The record that starts an operation (journal_file.trim finds it by its first keys)."""
    fields = operation._asdict()
    del fields["items"]
    # The writer's process: while it lives and has written no end record, a trim by another
    # process keeps the operation whole.
    fields["pid"] = os.getpid()
    return journal_file.encode({"v": journal_file.FORMAT, "kind": "operation", **fields})


def _end_line(operation_id: str, *, empty: bool = False) -> bytes:
    """The record that says a run is over: a trim may drop its operation from now on, and
    first of all if it is `empty` (nothing to undo, nothing in doubt)."""
    end = {"v": journal_file.FORMAT, "kind": "end", "op": operation_id}
    return journal_file.encode(end | ({"empty": True} if empty else {}))


def _item_line(operation_id: str, item: Item) -> bytes:
    """An item's record in an operation: its name, statuses and reason cut, broken text
    replaced (a reason only when there is one, so older readers see what they know)."""
    # A name or a reason is the server's or the person's text: a credential echoed in it (an
    # agent renamed to the token) is not written to the file.
    reason = {} if item.reason is None else {"reason": _clean(redact(item.reason)[:REASON_LENGTH])}
    return journal_file.encode(
        {
            "v": journal_file.FORMAT,
            "kind": "item",
            "op": operation_id,
            "id": item.id,
            "name": _clean(redact(item.name)[:NAME_LENGTH]),
            "before": None if item.before is None else item.before[:STATUS_LENGTH],
            "after": None if item.after is None else item.after[:STATUS_LENGTH],
            "outcome": item.outcome,
        }
        | reason
    )


def _clean(text: str) -> str:
    return text if encodable(text) else text.encode("utf-8", errors="replace").decode("utf-8")


def _problem(verb: str, path: Path, exc: OSError) -> str:
    """What went wrong, naming the file it went wrong with (the journal, or its lock)."""
    reason = exc.strerror or str(exc)
    where = exc.filename if isinstance(exc, journal_file.NotRegularFile) else path
    return f"cannot {verb} the journal {where}: {reason}"
