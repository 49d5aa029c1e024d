"""The journal's file: opening it safely, appending records under a lock, reading them back,
and trimming whole operations.

A record is one JSON object on one line. Since format 2 an operation is several records: a
header (`"kind":"operation"`), then one `"kind":"item"` record each time an agent's state in
it is known (before the change is sent, with outcome `pending`, and after it, with its
outcome), so a run killed half-way has still written what it was about to do. Format 1 (before
this version) wrote a whole operation on one line; such lines are still read.

The file is opened without following a symbolic link and without blocking (a FIFO at its path
would hang every reader), and only a regular file is used. A writer holds a shared lock on
`journal.lock` beside it while it writes (Appender); a trim, which swaps a new file in, takes it
exclusively, so it never runs while another writer is at work.

Standard library only.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from aitasker_cli.core.atomic import replace_file_with

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: writers are not serialised there
    fcntl = None  # type: ignore[assignment]

FORMAT = 2
LONGEST_RECORD = 16 * 1024
"""No record this module writes is longer (names and statuses are cut); a longer line is
skipped when read."""
READ_LIMIT = 128 * 1024 * 1024
"""Of a larger file (edited, or grown by something else), only the last this many bytes are
read."""
TRIMMED_TO = 0.75
"""A trim for size keeps at most this share of the size cap, so the next runs need not read
the whole journal again."""

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NON_BLOCKING = getattr(os, "O_NONBLOCK", 0)
_CLOSE_ON_EXEC = getattr(os, "O_CLOEXEC", 0)
_HEADER = re.compile(rb'\{"v":2,"kind":"operation","id":"([0-9]{8}T[0-9]{6}-[0-9a-f]{6})"')
_ITEM = re.compile(rb'\{"v":2,"kind":"item","op":"([0-9]{8}T[0-9]{6}-[0-9a-f]{6})"')
_END = re.compile(rb'\{"v":2,"kind":"end","op":"([0-9]{8}T[0-9]{6}-[0-9a-f]{6})"')
_WHOLE = re.compile(rb'\{"id":"([0-9]{8}T[0-9]{6}-[0-9a-f]{6})"')
"""A format-1 line: a whole operation."""


class NotRegularFile(OSError):
    """The journal's path (or its lock's) is a link, a FIFO, a folder or a device."""


def open_regular(path: Path, flags: int) -> int:
    """A descriptor on `path`, which must be a regular file: never a link followed, never a
    FIFO waited on. NotRegularFile otherwise; the other OSErrors as they come."""
    try:
        descriptor = os.open(path, flags | _NO_FOLLOW | _NON_BLOCKING | _CLOSE_ON_EXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.ENXIO and path.is_fifo()):
            raise NotRegularFile(exc.errno, _kind_of(path), str(path)) from None
        if exc.errno == errno.EISDIR:
            raise NotRegularFile(exc.errno, "it is a folder, not a file", str(path)) from None
        raise
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise NotRegularFile(errno.EINVAL, _kind_of(path), str(path))
    return descriptor


def _kind_of(path: Path) -> str:
    if path.is_symlink():
        return "it is a symbolic link, which is not followed"
    if path.is_fifo():
        return "it is a FIFO, not a regular file"
    if path.is_dir():
        return "it is a folder, not a file"
    return "it is not a regular file"


class Appender:
    """The journal held open by one writer: a shared lock on `journal.lock` for as long as it
    writes, so that no trim (which takes the lock exclusively) swaps the file from under it,
    and the file opened once for appending. Each record is then one write().

    Closing gives the lock back and, if no other writer holds it, trims the journal.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        self._lock = open_regular(path.with_name("journal.lock"), os.O_RDWR | os.O_CREAT)
        try:
            if fcntl is not None:
                fcntl.flock(self._lock, fcntl.LOCK_SH)
            self._file = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
        except BaseException:
            os.close(self._lock)
            raise
        if hasattr(os, "fchmod"):  # an old file may have wider rights
            os.fchmod(self._file, 0o600)
        size = os.fstat(self._file).st_size
        # A writer killed mid-line left half a line: the next record starts on a line of its own.
        self._needs_newline = size > 0 and os.pread(self._file, 1, size - 1) != b"\n"

    def write(self, data: bytes, *, sync: bool = False) -> None:
        """Add `data` (whole lines) at the end; flush it to disk if `sync`."""
        if self._needs_newline:
            data, self._needs_newline = b"\n" + data, False
        view = memoryview(data)
        while view:
            view = view[os.write(self._file, view) :]
        if sync:
            os.fsync(self._file)

    def close(self, trimmed: Callable[[Path], None] | None = None) -> None:
        """Flush to disk, give the lock back, then call `trimmed` (a trim) if the lock can be
        had alone at once: a writer still at work means a trim waits for its close."""
        try:
            os.fsync(self._file)
        finally:
            os.close(self._file)
            try:
                if fcntl is not None:
                    fcntl.flock(self._lock, fcntl.LOCK_UN)
                    try:
                        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        return  # another writer holds it; its close trims
                if trimmed is not None:
                    trimmed(self.path)
            finally:
                os.close(self._lock)  # closing releases the lock


