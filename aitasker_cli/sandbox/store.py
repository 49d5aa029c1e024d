"""Where the sandbox keeps its records: the interface the fleet asks, and the in-memory store.

The fleet asks for the records it needs (one agent, one page of a listing) and hands back each
record it changed, so a store on disk reads and writes only those (see database.py); the
in-memory one here serves `sandbox serve`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

Record = dict[str, Any]
TABLES = ("agents", "workspaces", "tasks")


@dataclass(frozen=True)
class Clock:
    """Where the task lifecycle (lifecycle.py) stands: ticks applied, and when the last was."""

    tick: int
    """How many ticks have been applied since the fleet was seeded."""
    at: float
    """When the last tick was due (or the clock started), in seconds since the epoch."""


class Tables(Protocol):
    """The records of one fleet, for one request: look-ups, pages, and writes of one record."""

    def agents(self, status: str | None, page: slice) -> list[Record]:
        """A page of the hired agents (with `status`, if given), in the order they were hired."""

    def agent(self, agent_id: str) -> Record | None:
        """One hired agent."""

    def workspaces(self, status: str | None, page: slice) -> list[Record]:
        """A page of the workspaces (with `status`, if given), oldest first."""

    def workspace(self, workspace_id: str) -> Record | None:
        """One workspace."""

    def workspace_of(self, agent_id: str) -> Record | None:
        """The workspace of one hired agent."""

    def tasks(self, workspace_id: str, status: str | None, page: slice) -> list[Record]:
        """A page of one workspace's tasks (with `status`, if given), oldest first."""

    def task(self, task_id: str) -> Record | None:
        """One task."""

    def tasks_in(self, statuses: tuple[str, ...]) -> list[Record]:
        """Every task in one of `statuses`, across every workspace, in the order they were added."""

    def clock(self) -> Clock | None:
        """Where the lifecycle stands; None before it has started."""

    def set_clock(self, clock: Clock) -> None:
        """Keep where the lifecycle stands."""

    def put(self, table: str, record: Record) -> None:
        """Keep `record` in `table`, a new one or in place of the one with its ID."""


class Store(Protocol):
    def session(self, *, write: bool) -> contextlib.AbstractContextManager[Tables]:
        """The records, held for one request; changes are kept when a writing session ends."""


class MemoryTables:
    """Tables over one state dict (`agents`, `workspaces`, `tasks`, each keyed by ID)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._tables: dict[str, dict[str, Record]] = {name: state[name] for name in TABLES}
        self._workspace_by_agent = {
            w["hired_agent_id"]: w for w in self._tables["workspaces"].values()
        }
        self._clock: Clock | None = None

    def agents(self, status: str | None, page: slice) -> list[Record]:
        return _page(self._tables["agents"].values(), status, page)

    def agent(self, agent_id: str) -> Record | None:
        return self._tables["agents"].get(agent_id)

    def workspaces(self, status: str | None, page: slice) -> list[Record]:
        return _page(self._tables["workspaces"].values(), status, page)

    def workspace(self, workspace_id: str) -> Record | None:
        return self._tables["workspaces"].get(workspace_id)

    def workspace_of(self, agent_id: str) -> Record | None:
        return self._workspace_by_agent.get(agent_id)

    def tasks(self, workspace_id: str, status: str | None, page: slice) -> list[Record]:
        tasks = self._tables["tasks"].values()
        return _page((t for t in tasks if t["workspace_id"] == workspace_id), status, page)

    def task(self, task_id: str) -> Record | None:
        return self._tables["tasks"].get(task_id)

    def tasks_in(self, statuses: tuple[str, ...]) -> list[Record]:
        return [t for t in self._tables["tasks"].values() if t["status"] in statuses]

    def clock(self) -> Clock | None:
        return self._clock

    def set_clock(self, clock: Clock) -> None:
        self._clock = clock

    def put(self, table: str, record: Record) -> None:
        self._tables[table][record["id"]] = record
        if table == "workspaces":
            self._workspace_by_agent[record["hired_agent_id"]] = record


class MemoryStore:
    """One fleet shared by the threads of `sandbox serve`, one request at a time."""

    def __init__(self, state: dict[str, Any]) -> None:
        self._tables = MemoryTables(state)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def session(self, *, write: bool) -> Iterator[Tables]:
        del write  # one lock serves readers and writers: requests are short
        with self._lock:
            yield self._tables


def _page(records: Any, status: str | None, page: slice) -> list[Record]:
    return [r for r in records if status is None or r["status"] == status][page]
