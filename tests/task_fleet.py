"""A fleet of workspaces, agents and tasks served as the API pages them, for the tasks tests:
through respx (in-process) or a loopback server (the installed script), counting requests."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import respx

from tests.conftest import agent, task, workspace
from tests.loopback import LoopbackApi, serve

WORKSPACES = "/api/v1/workspaces"
AGENTS = "/api/v1/workspaces/agents"
EPOCH = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def listing_requests(n: int, page: int = 50) -> int:
    """Requests a complete listing of `n` items costs: ⌈(n+1)/page⌉, and one more when the
    first page is short but not empty (the contract's paging: the server may cap pages, so
    only an empty page, or one shorter than an earlier one, ends a listing)."""
    return n // page + 1 + (1 if 0 < n < page else 0)


def workspace_id(n: int) -> str:
    return f"1a000000-0000-4000-8000-{n:012d}"


def agent_id(n: int) -> str:
    return f"a9000000-0000-4000-8000-{n:012d}"


def task_id(w: int, k: int) -> str:
    return f"7a5c0000-0000-4000-8000-{w:06d}{k:06d}"


def tasks_path(ws: str) -> str:
    return f"{WORKSPACES}/{ws}/tasks"


def created(w: int, k: int) -> str:
    """A time that is not in ID order, so sorting is seen to happen."""
    minutes = (k * 7919 + w * 104729) % 10007
    return (EPOCH + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Fleet:
    """What the fake API holds; `cap` is its largest page, whatever `limit` asks."""

    workspaces: list[dict[str, Any]] = field(default_factory=list)
    agents: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    cap: int = 100

    @classmethod
    def of(
        cls,
        sizes: list[int],
        *,
        statuses: tuple[str, ...] = ("awaiting_approval",),
        agents: int = 0,
    ) -> Fleet:
        """A workspace per entry of `sizes`, each with that many tasks (statuses in turn), each
        workspace's agent hired for it, and `agents` more agents without a workspace."""
        fleet = cls()
        for w, size in enumerate(sizes):
            ws, hired = workspace_id(w), agent_id(w)
            fleet.agents.append(agent(id=hired, display_name=f"Agent {w}", workspace=None))
            fleet.workspaces.append(workspace(id=ws, name=f"Workspace {w}", hired_agent_id=hired))
            for k in range(size):
                fleet.tasks.append(
                    task(
                        id=task_id(w, k),
                        workspace_id=ws,
                        hired_agent_id=hired,
                        title=f"Task {k} of workspace {w}",
                        status=statuses[k % len(statuses)],
                        created_at=created(w, k),
                        proposed_actions={"publish": {"channel": "linkedin", "n": k}},
                    )
                )
        for n in range(agents):
            fleet.agents.append(agent(id=agent_id(len(sizes) + n), display_name=f"Extra {n}"))
        return fleet

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        """The API's answer to GET `path` with `query`: a page, one task, or 404."""
        if path == WORKSPACES:
            return 200, self._page(self.workspaces, query)
        if path == AGENTS:
            return 200, self._page(self.agents, query)
        parts = path.split("/")
        ws = parts[4] if len(parts) > 4 else ""
        if not any(item["id"] == ws for item in self.workspaces):
            return 404, {"detail": "Workspace not found"}
        theirs = [item for item in self.tasks if item["workspace_id"] == ws]
        if len(parts) == 6 and parts[5] == "tasks":
            return 200, self._page(theirs, query)
        if len(parts) == 7:
            found = [item for item in theirs if item["id"] == parts[6]]
            return (200, found[0]) if found else (404, {"detail": "Task not found"})
        return 404, {"detail": "Not Found"}

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[Any]:
        status = query.get("status", [None])[0]
        chosen = [item for item in items if status is None or item["status"] == status]
        offset = int(query.get("offset", ["0"])[0])
        limit = min(int(query.get("limit", ["50"])[0]), self.cap)
        return chosen[offset : offset + limit]

    def mock(self, api: respx.MockRouter) -> None:
        """Serve the fleet through respx (every GET under the API)."""

        def respond(request: httpx.Request) -> httpx.Response:
            query: dict[str, list[str]] = {}
            for key, value in request.url.params.multi_items():
                query.setdefault(key, []).append(value)
            status, body = self.answer(request.url.path, query)
            return httpx.Response(status, json=body)

        api.get(url__regex=r".*/api/v1/workspaces.*").mock(side_effect=respond)

    @contextmanager
    def served(self) -> Iterator[LoopbackApi]:
        """Serve the fleet on loopback; `requests` records every request."""
        with serve() as api:
            paths = [WORKSPACES, AGENTS]
            for item in self.workspaces:
                paths.append(tasks_path(item["id"]))
                paths.extend(
                    f"{tasks_path(item['id'])}/{t['id']}"
                    for t in self.tasks
                    if t["workspace_id"] == item["id"]
                )
            for path in paths:
                api.routes[("GET", path)] = functools.partial(self.answer, path)
            yield api
