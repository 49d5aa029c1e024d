"""The sandbox API's behaviour, straight through its WSGI app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aitasker_cli.sandbox.app import SandboxApp
from aitasker_cli.sandbox.seed import seed_state
from aitasker_cli.sandbox.store import MemoryStore

AGENTS = "/api/v1/workspaces/agents"


def first(sandbox: httpx.Client, status: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = sandbox.get(AGENTS, params={"status": status}).json()
    return found[0]


def test_no_bearer_token_is_401(sandbox: httpx.Client) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ):
        response = sandbox.get(AGENTS, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "Not authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"


def test_health_needs_no_token(sandbox: httpx.Client) -> None:
    response = sandbox.get("/health", headers={"Authorization": ""})

    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/v1/nothing", 404), ("DELETE", AGENTS, 405), ("GET", "/api/v1/workspaces/", 404)],
)
def test_unknown_routes_and_methods(
    sandbox: httpx.Client, method: str, path: str, status: int
) -> None:
    response = sandbox.request(method, path)

    assert response.status_code == status
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    "path", [f"{AGENTS}/not-a-uuid", f"{AGENTS}/6f1c2b9e-4d7a/pause", "/api/v1/workspaces/12/tasks"]
)
def test_malformed_uuid_is_422_with_fastapi_detail(sandbox: httpx.Client, path: str) -> None:
    response = sandbox.request("POST" if path.endswith("pause") else "GET", path)

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["type"] == "uuid_parsing" and item["loc"][0] == "path"


@pytest.mark.parametrize(
    ("query", "loc", "kind"),
    [
        ({"limit": "ten"}, ["query", "limit"], "int_parsing"),
        ({"limit": "0"}, ["query", "limit"], "greater_than_equal"),
        ({"offset": "-1"}, ["query", "offset"], "greater_than_equal"),
    ],
)
def test_bad_query_values_are_422(
    sandbox: httpx.Client, query: dict[str, str], loc: list[str], kind: str
) -> None:
    response = sandbox.get(AGENTS, params=query)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert response.json()["detail"][0]["type"] == kind


def test_pages_are_capped_and_follow_offset(sandbox: httpx.Client) -> None:
    page_one = sandbox.get(AGENTS, params={"limit": 50}).json()
    page_two = sandbox.get(AGENTS, params={"limit": 50, "offset": 20}).json()
    rest = sandbox.get(AGENTS, params={"limit": 50, "offset": 40}).json()

    assert len(page_one) == 20 and len(page_two) == 4 and rest == []
    assert {a["id"] for a in page_one}.isdisjoint({a["id"] for a in page_two})


def test_status_filter(sandbox: httpx.Client) -> None:
    paused = sandbox.get(AGENTS, params={"status": "paused"}).json()
    unknown = sandbox.get(AGENTS, params={"status": "sleeping"}).json()

    assert paused and all(agent["status"] == "paused" for agent in paused)
    assert unknown == []


def test_agents_carry_their_workspace(sandbox: httpx.Client) -> None:
    agent = sandbox.get(AGENTS).json()[0]

    assert agent["workspace"]["hired_agent_id"] == agent["id"]
    assert {"team_id", "team_type", "persona_name"} <= set(agent)


def test_pause_and_resume_change_status_and_times(sandbox: httpx.Client) -> None:
    agent = first(sandbox, "active")

    paused = sandbox.post(f"{AGENTS}/{agent['id']}/pause").json()
    again = sandbox.post(f"{AGENTS}/{agent['id']}/pause").json()
    resumed = sandbox.post(f"{AGENTS}/{agent['id']}/resume").json()
    shown = sandbox.get(f"{AGENTS}/{agent['id']}").json()

    assert paused["status"] == "paused" and paused["paused_at"] is not None
    assert paused["updated_at"] > agent["updated_at"]
    assert paused["workspace"]["status"] == "paused"
    assert again == paused  # idempotent: a retried pause changes nothing
    assert resumed["status"] == "active" and resumed["paused_at"] is None
    assert shown == resumed


def test_cancelled_agents_cannot_be_paused_or_resumed(sandbox: httpx.Client) -> None:
    agent = first(sandbox, "cancelled")

    for verb in ("pause", "resume"):
        response = sandbox.post(f"{AGENTS}/{agent['id']}/{verb}")
        assert response.status_code == 409
        assert "Cancelled" in response.json()["detail"]


def test_unknown_ids_are_404(sandbox: httpx.Client) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    assert sandbox.get(f"{AGENTS}/{missing}").json() == {"detail": "Hired agent not found"}
    assert sandbox.get(f"/api/v1/workspaces/{missing}").status_code == 404
    assert sandbox.get(f"/api/v1/workspaces/{missing}/tasks").status_code == 404


def test_workspace_detail_and_tasks(sandbox: httpx.Client) -> None:
    workspace = sandbox.get("/api/v1/workspaces").json()[0]

    detail = sandbox.get(f"/api/v1/workspaces/{workspace['id']}").json()
    tasks = sandbox.get(f"/api/v1/workspaces/{workspace['id']}/tasks").json()

    assert detail["hired_agent"]["id"] == workspace["hired_agent_id"]
    assert "workspace" not in detail["hired_agent"]
    assert detail["integration_credentials"] == []
    assert all(task["workspace_id"] == workspace["id"] for task in tasks)


def test_hire_update_cancel_and_task_decisions(sandbox: httpx.Client) -> None:
    hired = sandbox.post(
        AGENTS, json={"agent_type": "seo_specialist", "tier": "pro", "persona_name": "Ingrid"}
    )
    bad = sandbox.post(AGENTS, json={"tier": "pro"})
    new_id = hired.json()["hired_agent_id"]
    renamed = sandbox.patch(f"{AGENTS}/{new_id}", json={"display_name": "Ingrid – SEO"})
    cancelled = sandbox.post(f"{AGENTS}/{new_id}/cancel")

    assert hired.status_code == 200 and hired.json()["checkout_url"].startswith("https://")
    assert sandbox.get(f"{AGENTS}/{new_id}").json()["workspace"]["name"] == "Ingrid's workspace"
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "agent_type"]
    assert renamed.json()["display_name"] == "Ingrid – SEO"
    assert cancelled.json()["status"] == "cancelled"

    waiting = [
        task
        for workspace in sandbox.get("/api/v1/workspaces", params={"limit": 100}).json()
        for task in sandbox.get(
            f"/api/v1/workspaces/{workspace['id']}/tasks", params={"status": "awaiting_approval"}
        ).json()
    ]
    task_path = f"/api/v1/workspaces/{waiting[0]['workspace_id']}/tasks/{waiting[0]['id']}"
    approved = sandbox.post(f"{task_path}/approve")
    twice = sandbox.post(f"{task_path}/reject")

    assert approved.json()["status"] == "approved" and approved.json()["approved_at"]
    assert twice.status_code == 409


def test_rate_limit_headers_and_429() -> None:
    app = SandboxApp(MemoryStore(seed_state()), rate_limit=3)
    with httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url="http://s",
        headers={"Authorization": "Bearer x"},
    ) as client:
        remaining = [client.get(AGENTS).headers["x-ratelimit-remaining"] for _ in range(3)]
        limited = client.get(AGENTS)

    assert remaining == ["2", "1", "0"]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["x-ratelimit-limit"] == "3"


def test_every_response_has_a_request_id(sandbox: httpx.Client) -> None:
    ids = {sandbox.get(AGENTS).headers["x-request-id"] for _ in range(3)}

    assert len(ids) == 3 and all(i.startswith("req_") for i in ids)
