"""The sandbox API's behaviour, straight through its WSGI app."""

from __future__ import annotations

import io
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


TEAM = next(a["team_id"] for a in seed_state()["agents"].values() if a["team_id"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nothing", 404),
        ("DELETE", AGENTS, 405),
        ("GET", "/api/v1/workspaces/", 404),
        # The marketplace and teams are documented but not the sandbox's: it serves hired agents.
        ("POST", "/api/v1/tasks", 404),
        ("GET", f"/api/v1/teams/{TEAM}", 404),
        ("GET", f"/api/v1/teams/{TEAM}/cycle", 404),
    ],
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


# --- bodies are held to the documented schema -----------------------------------------------

DEEP: dict[str, Any] = {"a": {}}
for _ in range(40):
    DEEP = {"a": DEEP}


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"config": "oops"}, ["body", "config"], "dict_type"),
        ({"config": [1, 2]}, ["body", "config"], "dict_type"),
        ({"display_name": 7}, ["body", "display_name"], "string_type"),
        ({"persona_name": ["x"]}, ["body", "persona_name"], "string_type"),
        ([], ["body"], "model_attributes_type"),
        ("oops", ["body"], "model_attributes_type"),
        ({"config": DEEP}, ["body", 0], "json_invalid"),
    ],
)
def test_agent_updates_against_the_schema_are_422_and_store_nothing(
    sandbox: httpx.Client, body: Any, loc: list[str | int], kind: str
) -> None:
    agent = first(sandbox, "active")

    response = sandbox.patch(f"{AGENTS}/{agent['id']}", json=body)

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["loc"], item["type"]) == (loc, kind)
    assert set(item) >= {"loc", "msg", "type", "input"}
    assert sandbox.get(f"{AGENTS}/{agent['id']}").json() == agent


@pytest.mark.parametrize(
    "text",
    [
        '{"config": {"x": NaN}}',
        '{"config": {"x": Infinity}}',
        '{"config": {"x": 1e999}}',
        '{"display_name": "\\ud800"}',
        '{"display_name": "x"',
        '{"config": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_bodies_that_are_not_strict_json_are_422(sandbox: httpx.Client, text: str) -> None:
    """NaN, an overflowing number, a lone surrogate or deep nesting would make every later
    response invalid JSON, or the server fail to write it."""
    agent = first(sandbox, "active")

    response = sandbox.patch(
        f"{AGENTS}/{agent['id']}", content=text, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert sandbox.get(f"{AGENTS}/{agent['id']}").json() == agent


def test_several_wrong_fields_are_all_reported(sandbox: httpx.Client) -> None:
    response = sandbox.post(AGENTS, json={"tier": 3, "config": 1, "team_id": "not-a-uuid"})

    locs = [item["loc"] for item in response.json()["detail"]]
    assert response.status_code == 422
    assert locs == [
        ["body", "agent_type"],
        ["body", "tier"],
        ["body", "team_id"],
        ["body", "config"],
    ]


def test_null_leaves_fields_the_api_never_shows_as_null(sandbox: httpx.Client) -> None:
    """HiredAgentUpdate and WorkspaceUpdate allow null, but an agent's config and a workspace's
    name and settings are never null in a response: null there changes nothing."""
    agent = first(sandbox, "active")
    workspace = agent["workspace"]

    updated = sandbox.patch(
        f"{AGENTS}/{agent['id']}", json={"config": None, "display_name": None}
    ).json()
    renamed = sandbox.patch(
        f"/api/v1/workspaces/{workspace['id']}", json={"name": None, "settings": None}
    ).json()
    listed = sandbox.get(AGENTS, params={"limit": 100}).json()

    assert updated["config"] == agent["config"] and updated["display_name"] is None
    assert renamed["name"] == workspace["name"] and renamed["settings"] == workspace["settings"]
    assert all(isinstance(a["config"], dict) for a in listed)


@pytest.mark.parametrize(
    ("body", "loc"),
    [({"settings": 7}, ["body", "settings"]), ({"name": 5}, ["body", "name"]), ([1], ["body"])],
)
def test_workspace_updates_against_the_schema_are_422(
    sandbox: httpx.Client, body: Any, loc: list[str]
) -> None:
    workspace = sandbox.get("/api/v1/workspaces").json()[0]

    response = sandbox.patch(f"/api/v1/workspaces/{workspace['id']}", json=body)

    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc
    assert sandbox.get("/api/v1/workspaces").json()[0] == workspace


def test_task_decisions_take_an_optional_reason(sandbox: httpx.Client) -> None:
    task = next(t for t in seed_state()["tasks"].values() if t["status"] == "awaiting_approval")
    path = f"/api/v1/workspaces/{task['workspace_id']}/tasks/{task['id']}"

    wrong = sandbox.post(f"{path}/reject", json={"reason": 5})
    rejected = sandbox.post(f"{path}/reject", json={"reason": "Too formal"})

    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "reason"]
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


# --- every method gets a JSON answer ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", AGENTS, "GET, POST"),
        ("PATCH", AGENTS, "GET, POST"),
        ("PUT", f"{AGENTS}/6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "GET, PATCH"),
        ("GET", f"{AGENTS}/6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47/pause", "POST"),
        ("OPTIONS", "/api/v1/workspaces", "GET"),
        ("TRACE", "/health", "GET"),
        ("FROB", "/api/v1/workspaces/0b7e6d5c-4a3f-4e21-8c9d-7f6e5d4c3b2a", "GET, PATCH"),
    ],
)
def test_405_lists_the_methods_of_the_path(
    sandbox: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = sandbox.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"detail": "Method Not Allowed"}


@pytest.mark.parametrize("limit", ["1_0", " 5", "\u0663", "1.0", "", "0x10"])
def test_limit_is_an_ascii_integer(sandbox: httpx.Client, limit: str) -> None:
    response = sandbox.get(AGENTS, params={"limit": limit})

    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "int_parsing"


def test_a_huge_limit_is_a_valid_integer(sandbox: httpx.Client) -> None:
    response = sandbox.get(AGENTS, params={"limit": "9" * 40, "offset": "+0"})

    assert response.status_code == 200 and len(response.json()) == 20


@pytest.mark.parametrize(
    ("length", "status"), [("abc", 400), ("-1", 400), ("1e3", 400), (str(2**20 + 1), 413)]
)
def test_content_length_is_checked_in_process_too(
    sandbox_app: SandboxApp, length: str, status: int
) -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": AGENTS,
        "CONTENT_LENGTH": length,
        "HTTP_AUTHORIZATION": "Bearer x",
        "wsgi.input": io.BytesIO(b"{}"),
    }

    code, body, _headers = sandbox_app.respond(environ)

    assert code == status and isinstance(body["detail"], str)
