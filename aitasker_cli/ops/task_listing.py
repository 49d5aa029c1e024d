"""Tasks across workspaces: which workspaces, their listings sent concurrently, names beside.

The API lists tasks one workspace at a time. `TaskStream` lists the workspaces once (that
listing also names them), then each chosen workspace's tasks on a few worker threads sharing
the client, so its pacing (api/throttle.py) holds for all of them; the tasks come out as they
arrive. Agent names come from one agents listing, never from a request per task. So the
requests are ⌈W/page⌉ for the workspaces, per workspace ⌈(n+1)/page⌉ per status asked (one
more when a workspace's first page is short: the server may cap pages, so only an empty page
proves the end), and ⌈A/page⌉ for the agents when their names are shown or `--agent` is given.
"""

from __future__ import annotations

import queue
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aitasker_cli.core.errors import NotFoundError
from aitasker_cli.ops.resolve import NAME_FIELD, Resolver

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.api.models import HiredAgent, ListedTask, Workspace, WorkspaceTask

T = TypeVar("T")

CONCURRENCY = 8
"""Workspaces listed at once. Against a local server it changes nothing (each request costs
the same CPU); against a distant API it divides the wait: `tasks inbox` over 200 workspaces
behind 50 ms of latency takes 14.5 s one at a time, 2.2 s eight at a time (README, Benchmarks;
benchmarks/tasks_inbox.py). The client's pacing holds for all of them."""
SUMMARY_LENGTH = 60
"""The most characters of the one-line summary of a task's proposed actions."""
_QUEUED = 256
"""Tasks a worker may get ahead of the reader by; beyond, it waits (memory stays flat)."""
_POLL_SECONDS = 0.1
"""How often the reading thread wakes while it waits, so Ctrl-C acts at once."""
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


class TaskStream:
    """The tasks of every workspace (or the chosen ones), at most `limit`, as they arrive.

    `workspaces` and `agents` are what was typed (IDs, unique prefixes or exact names); the
    tasks of the named agents are those whose `hired_agent_id` is one of them. `named` asks
    for the agents' names too (one agents listing), which the formats for people show.
    """

    def __init__(
        self,
        client: ApiClient,
        *,
        workspaces: Sequence[str] = (),
        agents: Sequence[str] = (),
        statuses: Sequence[str] = (),
        named: bool = True,
        concurrency: int | None = None,
        remember: bool = True,
    ) -> None:
        self._client = client
        self._typed_workspaces = list(workspaces)
        self._typed_agents = list(agents)
        self._statuses = list(dict.fromkeys(statuses))
        self._named = named or bool(agents)
        self._concurrency = concurrency or CONCURRENCY
        self._remember = remember
        self.gone: list[str] = []
        """Workspaces that were listed but whose tasks were not found (removed meanwhile)."""
        self.workspace_names: dict[str, str] = {}

    def fetch(self, limit: int | None) -> Iterator[ListedTask]:
        """The tasks, at most `limit` of them (None: all), in the order their pages arrive."""
        # The agents are listed while the workspaces are: the two listings overlap.
        agents = _Background(self._agent_listing) if self._named else None
        try:
            yield from self._fetch(limit, agents)
        finally:
            if agents is not None:
                agents.stop()  # after an error, it sends no further page

    def _fetch(
        self, limit: int | None, agents: _Background[list[HiredAgent]] | None
    ) -> Iterator[ListedTask]:
        listed = self._workspace_listing()
        self.workspace_names = _names(listed, "name")
        chosen = [str(w.id) for w in listed]
        if self._typed_workspaces:
            resolver = _GivenResolver(self._client, "workspace", listed)
            named = {resolver.id_of(typed) for typed in self._typed_workspaces}
            chosen = [w for w in chosen if w in named] + sorted(named.difference(chosen))
        agent_names: dict[str, str] = {}
        wanted_agents: set[str] | None = None
        if agents is not None:
            every_agent = self._agents(agents)
            agent_names = _names(every_agent, "display_name")
            if self._typed_agents:
                resolver = _GivenResolver(self._client, "agent", every_agent)
                wanted_agents = {resolver.id_of(typed) for typed in self._typed_agents}
                theirs = _workspaces_of(wanted_agents, listed, every_agent)
                chosen = [w for w in chosen if w in theirs]
        if limit is not None and limit <= 0:
            return
        # With an agent filter, a workspace's other tasks do not count towards the limit.
        each = limit if wanted_agents is None else None
        jobs = [self._job(workspace_id, each) for workspace_id in chosen]
        delivered = 0
        for task in _Merged(jobs, self._concurrency):
            if wanted_agents is not None and _agent_of(task) not in wanted_agents:
                continue
            yield listed_with(task, self.workspace_names, agent_names)
            delivered += 1
            if delivered == limit:
                return  # the workers stop as the merge is closed

    def names(self) -> tuple[dict[str, str], dict[str, str]]:
        """The names of every workspace and every agent, by ID (one listing of each)."""
        agents = _Background(self._agent_listing)
        try:
            workspaces = self._workspace_listing()
            return _names(workspaces, "name"), _names(self._agents(agents), "display_name")
        finally:
            agents.stop()

    def _job(self, workspace_id: str, limit: int | None) -> Callable[[], Iterable[Any]]:
        def tasks() -> Iterator[WorkspaceTask]:
            try:
                yield from self._client.list_tasks(
                    workspace_id, statuses=self._statuses, limit=limit
                )
            except NotFoundError:
                self.gone.append(workspace_id)  # removed since it was listed

        return tasks

    def _workspace_listing(self) -> list[Workspace]:
        found = list(self._client.list_workspaces(status=None, limit=None))
        self._learn("workspaces", found)
        return found

    def _agent_listing(self, stopped: threading.Event) -> list[HiredAgent]:
        """Every agent (on a background thread: it reads, and writes nothing)."""
        found = []
        for agent in self._client.list_agents(status=None, limit=None):
            if stopped.is_set():
                break
            found.append(agent)
        return found

    def _agents(self, listing: _Background[list[HiredAgent]]) -> list[HiredAgent]:
        """The agents listing, once it is in; remembered here, in the thread that waits."""
        found = listing.result()
        self._learn("agents", found)
        return found

    def _learn(self, kind: str, items: Sequence[Any]) -> None:
        # Only ever from the command's own thread: a background thread could still be
        # running when the command has ended, and write where it should not.
        if self._remember:
            from aitasker_cli.local import cache

            cache.learn(kind, items)


