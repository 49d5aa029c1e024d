"""Every API route the CLI calls, in one table, so a corrected path is a one-line change.

`confirmed` says whether the platform's docs show the route (see shared/api/ENDPOINTS.md);
the others are inferred from the confirmed ones' naming and may need correcting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aitasker_cli.errors import UsageError
from aitasker_cli.patterns import UUID


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    confirmed: bool


ROUTES: dict[str, Route] = {
    "health": Route("GET", "/health", confirmed=True),
    "agents.list": Route("GET", "/api/v1/workspaces/agents", confirmed=False),
    "agents.show": Route("GET", "/api/v1/workspaces/agents/{agent_id}", confirmed=False),
    "agents.pause": Route("POST", "/api/v1/workspaces/agents/{agent_id}/pause", confirmed=True),
    "agents.resume": Route("POST", "/api/v1/workspaces/agents/{agent_id}/resume", confirmed=False),
    "workspaces.list": Route("GET", "/api/v1/workspaces", confirmed=False),
    "workspaces.show": Route("GET", "/api/v1/workspaces/{workspace_id}", confirmed=True),
    "workspaces.tasks": Route("GET", "/api/v1/workspaces/{workspace_id}/tasks", confirmed=True),
    # Served by the sandbox for users' own tools; the CLI has no command for these yet.
    "agents.hire": Route("POST", "/api/v1/workspaces/agents", confirmed=False),
    "agents.update": Route("PATCH", "/api/v1/workspaces/agents/{agent_id}", confirmed=False),
    "agents.cancel": Route("POST", "/api/v1/workspaces/agents/{agent_id}/cancel", confirmed=False),
    "workspaces.update": Route("PATCH", "/api/v1/workspaces/{workspace_id}", confirmed=False),
    "workspaces.task": Route(
        "GET", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}", confirmed=False
    ),
    "workspaces.task.approve": Route(
        "POST", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/approve", confirmed=False
    ),
    "workspaces.task.reject": Route(
        "POST", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/reject", confirmed=False
    ),
    "market.tasks.create": Route("POST", "/api/v1/tasks", confirmed=True),
    "market.tasks.show": Route("GET", "/api/v1/tasks/{task_id}", confirmed=True),
    "market.tasks.bids": Route("GET", "/api/v1/tasks/{task_id}/bids", confirmed=True),
    "teams.show": Route("GET", "/api/v1/teams/{team_id}", confirmed=True),
    "teams.dashboard": Route("GET", "/api/v1/teams/{team_id}/dashboard", confirmed=True),
    "teams.cycle": Route("GET", "/api/v1/teams/{team_id}/cycle", confirmed=True),
    "teams.cycle.update": Route("PATCH", "/api/v1/teams/{team_id}/cycle", confirmed=True),
    "teams.loop.update": Route(
        "PATCH", "/api/v1/teams/{team_id}/cycle/loops/{loop_id}", confirmed=True
    ),
    "assistant.subscription": Route("GET", "/api/v1/assistant/subscription", confirmed=True),
    "admin.team_settings": Route("PATCH", "/api/v1/admin/teams/{slug}/settings", confirmed=True),
    "admin.bids": Route("GET", "/api/v1/admin/bids", confirmed=False),
    "a2a.rpc": Route("POST", "/api/v1/a2a/rpc", confirmed=True),
    "a2a.credits": Route("GET", "/api/v1/a2a/credits/balance", confirmed=True),
    "categories": Route("GET", "/api/v1/categories", confirmed=True),
    "developers.agents.create": Route("POST", "/api/developers/agents", confirmed=True),
}

PAGE_SIZE = 50
"""The documented default `limit`; the server may cap pages below what is asked."""

_UUID = re.compile(UUID)


def build_path(name: str, params: Mapping[str, str]) -> tuple[str, str]:
    """The method and path of a route, with its ID parameters checked to be UUIDs.

    Checking before anything is sent keeps `../x` or `a/b` from ever changing which route
    is called: a malformed ID is a usage error, and nothing goes out.
    """
    route = ROUTES[name]
    checked = {key: parse_id(value, key.removesuffix("_id")) for key, value in params.items()}
    return route.method, route.path.format(**checked)


def parse_id(value: str, noun: str) -> str:
    """The ID in canonical lower-case form; UsageError if it is not a UUID."""
    candidate = value.strip()
    if not _UUID.fullmatch(candidate):
        shown = f"'{value}'" if value else "an empty value"
        raise UsageError(
            f"{shown} is not a valid {noun} ID",
            hint=f"A {noun} ID is a UUID such as 3c90c3cc-0d44-4b50-8888-8dd25736052a.",
        )
    return candidate.lower()
