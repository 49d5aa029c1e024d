"""The operations the sandbox serves, by operationId, with the method and path the API
description (shared/api/openapi.yaml) gives each.

Written out here rather than shared with the client's table (aitasker_cli/domain/routes.py), so that
a wrong path in the client is a 404 from the sandbox too, not a path both agree on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    """One documented method on one documented path."""

    method: str
    path: str


AGENTS = "/api/v1/workspaces/agents"
AGENT = f"{AGENTS}/{{agent_id}}"
WORKSPACES = "/api/v1/workspaces"
WORKSPACE = f"{WORKSPACES}/{{workspace_id}}"
TASK = f"{WORKSPACE}/tasks/{{task_id}}"

OPERATIONS: dict[str, Operation] = {
    "health": Operation("GET", "/health"),
    "listHiredAgents": Operation("GET", AGENTS),
    "hireAgent": Operation("POST", AGENTS),
    "getHiredAgent": Operation("GET", AGENT),
    "updateHiredAgent": Operation("PATCH", AGENT),
    "pauseHiredAgent": Operation("POST", f"{AGENT}/pause"),
    "resumeHiredAgent": Operation("POST", f"{AGENT}/resume"),
    "cancelHiredAgent": Operation("POST", f"{AGENT}/cancel"),
    "listWorkspaces": Operation("GET", WORKSPACES),
    "getWorkspace": Operation("GET", WORKSPACE),
    "updateWorkspace": Operation("PATCH", WORKSPACE),
    "listWorkspaceTasks": Operation("GET", f"{WORKSPACE}/tasks"),
    "getWorkspaceTask": Operation("GET", TASK),
    "approveWorkspaceTask": Operation("POST", f"{TASK}/approve"),
    "rejectWorkspaceTask": Operation("POST", f"{TASK}/reject"),
}
"""The hired-agent part of the API and /health; anything else is 404 here."""
