"""What the sandbox API does to its state: list, show, pause, resume, hire, approve and the rest.

The fleet asks its store for the records it needs and hands back the ones it changes, so the
same operations run over memory for `sandbox serve` and over a database for `--sandbox`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from aitasker_cli.sandbox.seed import DEMO_USER_ID, iso
from aitasker_cli.sandbox.store import Tables

AGENT_FIELDS = (
    "id",
    "user_id",
    "agent_type",
    "display_name",
    "status",
    "tier",
    "stripe_subscription_id",
    "config",
    "hired_at",
    "paused_at",
    "cancelled_at",
    "created_at",
    "updated_at",
    "persona_name",
)
"""HiredAgentResponse: what a workspace shows of its agent (no workspace or team fields)."""


MOVES: dict[str, tuple[str, dict[str, bool]]] = {
    "paused": ("paused", {"paused_at": True}),
    "active": ("active", {"paused_at": False}),
    "cancelled": ("archived", {"cancelled_at": True}),
}
"""For each agent status: its workspace's status, and the timestamps set (True) or cleared."""


class ApiProblem(Exception):
    """An error response in FastAPI's shape: `{"detail": ...}` with an HTTP status."""

    def __init__(
        self,
        status: int,
        detail: str | list[dict[str, Any]],
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or []


def validation_problem(loc: list[str | int], msg: str, kind: str, given: Any) -> ApiProblem:
    return ApiProblem(422, [{"type": kind, "loc": loc, "msg": msg, "input": given}])


class Fleet:
    """The operations of the API over one request's tables."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    # --- hired agents -------------------------------------------------------------------

    def list_agents(self, status: str | None, page: slice) -> list[dict[str, Any]]:
        return [self._with_workspace(agent) for agent in self.tables.agents(status, page)]

    def get_agent(self, agent_id: str) -> dict[str, Any]:
        return self._with_workspace(self._agent(agent_id))

    def pause(self, agent_id: str) -> dict[str, Any]:
        return self._move(agent_id, "paused", refusal="Cancelled agents cannot be paused")

    def resume(self, agent_id: str) -> dict[str, Any]:
        return self._move(agent_id, "active", refusal="Cancelled agents cannot be resumed")

    def cancel(self, agent_id: str) -> dict[str, Any]:
        return self._move(agent_id, "cancelled", refusal=None)

    def _move(self, agent_id: str, status: str, *, refusal: str | None) -> dict[str, Any]:
        """Give the agent `status`; a move to where it already is changes nothing, so a
        retried pause or resume is safe (idempotent). A cancelled agent stays cancelled."""
        agent = self._agent(agent_id)
        if agent["status"] == "cancelled" and refusal:
            raise ApiProblem(409, refusal)
        workspace = self.tables.workspace_of(agent_id)
        if agent["status"] != status:
            now = _now()
            workspace_status, stamps = MOVES[status]
            agent.update({key: now if stamp else None for key, stamp in stamps.items()})
            agent.update(status=status, updated_at=now)
            self.tables.put("agents", agent)
            if workspace is not None:
                workspace.update(status=workspace_status, updated_at=now)
                self.tables.put("workspaces", workspace)
        return {**agent, "workspace": workspace}

    def hire(self, body: dict[str, Any]) -> dict[str, Any]:
        """Hiring is a paid subscription, so the API answers with a checkout session.

        The sandbox completes the checkout at once: the agent is hired and active, and its ID
        comes back as `hired_agent_id` beside the session. The body is a HireAgentRequest
        already checked against the schema.
        """
        config = body.get("config", {})
        now = _now()
        agent = {
            "id": str(uuid.uuid4()),
            "user_id": DEMO_USER_ID,
            "agent_type": body["agent_type"],
            "display_name": body.get("display_name"),
            "status": "active",
            "tier": body["tier"],
            "stripe_subscription_id": f"sub_sandbox{uuid.uuid4().hex[:12]}",
            "config": config,
            "hired_at": now,
            "paused_at": None,
            "cancelled_at": None,
            "created_at": now,
            "updated_at": now,
            "persona_name": body.get("persona_name"),
            "team_id": None,
            "team_type": None,
        }
        workspace = {
            "id": str(uuid.uuid4()),
            "hired_agent_id": agent["id"],
            "user_id": DEMO_USER_ID,
            "name": f"{body.get('persona_name') or body['agent_type']}'s workspace",
            "status": "active",
            "settings": {},
            "metrics_cache": {},
            "last_active_at": None,
            "created_at": now,
            "updated_at": now,
        }
        self.tables.put("agents", agent)
        self.tables.put("workspaces", workspace)
        session = f"cs_sandbox_{uuid.uuid4().hex[:16]}"
        return {
            "checkout_url": f"https://checkout.sandbox.invalid/{session}",
            "session_id": session,
            "hired_agent_id": agent["id"],
        }

    def update_agent(self, agent_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply a HiredAgentUpdate (already checked against the schema)."""
        agent = self._agent(agent_id)
        agent.update(_changes(body, clearable=("display_name", "persona_name"), kept=("config",)))
        agent.update(updated_at=_now())
        self.tables.put("agents", agent)
        return self._with_workspace(agent)

    # --- workspaces ---------------------------------------------------------------------

    def list_workspaces(self, status: str | None, page: slice) -> list[dict[str, Any]]:
        return self.tables.workspaces(status, page)

    def get_workspace(self, workspace_id: str) -> dict[str, Any]:
        workspace = self._workspace(workspace_id)
        agent = self.tables.agent(workspace["hired_agent_id"])
        return {
            **workspace,
            "hired_agent": {k: agent[k] for k in AGENT_FIELDS} if agent else None,
            "integration_credentials": [],
        }

    def update_workspace(self, workspace_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply a WorkspaceUpdate (already checked against the schema)."""
        workspace = self._workspace(workspace_id)
        workspace.update(_changes(body, clearable=(), kept=("name", "settings")))
        workspace.update(updated_at=_now())
        self.tables.put("workspaces", workspace)
        return workspace

    def list_tasks(
        self, workspace_id: str, status: str | None, page: slice
    ) -> list[dict[str, Any]]:
        self._workspace(workspace_id)
        return self.tables.tasks(workspace_id, status, page)

    def get_task(self, workspace_id: str, task_id: str) -> dict[str, Any]:
        self._workspace(workspace_id)
        task = self.tables.task(task_id)
        if task is None or task["workspace_id"] != workspace_id:
            raise ApiProblem(404, "Task not found")
        return task

    def decide(self, workspace_id: str, task_id: str, *, approve: bool) -> dict[str, Any]:
        task = self.get_task(workspace_id, task_id)
        if task["status"] != "awaiting_approval":
            raise ApiProblem(409, "Task is not awaiting approval")
        now = _now()
        if approve:
            task.update(status="approved", approved_by=DEMO_USER_ID, approved_at=now)
        else:
            task.update(status="rejected")
        self.tables.put("tasks", task)
        return task

    # --- lookups ------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> dict[str, Any]:
        agent = self.tables.agent(agent_id)
        if agent is None:
            raise ApiProblem(404, "Hired agent not found")
        return agent

    def _workspace(self, workspace_id: str) -> dict[str, Any]:
        workspace = self.tables.workspace(workspace_id)
        if workspace is None:
            raise ApiProblem(404, "Workspace not found")
        return workspace

    def _with_workspace(self, agent: dict[str, Any]) -> dict[str, Any]:
        return {**agent, "workspace": self.tables.workspace_of(agent["id"])}


def _changes(
    body: dict[str, Any], *, clearable: tuple[str, ...], kept: tuple[str, ...]
) -> dict[str, Any]:
    """The fields an update sets. Null clears a field the API may show as null; on a field it
    never shows as null (a name, a config) null leaves the value as it is, so nothing is stored
    that the documented response forbids."""
    changes = {name: body[name] for name in clearable if name in body}
    changes.update({name: body[name] for name in kept if body.get(name) is not None})
    return changes


def _now() -> str:
    return iso(datetime.now(timezone.utc))
