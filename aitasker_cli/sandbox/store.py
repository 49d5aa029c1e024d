"""Where the sandbox keeps its state: in memory (`sandbox serve`) or a locked file (`--sandbox`)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from aitasker_cli.atomic import replace_file
from aitasker_cli.sandbox.errors import SandboxIOError, SandboxStateError
from aitasker_cli.sandbox.fleet import Fleet
from aitasker_cli.sandbox.schema import RECORDS, STATE_DEPTH, InvalidJson, parse_json, state_problem
from aitasker_cli.sandbox.seed import DEFAULT_AGENTS, seed_state

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: invocations are not serialised there
    fcntl = None  # type: ignore[assignment]


class Store(Protocol):
    def session(self, *, write: bool) -> contextlib.AbstractContextManager[Fleet]:
        """The fleet, held for one request; changes are kept when a writing session ends."""


class MemoryStore:
    """One fleet shared by the threads of `sandbox serve`, one request at a time."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._fleet = Fleet(state)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def session(self, *, write: bool) -> Iterator[Fleet]:
        del write  # one lock serves readers and writers: requests are short
        with self._lock:
            yield self._fleet


class FileStore:
    """State in `sandbox.json`, shared by every `--sandbox` invocation on the machine.

    Each request holds a lock on `sandbox.lock` (shared to read, exclusive to write) from
    loading the file to saving it, so concurrent invocations never lose each other's changes.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "sandbox.json"

    @contextlib.contextmanager
    def session(self, *, write: bool) -> Iterator[Fleet]:
        seeding = not self.path.exists()
        with self._locked(exclusive=write or seeding):
            state = self._load() if self.path.exists() else seed_state()
            yield Fleet(state)
            if write or seeding:
                self._save(state)

    def reset(self, agents: int = DEFAULT_AGENTS) -> dict[str, Any]:
        """Replace the state with a freshly seeded fleet; returns it."""
        state = seed_state(agents)
        with self._locked(exclusive=True):
            self._save(state)
        return state

    @contextlib.contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        lock_path = self.directory / "sandbox.lock"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = open(lock_path, "a+b")  # noqa: SIM115 - held across the yield below
        except OSError as exc:
            raise _io_error("cannot write the sandbox state in", self.directory, exc) from None
        with lock:
            try:
                _lock(lock, exclusive)
            except OSError as exc:
                raise _io_error("cannot lock the sandbox state with", lock_path, exc) from None
            yield

    def _load(self) -> dict[str, Any]:
        """The saved tables; SandboxStateError if they are not what the sandbox writes.

        Anything else at the top level is left out, and so is gone at the next save: a state
        written by an older version keeps its marketplace (`market`) there, which is no longer
        served.
        """
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise _io_error("cannot read the sandbox state", self.path, exc) from None
        try:
            state = parse_json(raw, depth=STATE_DEPTH)
        except InvalidJson as exc:
            problem: str | None = str(exc)
        else:
            problem = state_problem(state)
        if problem:
            raise SandboxStateError(self.path, problem)
        return {table: state[table] for table in RECORDS}

    def _save(self, state: dict[str, Any]) -> None:
        """Swap the whole state in at once: a failure leaves the old state as it was.

        The shared helper reports a failure as the CLI's LocalIOError (exit 10) itself.
        """
        data = json.dumps(state, ensure_ascii=False).encode("utf-8")
        try:
            replace_file(self.path, data)
        except OSError as exc:
            raise _io_error("cannot write the sandbox state", self.path, exc) from None


def _io_error(what: str, path: Path, exc: OSError) -> SandboxIOError:
    return SandboxIOError(f"{what} {path}: {exc.strerror or exc}")


def _lock(handle: IO[bytes], exclusive: bool) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
