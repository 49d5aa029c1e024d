"""A sandbox that moves, as the installed `aitasker` sees it: `sandbox serve --tick` and
`--sandbox` with AITASKER_SANDBOX_TICK move tasks along their lifecycle, never agents."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.processes import aitasker, clean_env, sandbox_server

STEP = {"queued": 0, "approved": 0, "running": 1, "completed": 2, "failed": 2}
"""How far along its lifecycle each status a tick gives or takes is."""
FINAL = ("completed", "failed")


def get(url: str, path: str) -> Any:
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def fleet(url: str) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """Every agent, every workspace, and every task by ID, straight from the API."""
    agents = get(url, "/api/v1/workspaces/agents?limit=100")
    workspaces = get(url, "/api/v1/workspaces?limit=100")
    tasks = {
        t["id"]: t
        for w in workspaces
        for t in get(url, f"/api/v1/workspaces/{w['id']}/tasks?limit=100")
    }
    return agents, workspaces, tasks


def forward_only(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The tasks whose status changed; each one only forward along the lifecycle."""
    changed = {i for i in before if after[i]["status"] != before[i]["status"]}
    for task_id in changed:
        old, new = before[task_id]["status"], after[task_id]["status"]
        assert old in STEP and STEP[new] > STEP[old], (task_id, old, new)
    return changed


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(AITASKER_TOKEN=TOKEN, AITASKER_CONFIG_DIR=str(tmp_path / "config"))


def test_served_with_a_tick_an_approved_task_runs_and_ends_while_agents_stay(
    env: dict[str, str],
) -> None:
    with sandbox_server("--tick", "0.5", "--rate-limit", "0") as url:
        env = {**env, "AITASKER_API_URL": url}
        agents, workspaces, tasks = fleet(url)
        task = next(t for t in tasks.values() if t["status"] == "awaiting_approval")
        ref = f"{task['workspace_id']}/{task['id']}"

        approved = aitasker("tasks", "approve", ref, "--yes", env=env)
        assert approved.returncode == 0, approved.stderr

        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            shown = aitasker("tasks", "show", ref, "-o", "json", env=env)
            assert shown.returncode == 0, shown.stderr
            now = json.loads(shown.stdout)
            if not seen or seen[-1]["status"] != now["status"]:
                seen.append(now)
            if now["status"] in FINAL:
                break
            time.sleep(0.25)
        time.sleep(1.5)  # a few more ticks
        agents_after, workspaces_after, tasks_after = fleet(url)

    # approved, running if a poll came between two ticks, then completed or failed.
    statuses = [s["status"] for s in seen]
    assert statuses[0] in ("approved", "running") and statuses[-1] in FINAL, statuses
    assert statuses[1:-1] in ([], ["running"]), statuses
    ended = seen[-1]
    assert ended["approved_at"] <= ended["started_at"] <= ended["completed_at"]
    for running in seen[:-1]:
        if running["status"] == "running":
            assert running["completed_at"] is None
            assert running["started_at"] == ended["started_at"]
    # Agents and workspaces stay exactly as they were; other tasks moved only forward.
    assert (agents_after, workspaces_after) == (agents, workspaces)
    others = {i: t for i, t in tasks.items() if i != task["id"]}
    assert forward_only(others, tasks_after)
    assert {t["status"] for t in tasks_after.values() if t["id"] not in tasks} <= {
        "awaiting_approval"
    }


@pytest.mark.parametrize("tick", ["-1", "nan", "inf", "1e9", "soon"])
def test_a_tick_that_is_not_seconds_is_exit_2(tick: str, env: dict[str, str]) -> None:
    refused = aitasker("sandbox", "serve", "--port", "0", "--tick", tick, env=env)

    assert refused.returncode == 2
    assert "Invalid value for '--tick'" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert refused.stdout == ""


def test_served_with_tick_0_nothing_moves(env: dict[str, str]) -> None:
    with sandbox_server("--tick", "0") as url:
        before = fleet(url)
        time.sleep(1.2)
        assert fleet(url) == before


def test_the_in_process_sandbox_moves_by_the_time_between_commands(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "AITASKER_SANDBOX_DIR": str(tmp_path / "sandbox")}
    ticking = {**env, "AITASKER_SANDBOX_TICK": "0.25"}

    def listing(environment: dict[str, str], *what: str) -> dict[str, Any]:
        done = aitasker("--sandbox", *what, "--all", "-o", "json", env=environment)
        assert done.returncode == 0, done.stderr
        return {item["id"]: item for item in json.loads(done.stdout)}

    agents = listing(env, "agents", "list")
    first = listing(ticking, "tasks", "list")  # starts the clock
    time.sleep(1.5)
    second = listing(ticking, "tasks", "list")

    assert len(forward_only(first, second)) >= 3
    assert listing(ticking, "agents", "list") == agents
    # Without the variable the fleet is still again, whatever time goes by.
    third = listing(env, "tasks", "list")
    time.sleep(0.6)
    assert listing(env, "tasks", "list") == third


def test_a_tick_variable_that_is_not_seconds_is_exit_2(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "AITASKER_SANDBOX_DIR": str(tmp_path), "AITASKER_SANDBOX_TICK": "-3"}

    refused = aitasker("--sandbox", "agents", "list", env=env)

    assert refused.returncode == 2
    assert "AITASKER_SANDBOX_TICK" in refused.stderr and refused.stdout == ""
