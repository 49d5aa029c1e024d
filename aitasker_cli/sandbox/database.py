"""The `--sandbox` state: an SQLite database in the sandbox folder, shared by every invocation.

Each request is one transaction (BEGIN IMMEDIATE when it writes), so parallel invocations take
turns through SQLite's own locks and a kill mid-write leaves the state as it was. A request
reads and writes only the records it touches, through indexes, so a change costs the same in a
fleet of 24 agents as in one of 100,000.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from aitasker_cli.sandbox.errors import SandboxIOError, SandboxStateError
from aitasker_cli.sandbox.schema import (
    RECORDS,
    STATE_DEPTH,
    InvalidJson,
    parse_json,
    record_problem,
    state_problem,
)
from aitasker_cli.sandbox.seed import DEFAULT_AGENTS, seed_records
from aitasker_cli.sandbox.store import TABLES, Clock, Record

DATABASE_NAME = "sandbox.db"
OLD_STATE_NAME = "sandbox.json"
"""Where versions before the database kept the whole state; imported once, then left alone."""
APPLICATION_ID = 0x41695453
"""Marks a database as the sandbox's (`PRAGMA application_id`, "AiTS")."""
SCHEMA_VERSION = 1
BUSY_TIMEOUT_SECONDS = 60.0
"""How long a request waits for another invocation's write before it gives up (exit 10)."""

COLUMNS = {
    "agents": ("id", "status"),
    "workspaces": ("id", "status", "hired_agent_id"),
    "tasks": ("id", "status", "workspace_id"),
}
"""The fields each table also keeps in columns of their own, to look records up by; the whole
record is the JSON in `data`, and the two must agree."""
SCHEMA = (
    "CREATE TABLE agents (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,"
    " data TEXT NOT NULL)",
    "CREATE INDEX agents_by_status ON agents (status, n)",
    "CREATE TABLE workspaces (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " status TEXT NOT NULL, hired_agent_id TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX workspaces_by_status ON workspaces (status, n)",
    "CREATE INDEX workspaces_by_agent ON workspaces (hired_agent_id)",
    "CREATE TABLE tasks (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,"
    " workspace_id TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX tasks_by_workspace ON tasks (workspace_id, status, n)",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
"""`n` keeps the order records were added in, which listings follow."""
LIFECYCLE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, n)",
)
"""What the task lifecycle adds, made the first time it runs (so in an older sandbox.db too):
its clock in `meta`, and the index that finds the tasks it moves."""
CLOCK_KEYS = ("tick", "tick_at")


def _upsert(table: str) -> str:
    columns = COLUMNS[table]
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*columns[1:], "data"))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}, data)"
        f" VALUES ({', '.join('?' * (len(columns) + 1))})"
        f" ON CONFLICT (id) DO UPDATE SET {updates}"
    )


_PUT = {table: _upsert(table) for table in TABLES}
_SELECT = {table: f"SELECT {', '.join(COLUMNS[table])}, data FROM {table}" for table in TABLES}


