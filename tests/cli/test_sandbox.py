"""`--sandbox` on any command, and `aitasker sandbox reset`, in-process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import respx

from aitasker_cli.sandbox.seed import seed_state
from tests.processes import aitasker, clean_env

SEED = seed_state()
ACTIVE = next(a for a in SEED["agents"].values() if a["status"] == "active")


def test_sandbox_needs_no_token_and_no_network(run: Any, api: respx.MockRouter) -> None:
    result = run("--sandbox", "agents", "list", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == list(SEED["agents"])
    assert not api.calls


def test_env_var_turns_the_sandbox_on(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AITASKER_SANDBOX", "1")

    assert run("workspaces", "list", "-o", "id").stdout.split() == list(SEED["workspaces"])


def test_a_pause_persists_between_invocations(run: Any) -> None:
    paused = run("--sandbox", "agents", "pause", ACTIVE["id"], "-o", "json")
    shown = run("agents", "show", ACTIVE["id"], "--sandbox", "-o", "json")

    assert paused.json()["status"] == "paused"
    assert shown.json()["status"] == "paused"
    assert shown.json()["paused_at"] == paused.json()["paused_at"]


def test_sandbox_errors_have_the_contract_exit_codes(run: Any) -> None:
    cancelled = next(a["id"] for a in SEED["agents"].values() if a["status"] == "cancelled")

    missing = run("--sandbox", "agents", "show", "00000000-0000-4000-8000-000000000000")
    conflict = run("--sandbox", "agents", "resume", cancelled)

    assert missing.exit_code == 3 and "Hired agent not found" in missing.stderr
    assert conflict.exit_code == 6 and "Cancelled agents cannot be resumed" in conflict.stderr


WRONG_ROUTE = """
import sys
from aitasker_cli.domain import routes
routes.ROUTES["agents.pause"] = routes.Route(sys.argv[1], sys.argv[2], confirmed=False)
sys.argv[1:3] = []
from aitasker_cli.cli.main import main
main()
"""
"""`aitasker` with one route of the client's table changed before anything else is imported,
as an edit to aitasker_cli/domain/routes.py would change it."""


@pytest.mark.parametrize(
    ("method", "path", "exit_code", "detail"),
    [
        pytest.param("POST", "/api/v1/agents/{agent_id}/pause", 3, "Not Found", id="path"),
        pytest.param(
            "PUT", "/api/v1/workspaces/agents/{agent_id}/pause", 6, "Method Not Allowed", id="verb"
        ),
    ],
)
def test_a_client_route_unlike_the_api_description_fails_in_the_sandbox(
    tmp_path: Path, method: str, path: str, exit_code: int, detail: str
) -> None:
    """The sandbox routes by its own table, so `--sandbox` catches a client route that the API
    description does not have, instead of agreeing with it."""
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path))
    argv = ["--sandbox", "agents", "pause", ACTIVE["id"]]

    paused = subprocess.run(
        [sys.executable, "-c", WRONG_ROUTE, method, path, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    shown = aitasker("--sandbox", "agents", "show", ACTIVE["id"], "-o", "json", env=env)

    assert paused.returncode == exit_code, paused.stderr
    assert detail in paused.stderr and paused.stdout == ""
    assert json.loads(shown.stdout)["status"] == "active"


def test_sandbox_auth_status(run: Any) -> None:
    result = run("--sandbox", "auth", "status", "-o", "json")

    assert result.exit_code == 0
    assert result.json()["source"] == "sandbox" and result.json()["verified"] is True


def test_reset_restores_the_seed(run: Any, tmp_path: Path) -> None:
    run("--sandbox", "agents", "pause", ACTIVE["id"])

    reset = run("sandbox", "reset")
    shown = run("--sandbox", "agents", "show", ACTIVE["id"], "-o", "json")

    assert reset.exit_code == 0 and "24 agents" in reset.stderr
    assert shown.json()["status"] == "active"
    listed = run("--sandbox", "agents", "list", "--all", "-o", "ndjson")
    agents = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [{k: v for k, v in a.items() if k != "workspace"} for a in agents] == list(
        SEED["agents"].values()
    )


def test_reset_with_a_bigger_fleet(run: Any) -> None:
    run("sandbox", "reset", "--agents", "120")

    listed = run("--sandbox", "agents", "list", "--all", "-o", "id")

    assert len(listed.stdout.split()) == 120


def test_damaged_sandbox_state_is_explained(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "sandbox" / "sandbox.db"
    path.parent.mkdir()
    path.write_bytes(b"{oops" * 1000)

    result = run("--sandbox", "agents", "list")
    reset = run("sandbox", "reset")
    listed = run("--sandbox", "agents", "list", "-o", "id")

    assert result.exit_code == 2
    assert str(path) in result.stderr and "aitasker sandbox reset" in result.stderr
    assert reset.exit_code == 0 and listed.stdout.split() == list(SEED["agents"])


@pytest.mark.parametrize(
    ("table", "field", "value"),
    [
        ("agents", "status", 3),
        ("agents", "config", None),
        ("workspaces", "name", ["x"]),
        ("workspaces", "status", {"done": True}),
    ],
)
@pytest.mark.parametrize("command", [("agents", "list"), ("workspaces", "list", "-o", "json")])
def test_state_edited_into_wrong_types_is_exit_2_naming_the_file(
    run: Any, tmp_path: Path, table: str, field: str, value: Any, command: tuple[str, ...]
) -> None:
    """Every agent listed brings its workspace, and every workspace listed is read, so a
    broken first agent or workspace fails both listings."""
    assert run("--sandbox", "auth", "status").exit_code == 0  # makes the database
    record = dict(next(iter(SEED[table].values())))
    record[field] = value
    path = tmp_path / "sandbox" / "sandbox.db"
    db = sqlite3.connect(path)
    with db:
        db.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (json.dumps(record), record["id"]))
    db.close()

    result = run("--sandbox", *command)

    if table == "agents" and command[0] == "workspaces":
        assert result.exit_code == 0, result.stderr  # the agents are not read
        return
    assert result.exit_code == 2, result.stderr
    assert str(path) in result.stderr and field in result.stderr
    assert result.stdout == ""


def test_an_older_versions_sandbox_json_carries_on(run: Any, tmp_path: Path) -> None:
    state = seed_state()
    state["agents"][ACTIVE["id"]]["status"] = "paused"
    (tmp_path / "sandbox").mkdir()
    (tmp_path / "sandbox" / "sandbox.json").write_text(json.dumps(state))

    shown = run("--sandbox", "agents", "show", ACTIVE["id"], "-o", "json")

    assert shown.json()["status"] == "paused"
