"""The documented routes beyond hired agents: marketplace tasks, teams, LoopOps, A2A, admin."""

from __future__ import annotations

import httpx
import pytest

from aitasker_cli.sandbox.seed import seed_state

TEAM = next(a["team_id"] for a in seed_state()["agents"].values() if a["team_id"])
MISSING = "00000000-0000-4000-8000-000000000000"
TASK = {"category": "marketing", "task_type": "seo-audit", "budget_usd": 40}


def test_a_created_task_gets_bids_and_costs_credit(sandbox: httpx.Client) -> None:
    balance = sandbox.get("/api/v1/a2a/credits/balance").json()["balance_usd"]

    task = sandbox.post("/api/v1/tasks", json=TASK).json()
    gallery = sandbox.get(f"/api/v1/tasks/{task['id']}/bids").json()

    assert task["status"] == "matching" and task["budget_usd"] == 40
    assert sandbox.get(f"/api/v1/tasks/{task['id']}").json() == task
    assert len(gallery["bids"]) == 3 and gallery["task"] == task
    assert all(bid["task_id"] == task["id"] for bid in gallery["bids"])
    assert sandbox.get("/api/v1/a2a/credits/balance").json()["balance_usd"] == balance - 40
    listed = sandbox.get("/api/v1/admin/bids", params={"task_id": task["id"]}).json()
    assert listed["total"] == 3


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({**TASK, "budget_usd": 2}, ["body", "budget_usd"]),
        ({**TASK, "budget_usd": 301}, ["body", "budget_usd"]),
        ({"task_type": "x", "budget_usd": 5}, ["body", "category"]),
        ({**TASK, "budget_usd": "ten"}, ["body", "budget_usd"]),
    ],
)
def test_task_validation(sandbox: httpx.Client, body: dict[str, object], loc: list[str]) -> None:
    response = sandbox.post("/api/v1/tasks", json=body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_unknown_marketplace_task_and_team(sandbox: httpx.Client) -> None:
    assert sandbox.get(f"/api/v1/tasks/{MISSING}").status_code == 404
    assert sandbox.get(f"/api/v1/teams/{MISSING}").json() == {"detail": "Team not found"}


def test_team_is_made_of_its_agents(sandbox: httpx.Client) -> None:
    team = sandbox.get(f"/api/v1/teams/{TEAM}").json()
    dashboard = sandbox.get(f"/api/v1/teams/{TEAM}/dashboard").json()

    members = {m["hired_agent_id"] for m in team["members"]}
    agents = sandbox.get("/api/v1/workspaces/agents", params={"limit": 100}).json()
    assert members == {a["id"] for a in agents if a["team_id"] == TEAM}
    assert dashboard["team"] == team


def test_cycle_and_loop_updates_stick(sandbox: httpx.Client) -> None:
    loop_id = sandbox.get(f"/api/v1/teams/{TEAM}/cycle").json()["loops"][0]["id"]

    sandbox.patch(f"/api/v1/teams/{TEAM}/cycle", json={"name": "Quarterly", "duration_days": 90})
    renamed = sandbox.patch(f"/api/v1/teams/{TEAM}/cycle/loops/{loop_id}", json={"name": "Draft"})
    too_long = sandbox.patch(f"/api/v1/teams/{TEAM}/cycle/loops/{loop_id}", json={"name": ""})
    missing = sandbox.patch(f"/api/v1/teams/{TEAM}/cycle/loops/{MISSING}", json={"name": "x"})

    cycle = sandbox.get(f"/api/v1/teams/{TEAM}/cycle").json()
    assert cycle["cycle"]["name"] == "Quarterly" and cycle["cycle"]["duration_days"] == 90
    assert renamed.json()["name"] == "Draft" == cycle["loops"][0]["name"]
    assert too_long.status_code == 422 and missing.status_code == 404


def test_admin_settings_enums(sandbox: httpx.Client) -> None:
    good = sandbox.patch("/api/v1/admin/teams/acme/settings", json={"requires_brand": "optional"})
    bad = sandbox.patch("/api/v1/admin/teams/acme/settings", json={"requires_brand": "maybe"})

    assert good.json()["settings"] == {"requires_brand": "optional"}
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "requires_brand"]


def test_a2a_json_rpc(sandbox: httpx.Client) -> None:
    def rpc(method: str, **params: object) -> dict[str, object]:
        body = {"jsonrpc": "2.0", "id": method, "method": method, "params": params}
        response = sandbox.post("/api/v1/a2a/rpc", json=body)
        assert response.status_code == 200  # JSON-RPC errors travel in the body
        result: dict[str, object] = response.json()
        return result

    sent = rpc("message/send", message="write a haiku")
    task_id = sent["result"]["id"]  # type: ignore[index]
    cancelled = rpc("tasks/cancel", id=task_id)

    assert cancelled["result"]["status"]["state"] == "canceled"  # type: ignore[index]
    assert rpc("tasks/get", id="nope")["error"]["code"] == -32001  # type: ignore[index]
    assert rpc("tasks/explode")["error"]["code"] == -32601  # type: ignore[index]


def test_developer_agent_registration(sandbox: httpx.Client) -> None:
    good = sandbox.post(
        "/api/developers/agents",
        json={"name": "W", "slug": "w", "endpoint_url": "https://w.example"},
    )
    bad = sandbox.post("/api/developers/agents", json={"name": "W"})

    assert good.json()["status"] == "pending_review"
    assert bad.status_code == 422