class DatabaseTables:
    """The records of the database, read and written one at a time or a page at a time."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def agents(self, status: str | None, page: slice) -> list[Record]:
        return self._page("agents", status, page)

    def agent(self, agent_id: str) -> Record | None:
        return self._one("agents", "id", agent_id)

    def workspaces(self, status: str | None, page: slice) -> list[Record]:
        return self._page("workspaces", status, page)

    def workspace(self, workspace_id: str) -> Record | None:
        return self._one("workspaces", "id", workspace_id)

    def workspace_of(self, agent_id: str) -> Record | None:
        return self._one("workspaces", "hired_agent_id", agent_id)

    def tasks(self, workspace_id: str, status: str | None, page: slice) -> list[Record]:
        return self._page("tasks", status, page, workspace_id=workspace_id)

    def task(self, task_id: str) -> Record | None:
        return self._one("tasks", "id", task_id)

    def tasks_in(self, statuses: tuple[str, ...]) -> list[Record]:
        marks = ", ".join("?" * len(statuses))
        sql = f"{_SELECT['tasks']} WHERE status IN ({marks}) ORDER BY n"
        return [self._record("tasks", row) for row in self._db.execute(sql, statuses)]

    def clock(self) -> Clock | None:
        if not _has_meta(self._db):
            return None
        rows = self._db.execute("SELECT key, value FROM meta WHERE key IN (?, ?)", CLOCK_KEYS)
        values = {str(key): value for key, value in rows}
        if not values:
            return None
        tick, at = values.get("tick"), values.get("tick_at")
        try:
            if not isinstance(tick, str) or not isinstance(at, str):
                raise ValueError
            clock = Clock(int(tick), float(at))
        except ValueError:
            problem = f"meta holds tick {tick!r} and tick_at {at!r}, not two numbers"
            raise SandboxStateError(self._path, problem) from None
        if clock.tick < 0 or not math.isfinite(clock.at):
            problem = f"meta holds tick {tick!r} and tick_at {at!r}, out of range"
            raise SandboxStateError(self._path, problem)
        return clock

    def set_clock(self, clock: Clock) -> None:
        for statement in LIFECYCLE_SCHEMA:
            self._db.execute(statement)
        self._db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            zip(CLOCK_KEYS, (str(clock.tick), repr(clock.at)), strict=True),
        )

    def put(self, table: str, record: Record) -> None:
        self._db.execute(_PUT[table], _row(table, record))

    def _one(self, table: str, column: str, value: str) -> Record | None:
        row = self._db.execute(f"{_SELECT[table]} WHERE {column} = ?", (value,)).fetchone()
        return None if row is None else self._record(table, row)

    def _page(self, table: str, status: str | None, page: slice, **equal: str) -> list[Record]:
        if status is not None:
            equal["status"] = status
        where = " AND ".join(f"{column} = ?" for column in equal)
        sql = f"{_SELECT[table]}{' WHERE ' if where else ''}{where} ORDER BY n LIMIT ? OFFSET ?"
        rows = self._db.execute(sql, (*equal.values(), page.stop - page.start, page.start))
        return [self._record(table, row) for row in rows]

    def _record(self, table: str, row: tuple[Any, ...]) -> Record:
        """The record in a row, checked as the API documents it: a hand edit that breaks it
        is reported, naming the database, instead of failing later as a bug."""
        key, data = str(row[0]), row[-1]
        try:
            if not isinstance(data, str):
                raise InvalidJson("its data is not JSON text")
            record = parse_json(data, depth=STATE_DEPTH)
        except InvalidJson as exc:
            raise SandboxStateError(self._path, f"{table}.{key}: {exc}") from None
        problem = record_problem(table, key, record) or _disagreement(table, key, record, row)
        if problem:
            raise SandboxStateError(self._path, problem)
        result: Record = record
        return result


class FileStore:
    """State in `sandbox.db` in `directory`, opened on the first request and kept open."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / DATABASE_NAME
        self.connection: sqlite3.Connection | None = None
        """The open database, once a request has opened it."""
        # The CLI's bulk workers call the app from several threads: they take turns here, and
        # other processes through SQLite's locks.
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def session(self, *, write: bool) -> Iterator[DatabaseTables]:
        with self._lock, self._errors():
            db = self.connection or self._open(self._first_records)[0]
            with _transaction(db, write=write):
                yield DatabaseTables(db, self.path)

    def reset(self, agents: int = DEFAULT_AGENTS) -> tuple[int, int]:
        """Replace the state with a freshly seeded fleet; its numbers of agents and tasks."""
        counts = dict.fromkeys(TABLES, 0)

        def fleet() -> Iterator[tuple[str, Record]]:
            counts.update(dict.fromkeys(TABLES, 0))  # counted afresh if made a second time
            for table, record in seed_records(agents):
                counts[table] += 1
                yield table, record

        with self._lock:
            try:
                self._replace(fleet)
            except SandboxStateError:  # damaged or not ours: start from a new file
                self.close()
                for suffix in ("", "-wal", "-shm", "-journal"):
                    path = self.path.with_name(self.path.name + suffix)
                    try:
                        path.unlink(missing_ok=True)
                    except OSError as exc:
                        raise _io_error("cannot remove", path, exc) from None
                self._replace(fleet)
        return counts["agents"], counts["tasks"]

    def close(self) -> None:
        """Close the database; the next request opens it again."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _replace(self, records: Callable[[], Iterator[tuple[str, Record]]]) -> None:
        with self._errors():
            db, made = (self.connection, False) if self.connection else self._open(records)
            if made:
                return
            with _transaction(db, write=True):
                for table in TABLES:
                    db.execute(f"DELETE FROM {table}")
                if _has_meta(db):  # the lifecycle starts again with the fleet
                    db.execute("DELETE FROM meta")
                _fill(db, records())

    def _open(
        self, first_records: Callable[[], Iterable[tuple[str, Record]]]
    ) -> tuple[sqlite3.Connection, bool]:
        """The database, opened, and whether it was new and made from `first_records` just now;
        SandboxStateError if it is not the sandbox's."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _io_error("cannot write the sandbox state in", self.directory, exc) from None
        db = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        made = False
        try:
            # WAL lets readers go on while another invocation writes; NORMAL syncs at
            # checkpoints, not at every commit: a kill still loses nothing committed.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            if not self._is_ours(db):
                with _transaction(db, write=True):
                    if not self._is_ours(db):  # another invocation may have made it meanwhile
                        self._make(db, first_records())
                        made = True
        except BaseException:
            db.close()
            raise
        self.connection = db
        return db, made

    def _is_ours(self, db: sqlite3.Connection) -> bool:
        """True for the sandbox's database, False for an empty one; damaged if it is another's."""
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        if application_id == APPLICATION_ID:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                problem = f"it is from another version of aitasker (schema {version})"
                raise SandboxStateError(self.path, problem)
            return True
        if application_id or db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            raise SandboxStateError(self.path, "it is not an aitasker sandbox database")
        return False

    def _make(self, db: sqlite3.Connection, records: Iterable[tuple[str, Record]]) -> None:
        for statement in SCHEMA:
            db.execute(statement)
        _fill(db, records)

    def _first_records(self) -> Iterable[tuple[str, Record]]:
        """What a new database starts with: the state of an older version's `sandbox.json`,
        once, if there is one, else the demo fleet."""
        old = self.directory / OLD_STATE_NAME
        try:
            raw = old.read_bytes()
        except FileNotFoundError:
            return seed_records()
        except OSError as exc:
            raise _io_error("cannot read the sandbox state", old, exc) from None
        try:
            state = parse_json(raw, depth=STATE_DEPTH)
        except InvalidJson as exc:
            problem: str | None = str(exc)
        else:
            problem = state_problem(state)
        if problem:
            raise SandboxStateError(old, problem)
        # Anything else at its top level (the marketplace of older versions) is left out.
        return ((table, record) for table in RECORDS for record in state[table].values())

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite's failures as the sandbox's own: a file that is not a sound database of
        ours is damaged state; one that cannot be opened, read or written is an I/O error."""
        try:
            yield
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError):
            raise  # a bug in the calls, not the file
        except sqlite3.DatabaseError as exc:
            raise _database_error(self.path, exc) from None


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection, *, write: bool) -> Iterator[None]:
    """One transaction: committed if the block ends normally, rolled back otherwise."""
    # IMMEDIATE takes the write lock before reading, so two writers never both read the old
    # record and then fail to upgrade; the busy timeout queues them instead.
    db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _fill(db: sqlite3.Connection, records: Iterable[tuple[str, Record]]) -> None:
    for table, record in records:
        db.execute(_PUT[table], _row(table, record))


def _has_meta(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    return found.fetchone() is not None


def _row(table: str, record: Record) -> tuple[Any, ...]:
    return (*(record[c] for c in COLUMNS[table]), json.dumps(record, ensure_ascii=False))


def _disagreement(table: str, key: str, record: Record, row: tuple[Any, ...]) -> str | None:
    """A column that says something else than the record's JSON (a hand edit of one of them)."""
    for column, value in zip(COLUMNS[table], row[:-1], strict=True):
        if record[column] != value:
            return f"{table}.{key}.{column} is {value!r} in its column, {record[column]!r} in data"
    return None


def _database_error(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    # Python 3.11 names SQLite's error code; 3.10 has only the class and the message.
    name = getattr(exc, "sqlite_errorname", "")
    operational = isinstance(exc, sqlite3.OperationalError)
    if not operational or name == "SQLITE_ERROR" or str(exc).startswith("no such"):
        return SandboxStateError(path, f"SQLite says: {exc}")
    return _io_error("cannot use the sandbox state", path, exc)


def _io_error(what: str, path: Path, exc: Exception) -> SandboxIOError:
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return SandboxIOError(f"{what} {path}: {detail}")