def encode(record: dict[str, Any]) -> bytes:
    """One line for `record` (its keys in the order given, which `lines_by_operation` reads)."""
    try:
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate from the server: \u-escaped, read back as is
        return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every line of the file that is a JSON object, oldest first; FileNotFoundError if there
    is no file, NotRegularFile or another OSError if it cannot be read."""
    descriptor = open_regular(path, os.O_RDONLY)
    with os.fdopen(descriptor, "rb") as file:
        for line in _lines(file):
            try:
                record = json.loads(line.decode("utf-8"))
            except (ValueError, RecursionError):  # also bytes that are not UTF-8
                continue
            if isinstance(record, dict):
                yield record


def _lines(file: BinaryIO) -> Iterator[bytes]:
    """The lines of `file` (of its last READ_LIMIT bytes), each at most LONGEST_RECORD long:
    a longer one is skipped, never held whole."""
    size = os.fstat(file.fileno()).st_size
    if size > READ_LIMIT:
        file.seek(size - READ_LIMIT)
        _skip_rest_of_line(file)  # the window starts inside a line
    while line := file.readline(LONGEST_RECORD + 1):
        if len(line) > LONGEST_RECORD and not line.endswith(b"\n"):
            _skip_rest_of_line(file)
            continue
        if line.strip():
            yield line


def _skip_rest_of_line(file: BinaryIO) -> None:
    while (rest := file.readline(LONGEST_RECORD)) and not rest.endswith(b"\n"):
        pass


class _Seen:
    """What a trim knows of one operation in the file, without holding its lines."""

    def __init__(self, first: int) -> None:
        self.first = first
        self.size = 0
        self.pid: int | None = None
        self.ended = False
        self.empty = False
        """Its end record says it holds nothing to undo (no change made or in doubt)."""


def trim(path: Path, max_bytes: int, keep: int, smallest_operation: int, *, ending: str) -> None:
    """If the journal holds more than `keep` operations or `max_bytes`, rewrite it all at once
    with its newest whole operations: at most `keep`, and within TRIMMED_TO of `max_bytes` if it
    was over that. Operations that hold nothing to undo go first; the operation `ending` (the
    caller's, just over) is always kept if it holds something, however large, and so are those
    other processes are still writing. The file is read twice as a stream, never held whole.
    The caller holds the lock exclusively."""
    descriptor = open_regular(path, os.O_RDONLY)
    with os.fdopen(descriptor, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size <= max_bytes and size < smallest_operation * (keep + 1):
            return  # too small to hold too many: most runs never read the journal here
        if size <= max_bytes and _operations_in(file) <= keep:
            return  # counted in chunks: a journal of bulk runs is not held in memory for this
        file.seek(0)
        seen = _operations_seen(file)
        worth = {owner: known for owner, known in seen.items() if not known.empty}
        if size <= max_bytes and len(worth) == len(seen) <= keep:
            return
        room = max_bytes * TRIMMED_TO if size > max_bytes else max_bytes
        kept = {owner for owner, known in worth.items() if owner == ending or _running(known)}
        total = sum(worth[owner].size for owner in kept)
        for owner in sorted(worth, key=lambda name: worth[name].first, reverse=True):
            if owner in kept:
                continue
            if kept and (len(kept) >= keep or total + worth[owner].size > room):
                break
            kept.add(owner)
            total += worth[owner].size
        file.seek(0)
        replace_file_with(path, lambda out: _copy_kept(file, out, kept), private=True)


def _operations_seen(file: BinaryIO) -> dict[str, _Seen]:
    """Every operation whose header is in the file, in order, with its size and state."""
    seen: dict[str, _Seen] = {}
    for index, line in enumerate(_lines(file)):
        owner, header = _operation_of(line)
        if owner is None or (not header and owner not in seen):
            continue  # not a record, or an item whose operation's header is gone
        known = seen.setdefault(owner, _Seen(index))
        known.size += len(line)
        if header and _HEADER.match(line):
            known.pid = _pid_in(line)
        elif _END.match(line):
            known.ended, known.empty = True, b'"empty":true' in line
    return seen


def _copy_kept(file: BinaryIO, out: BinaryIO, kept: set[str]) -> None:
    for line in _lines(file):
        if _operation_of(line)[0] in kept:
            out.write(line if line.endswith(b"\n") else line + b"\n")


def _pid_in(header: bytes) -> int | None:
    try:
        pid = json.loads(header).get("pid")
    except (ValueError, RecursionError, AttributeError):
        return None
    return pid if isinstance(pid, int) else None


def _running(known: _Seen) -> bool:
    """Whether another process may still be writing the operation: no end record yet, and the
    process named in its header alive."""
    return not known.ended and known.pid is not None and _alive(known.pid)


_STARTS = (b'{"v":2,"kind":"operation"', b'\n{"id":"')
"""How a line that starts an operation begins (format 2, format 1)."""


def _operations_in(file: BinaryIO) -> int:
    """About how many operations the file holds (never fewer), read a MiB at a time."""
    count, tail = 0, b""
    while chunk := file.read(1024 * 1024):
        data = tail + chunk
        # What lies wholly in the overlap was counted with the chunk before.
        count += sum(data.count(start) - tail.count(start) for start in _STARTS)
        tail = data[-32:]
    return count + 1  # a format-1 operation on the first line has no line end before it


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform that cannot tell: keep it
    return True


def _operation_of(line: bytes) -> tuple[str | None, bool]:
    """The operation ID a line belongs to, and whether it starts that operation (a header or
    a whole format-1 operation); (None, False) for a line that is no record."""
    for pattern, header in ((_ITEM, False), (_HEADER, True), (_END, False), (_WHOLE, True)):
        match = pattern.match(line)
        if match:
            return match.group(1).decode("ascii"), header
    return None, False
