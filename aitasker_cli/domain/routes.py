"""Every API route the CLI calls, in one table, so a corrected path is a one-line change.

`confirmed` says whether the platform's docs show the route (see shared/api/ENDPOINTS.md);
the others are inferred from the confirmed ones' naming and may need correcting. The sandbox
keeps its own table (aitasker_cli/sandbox/routes.py), so a wrong path here fails there too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from aitasker_cli.core.errors import UsageError
from aitasker_cli.core.patterns import UUID


class Route(NamedTuple):
    method: str
    path: str
    confirmed: bool


ROUTES: dict[str, Route] = {
    "agents.list": Route("GET", "/api/v1/workspaces/agents", confirmed=False),
    "agents.show": Route("GET", "/api/v1/workspaces/agents/{agent_id}", confirmed=False),
    "agents.pause": Route("POST", "/api/v1/workspaces/agents/{agent_id}/pause", confirmed=True),
    "agents.resume": Route("POST", "/api/v1/workspaces/agents/{agent_id}/resume", confirmed=False),
    "agents.cancel": Route("POST", "/api/v1/workspaces/agents/{agent_id}/cancel", confirmed=False),
    "workspaces.list": Route("GET", "/api/v1/workspaces", confirmed=False),
    "workspaces.show": Route("GET", "/api/v1/workspaces/{workspace_id}", confirmed=True),
    "workspaces.tasks": Route("GET", "/api/v1/workspaces/{workspace_id}/tasks", confirmed=True),
    "tasks.show": Route(
        "GET", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}", confirmed=False
    ),
    "tasks.approve": Route(
        "POST", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/approve", confirmed=False
    ),
    "tasks.reject": Route(
        "POST", "/api/v1/workspaces/{workspace_id}/tasks/{task_id}/reject", confirmed=False
    ),
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
            hint=f"{_article(noun)} {noun} ID is a UUID such as "
            "3c90c3cc-0d44-4b50-8888-8dd25736052a.",
        )
    return candidate.lower()


def _article(noun: str) -> str:
    return "An" if noun[:1].lower() in "aeiou" else "A"
