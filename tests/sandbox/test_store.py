"""`--sandbox` state: kept between invocations, shared safely by parallel ones, reset on demand."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.sandbox.errors import SandboxIOError, SandboxStateError
from aitasker_cli.sandbox.seed import seed_state
from aitasker_cli.sandbox.store import FileStore
from tests.processes import aitasker, clean_env, installed_script


def test_first_use_seeds_and_saves(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "sandbox")

    with store.session(write=False) as fleet:
        count = len(fleet.agents)

    assert count == 24
    assert json.loads(store.path.read_text()) == seed_state()


def test_changes_persist_between_stores(tmp_path: Path) -> None:
    agent_id = next(a["id"] for a in seed_state()["agents"].values() if a["status"] == "active")
    with FileStore(tmp_path).session(write=True) as fleet:
        fleet.pause(agent_id)

    with FileStore(tmp_path).session(write=False) as fleet:
        assert fleet.get_agent(agent_id)["status"] == "paused"


def test_a_failed_request_saves_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.reset()
    before = store.path.read_text()
    cancelled = next(a["id"] for a in seed_state()["agents"].values() if a["status"] == "cancelled")

    with pytest.raises(Exception), store.session(write=True) as fleet:  # noqa: B017 - ApiProblem
        fleet.pause(cancelled)

    assert store.path.read_text() == before


def test_reset_restores_the_seed(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with store.session(write=True) as fleet:
        for agent_id in list(fleet.agents):
            fleet.cancel(agent_id)

    store.reset(agents=30)

    assert json.loads(store.path.read_text()) == seed_state(30)


def edited(change: str) -> str:
    """The seeded state as JSON, after a hand edit of its first agent, workspace or task."""
    state = seed_state()
    agent, workspace, task = (
        next(iter(state[t].values())) for t in ("agents", "workspaces", "tasks")
    )
    if change == "status is a number":
        agent["status"] = 3
    elif change == "config is a list":
        agent["config"] = [1, 2]
    elif change == "display_name is missing":
        del agent["display_name"]
    elif change == "workspace settings are null":
        workspace["settings"] = None
    elif change == "task cost is text":
        task["cost_usd"] = "0.4"
    elif change == "an id is not a UUID":
        task["workspace_id"] = "../x"
    elif change == "an agent is a list":
        state["agents"][agent["id"]] = [agent]
    return json.dumps(state)


TABLES = '"agents": {}, "workspaces": {}, "tasks": {}'
HAND_EDITS = (
    "status is a number",
    "config is a list",
    "display_name is missing",
    "workspace settings are null",
    "task cost is text",
    "an id is not a UUID",
    "an agent is a list",
)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{", id="not JSON"),
        pytest.param("[]", id="a list"),
        pytest.param('{"agents": {}}', id="tables missing"),
        pytest.param('{"agents": 1, "workspaces": {}, "tasks": {}}', id="agents a number"),
        pytest.param('{"agents": [], "workspaces": {}, "tasks": {}}', id="agents a list"),
        pytest.param("{" + TABLES + ', "x": ' + "[" * 1000 + "]" * 1000 + "}", id="1000 deep"),
        pytest.param("{" + TABLES + ', "x": ' + "[" * 100 + "]" * 100 + "}", id="100 deep"),
        pytest.param("{" + TABLES + ', "x": NaN}', id="NaN"),
        pytest.param("{" + TABLES + ', "x": "\\ud800"}', id="lone surrogate"),
        *(pytest.param(edited(change), id=change) for change in HAND_EDITS),
    ],
)
def test_damaged_state_is_a_clear_error(tmp_path: Path, content: str) -> None:
    """Whatever a hand edit did, the store says so, naming the file, instead of failing later
    (as a bug, exit 1) on a field that is not what the API documents."""
    store = FileStore(tmp_path)
    store.path.write_text(content, encoding="utf-8")

    with pytest.raises(SandboxStateError, match="damaged") as raised, store.session(write=False):
        pass

    assert str(store.path) in raised.value.message


def test_a_state_from_before_the_marketplace_left_still_loads(tmp_path: Path) -> None:
    """An older version kept marketplace tasks, bids and teams' cycles under `market`; the
    fleet loads as it was, and the next save leaves `market` out."""
    state: dict[str, Any] = seed_state()
    state["market"] = {"tasks": {"t": {"status": "matching"}}, "bids": {}, "cycles": []}
    store = FileStore(tmp_path)
    store.path.write_text(json.dumps(state), encoding="utf-8")
    active = next(a["id"] for a in state["agents"].values() if a["status"] == "active")

    with store.session(write=True) as fleet:
        fleet.pause(active)

    saved = json.loads(store.path.read_text(encoding="utf-8"))
    assert sorted(saved) == ["agents", "tasks", "workspaces"]
    assert saved["agents"][active]["status"] == "paused"
    assert saved["tasks"] == state["tasks"]


def test_a_folder_that_cannot_be_made_is_the_sandboxs_own_io_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    store = FileStore(tmp_path / "file" / "sandbox")

    with pytest.raises(SandboxIOError, match="cannot write the sandbox state in") as raised:
        store.reset()

    assert str(store.directory) in raised.value.message


def test_the_seed_is_sound(tmp_path: Path) -> None:
    """The check that refuses damaged state passes every state the sandbox writes itself."""
    store = FileStore(tmp_path)
    store.reset(agents=200)

    with store.session(write=False) as fleet:
        assert len(fleet.agents) == 200


def test_parallel_invocations_lose_no_update(tmp_path: Path) -> None:
    """Twelve processes pause twelve agents at once; every pause must survive."""
    env: dict[str, Any] = {**os.environ, "AITASKER_SANDBOX_DIR": str(tmp_path)}
    env = {k: v for k, v in env.items() if k != "AITASKER_TOKEN"}
    FileStore(tmp_path).reset()
    active = [a["id"] for a in seed_state()["agents"].values() if a["status"] == "active"][:12]
    script = "from aitasker_cli.cli.main import main; main()"

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, "--sandbox", "agents", "pause", agent_id, "-o", "id"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for agent_id in active
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]

    assert [p.returncode for p in processes] == [0] * len(active), outcomes
    with FileStore(tmp_path).session(write=False) as fleet:
        assert [fleet.get_agent(a)["status"] for a in active] == ["paused"] * len(active)


# --- a folder or disk that refuses to be written ------------------------------------------------


def sandbox_env(directory: Path | str) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(directory))


@pytest.mark.parametrize("where", ["below a file", "under /sys"])
@pytest.mark.parametrize("command", [("--sandbox", "agents", "list"), ("sandbox", "reset")])
def test_an_unwritable_sandbox_folder_is_exit_10(
    tmp_path: Path, where: str, command: tuple[str, ...]
) -> None:
    (tmp_path / "file").write_text("")
    folder = tmp_path / "file" / "sandbox" if where == "below a file" else Path("/sys/aitasker")
    if where == "under /sys" and not Path("/sys/kernel").is_dir():
        pytest.skip("no /sys on this machine")

    result = aitasker(*command, env=sandbox_env(folder))

    assert result.returncode == 10, result.stderr
    assert result.stderr.count("\n") == 1 and str(folder) in result.stderr
    assert "bug" not in result.stderr


def limit_file_size(limit: int) -> None:
    """In the child: files may grow to `limit` bytes, and past it a write fails with EFBIG
    (SIGXFSZ, which would kill the process, is ignored), as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_during_a_pause_is_exit_10_and_keeps_the_old_state(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.reset()
    before = store.path.read_bytes()
    active = next(a["id"] for a in seed_state()["agents"].values() if a["status"] == "active")

    completed = subprocess.run(
        [installed_script(), "--sandbox", "agents", "pause", active],
        capture_output=True,
        text=True,
        env=sandbox_env(tmp_path),
        preexec_fn=lambda: limit_file_size(len(before) // 2),
        timeout=60,
        check=False,
    )

    assert completed.returncode == 10, completed.stderr
    assert completed.stderr.count("\n") == 1 and str(store.path) in completed.stderr
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sandbox.json", "sandbox.lock"]
    with store.session(write=False) as fleet:
        assert fleet.get_agent(active)["status"] == "active"
