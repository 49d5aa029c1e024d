"""The journal of changes: one JSON line for each `agents pause|resume|undo` run that changed
something, so that `aitasker history` can list them and `aitasker undo` can put agents back.

It is `journal.jsonl` in the state folder (`paths.state_dir()`), private to the user (folder
0700, file 0600), oldest operation first. Writers append under an exclusive lock on
`journal.lock` beside it (fcntl.flock; where there is no fcntl, they just append), and keep it
to the newest KEEP_OPERATIONS operations and MAX_BYTES, the newest operation always kept even
if it alone is larger. Readers take no lock: a trim swaps the whole file in at once.

The file may be old, edited or damaged, so reading keeps only lines that are records exactly
as this module writes them and skips the rest silently. Only the fields of Operation and
Item are ever written: never a token or anything else from the environment.

Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time as _time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from aitasker_cli.atomic import replace_file
from aitasker_cli.cache import is_uuid
from aitasker_cli.errors import LocalIOError, NotFoundError, UsageError
from aitasker_cli.paths import state_dir
from aitasker_cli.patterns import encodable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: writers are not serialised there
    fcntl = None  # type: ignore[assignment]

OUTCOMES = ("changed", "unchanged", "skipped", "failed", "interrupted")
ACTIONS = ("pause", "resume", "undo")
KEEP_OPERATIONS = 1000
MAX_BYTES = 32 * 1024 * 1024
"""The journal's size cap; the newest operation is always kept even if alone larger."""
READ_SLACK = 1024 * 1024
"""Reading looks at the last MAX_BYTES + READ_SLACK bytes of the file only: a journal this
module trims is never larger, unless its newest operation alone is (an operation larger than
that window is not listed)."""
NAME_LENGTH = 200
"""Longer agent names are cut to this many characters, when written and when read."""
STATUS_LENGTH = 64
PROFILE_LENGTH = 200
HOST_LENGTH = 255
PREFIX_LENGTH = 4
SHORTEST_LINE = 240
"""No operation is written shorter (one item, empty name: about 250 bytes)."""
"""The fewest characters of an operation ID that `find` matches as a prefix."""
LISTED = 10
"""How many matching IDs an ambiguous prefix's error names."""

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
    """The API host (api.aitasker.co), or 'sandbox'."""
    action: str
    """'pause', 'resume' or 'undo'."""
    items: tuple[Item, ...]
    undoes: str | None = None
    """For 'undo': the ID of the operation it undid."""

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
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in the order the journal and `history --json` show the fields."""
        return {
            "id": self.id,
            "time": self.time,
            "profile": self.profile,
            "host": self.host,
            "action": self.action,
            "undoes": self.undoes,
            "changed": self.changed,
            "failed": self.failed,
            "items": [item.as_dict() for item in self.items],
        }


def new_operation_id() -> str:
    """UTC time to the second and 6 random hex digits: `20261129T112005-3f9a2c`.

    IDs sort by time, read as a time, and two processes starting in the same second still get
    different ones (the random part comes from the OS's entropy, not a seeded generator: two
    operations in the same second share an ID about once in 16 million). One process never
    gets the same ID twice.
    """
    while True:
        operation_id = f"{_time.strftime('%Y%m%dT%H%M%S', _time.gmtime())}-{secrets.token_hex(3)}"
        if operation_id not in _issued:
            _issued.add(operation_id)
            return operation_id


def journal_path() -> Path:
    return state_dir() / "journal.jsonl"


def record(operation: Operation) -> None:
    """Append `operation` to the journal, then trim the journal if it has grown too long.

    LocalIOError (exit 10) if the journal cannot be written, never a bare OSError; ValueError
    if `operation` is not one the journal can hold (an ID not from new_operation_id, an item
    ID that is not a UUID, an unknown outcome...): a bug in the caller. Names are cut to
    NAME_LENGTH characters, and text that is not valid Unicode in them is replaced.
    """
    problem = _operation_problem(operation)
    if problem:
        raise ValueError(f"not an operation the journal can hold: {problem}")
    line = _encode(operation)
    path = journal_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(path.with_name("journal.lock")):
            _append(path, line)
            _trim(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalIOError(f"cannot write the journal {path}: {reason}") from None


def operations() -> list[Operation]:
    """The operations in the journal, newest first; [] if there is none.

    Lines that are not records as `record` writes them are skipped silently. LocalIOError
    (exit 10) if the journal exists but cannot be read.
    """
    path = journal_path()
    limit = MAX_BYTES + READ_SLACK
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            start = max(0, size - limit)
            file.seek(start)
            data = file.read(limit)
    except FileNotFoundError:
        return []
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalIOError(f"cannot read the journal {path}: {reason}") from None
    # A window that starts inside a line begins with the end of it, which is no record.
    lines = data.split(b"\n")
    found = (_decode(line) for line in reversed(lines) if line.strip())
    return [operation for operation in found if operation is not None]


def find(wanted: str) -> Operation:
    """The operation with ID `wanted`, or the one whose ID starts with it (PREFIX_LENGTH
    characters at least), in any case.

    NotFoundError (exit 3) if none does, UsageError (exit 2) naming them if several do.
    """
    known = operations()
    key = wanted.strip().lower()
    exact = [operation for operation in known if operation.id.lower() == key]
    if exact:
        return exact[0]  # the newest, should two processes ever have drawn the same ID
    if len(key) >= PREFIX_LENGTH:
        matches = [operation for operation in known if operation.id.lower().startswith(key)]
    else:
        matches = []
    if not matches:
        raise NotFoundError(f"no operation {wanted} in the journal", hint="See 'aitasker history'.")
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(operation.id for operation in matches[:LISTED])
    more = f" and {len(matches) - LISTED} more" if len(matches) > LISTED else ""
    raise UsageError(
        f"{wanted} matches {len(matches)} operations in the journal: {listed}{more}",
        hint="Give more characters of the operation ID; see 'aitasker history'.",
    )


def last(profile: str, host: str) -> Operation | None:
    """The newest operation of this profile on this host, if the journal holds one."""
    return next(
        (op for op in operations() if op.profile == profile and op.host == host),
        None,
    )


# Writing


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (created 0600); on a platform without fcntl,
    nothing is held."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _append(path: Path, line: bytes) -> None:
    """Add `line` at the end of the file (created 0600), on a line of its own even if a
    writer that crashed left half a line, and flush it to disk."""
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if hasattr(os, "fchmod"):  # an old file may have wider rights
            os.fchmod(descriptor, 0o600)
        size = os.fstat(descriptor).st_size
        if size > 0:
            os.lseek(descriptor, size - 1, os.SEEK_SET)
            if os.read(descriptor, 1) != b"\n":
                line = b"\n" + line
        view = memoryview(line)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _trim(path: Path) -> None:
    """Rewrite the journal, all at once, with the newest valid operations that fit, if it
    holds more than KEEP_OPERATIONS lines or MAX_BYTES. The caller holds the lock."""
    limit = MAX_BYTES + READ_SLACK
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size <= MAX_BYTES and size < SHORTEST_LINE * (KEEP_OPERATIONS + 1):
            return  # too small to hold too many: every pause need not read the journal
        start = max(0, size - limit)
        file.seek(start)
        data = file.read(limit)
    # Counting is cheap, splitting a journal of bulk runs (megabytes) into lines is not; there
    # are no fewer line ends than lines, so a count within bounds settles it.
    if start == 0 and size <= MAX_BYTES and data.count(b"\n") <= KEEP_OPERATIONS:
        return
    lines = [line for line in data.split(b"\n") if line.strip()]
    if start == 0 and size <= MAX_BYTES and len(lines) <= KEEP_OPERATIONS:
        return
    kept: list[bytes] = []
    total = 0
    for line in reversed(lines):
        if len(kept) >= KEEP_OPERATIONS:
            break
        if _decode(line) is None:
            continue
        if kept and total + len(line) + 1 > MAX_BYTES:
            break
        kept.append(line)
        total += len(line) + 1
    replace_file(path, b"".join(line + b"\n" for line in reversed(kept)), private=True)


def _encode(operation: Operation) -> bytes:
    data = operation.as_dict()
    for item in data["items"]:
        item["name"] = _clean_name(item["name"])
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def _clean_name(name: str) -> str:
    cut = name[:NAME_LENGTH]
    return cut.encode("utf-8", errors="replace").decode("utf-8") if not encodable(cut) else cut


# Reading and checking


def _decode(line: bytes) -> Operation | None:
    """The operation a journal line holds; None if it is not one as `record` writes."""
    try:
        data = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # also bytes that are not UTF-8
        return None
    if not isinstance(data, dict):
        return None
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        return None
    items = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            return None
        name = raw.get("name")
        if not isinstance(name, str):
            return None
        items.append(
            Item(
                id=raw.get("id"),  # type: ignore[arg-type] # checked below
                name=name[:NAME_LENGTH],
                before=raw.get("before"),
                after=raw.get("after"),
                outcome=raw.get("outcome"),  # type: ignore[arg-type]
            )
        )
    operation = Operation(
        id=data.get("id"),  # type: ignore[arg-type] # checked below
        time=data.get("time"),  # type: ignore[arg-type]
        profile=data.get("profile"),  # type: ignore[arg-type]
        host=data.get("host"),  # type: ignore[arg-type]
        action=data.get("action"),  # type: ignore[arg-type]
        items=tuple(items),
        undoes=data.get("undoes"),
    )
    if _operation_problem(operation) or not all(encodable(item.name) for item in items):
        return None
    return operation


def _operation_problem(operation: Operation) -> str | None:
    """What makes `operation` unfit for the journal; None if nothing does."""
    if not _is_operation_id(operation.id):
        return f"its ID {operation.id!r} is not one from new_operation_id()"
    if not (isinstance(operation.time, str) and _TIME.fullmatch(operation.time)):
        return f"its time {operation.time!r} is not ISO 8601 UTC to the second"
    if not _is_text(operation.profile, PROFILE_LENGTH):
        return f"its profile {operation.profile!r} is not a name"
    if not _is_text(operation.host, HOST_LENGTH):
        return f"its host {operation.host!r} is not a host name"
    if operation.action not in ACTIONS:
        return f"its action {operation.action!r} is not one of {', '.join(ACTIONS)}"
    if operation.undoes is not None and not _is_operation_id(operation.undoes):
        return f"the operation it undoes, {operation.undoes!r}, is not an operation ID"
    if not isinstance(operation.items, tuple):
        return "its items are not a tuple"
    for item in operation.items:
        problem = _item_problem(item)
        if problem:
            return problem
    return None


def _item_problem(item: Item) -> str | None:
    if not isinstance(item, Item):
        return f"an item {item!r} is not an Item"
    if not (isinstance(item.id, str) and is_uuid(item.id)):
        return f"an item's ID {item.id!r} is not a UUID"
    if not isinstance(item.name, str):
        return f"the name of {item.id} is not text"
    for status in (item.before, item.after):
        if status is not None and not _is_text(status, STATUS_LENGTH):
            return f"a status of {item.id}, {status!r}, is not a status"
    if item.outcome not in OUTCOMES:
        return f"the outcome of {item.id}, {item.outcome!r}, is not one of {', '.join(OUTCOMES)}"
    return None


def _is_operation_id(value: object) -> bool:
    return isinstance(value, str) and _OPERATION_ID.fullmatch(value) is not None


def _is_text(value: object, length: int) -> bool:
    """Printable text on one line, 1 to `length` characters, valid Unicode."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= length
        and value.isprintable()
        and encodable(value)
    )