def oldest_first(tasks: Iterable[T]) -> list[T]:
    """The tasks by `created_at`, oldest first; those without one last, ties by ID."""

    def key(task: Any) -> tuple[bool, datetime, str]:
        created = getattr(task, "created_at", None)
        if not isinstance(created, datetime):
            return (True, _OLDEST, str(task.id))
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        return (False, created, str(task.id))

    return sorted(tasks, key=key)


def actions_summary(actions: Any) -> str:
    """One line saying what a task proposes: `publish (channel=linkedin, when=…)`."""
    if not actions:
        return ""
    if isinstance(actions, dict):
        parts = []
        for name, value in actions.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{key}={_brief(item)}" for key, item in value.items())
                parts.append(f"{name} ({inner})" if inner else str(name))
            elif isinstance(value, list):
                parts.append(f"{name} [{len(value)}]")
            else:
                parts.append(f"{name}={_brief(value)}")
        text = "; ".join(parts)
    else:
        text = _brief(actions)
    text = " ".join(text.split())  # one line: breaks and runs of spaces become one space
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _brief(value: Any) -> str:
    import json

    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def listed_with(task: Any, workspaces: dict[str, str], agents: dict[str, str]) -> ListedTask:
    """`task` with its workspace's and agent's names (by ID) and a summary of its actions."""
    from aitasker_cli.api.models import ListedTask

    workspace = str(task.workspace_id) if task.workspace_id else ""
    agent = _agent_of(task)
    return ListedTask.of(
        task,
        workspace_name=workspaces.get(workspace),
        agent_name=agents.get(agent) if agent else None,
        actions=actions_summary(task.raw.get("proposed_actions")),
    )


def _names(items: Iterable[Any], field: str) -> dict[str, str]:
    return {str(item.id): str(item.raw.get(field) or "") for item in items}


def _agent_of(task: Any) -> str:
    return str(task.hired_agent_id) if task.hired_agent_id else ""


def _workspaces_of(
    agents: set[str], workspaces: Sequence[Workspace], listed: Sequence[HiredAgent]
) -> set[str]:
    """The workspaces the agents work in: each agent's own, and those naming it as hired."""
    found = {str(w.id) for w in workspaces if w.hired_agent_id and str(w.hired_agent_id) in agents}
    found.update(str(a.workspace.id) for a in listed if str(a.id) in agents and a.workspace)
    return found


class _GivenResolver(Resolver):
    """A Resolver reading a listing this run already has, instead of listing again."""

    def __init__(self, client: ApiClient, noun: str, items: Sequence[Any]) -> None:
        super().__init__(client, noun)
        field = NAME_FIELD[noun]
        self._given = [
            (str(item.id), unicodedata.normalize("NFC", str(item.raw.get(field) or "")))
            for item in items
        ]

    def _listing(self) -> list[tuple[str, str]]:
        return self._given


class _Background(Generic[T]):
    """A call running on a daemon thread (it must not hold the process at Ctrl-C); it is
    given an event that says its result is no longer wanted."""

    def __init__(self, call: Callable[[threading.Event], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[threading.Event], T]) -> None:
        try:
            self._value = call(self._stopped)
        except BaseException as exc:  # handed to the thread that waits for it
            self._error = exc

    def result(self) -> T:
        while self._thread.is_alive():
            self._thread.join(_POLL_SECONDS)  # a bounded wait, so a signal acts at once
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def stop(self) -> None:
        self._stopped.set()


_DONE = object()


class _Merged(Generic[T]):
    """The items of several jobs, each drained by one of `concurrency` daemon threads, merged
    in the order they arrive. The first error stops every worker and is raised to the reader;
    so does the reader's leaving (a closed pipe, `--limit` reached, Ctrl-C)."""

    def __init__(self, jobs: Sequence[Callable[[], Iterable[T]]], concurrency: int) -> None:
        self._jobs = jobs
        self._workers = max(1, min(concurrency, len(jobs)))
        self._queue: queue.Queue[tuple[object, Any]] = queue.Queue(_QUEUED)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._next = 0

    def __iter__(self) -> Iterator[T]:
        if not self._jobs:
            return
        for number in range(self._workers):
            threading.Thread(target=self._work, name=f"tasks-{number}", daemon=True).start()
        finished = 0
        try:
            while finished < self._workers:
                try:
                    kind, value = self._queue.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                if kind is _DONE:
                    finished += 1
                elif isinstance(value, BaseException):
                    raise value
                else:
                    yield value
        finally:
            self._stop.set()

    def _work(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                index = self._next
                self._next += 1
            if index >= len(self._jobs):
                break
            try:
                for item in self._jobs[index]():
                    if not self._put(("item", item)):
                        return
            except Exception as exc:  # raised in the reader's thread, which reports it
                self._put(("error", exc))
                return
        self._put((_DONE, None))

    def _put(self, entry: tuple[object, Any]) -> bool:
        """Hand one entry to the reader; False once the reader is gone."""
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False
