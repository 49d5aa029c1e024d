"""`--sandbox` state: kept between invocations, shared safely by parallel ones, reset on demand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.errors import UsageError
from aitasker_cli.sandbox.seed import seed_state
from aitasker_cli.sandbox.store import FileStore


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


@pytest.mark.parametrize(
    "content", ["{", "[]", '{"agents": {}}', '{"agents": 1, "workspaces": {}, "tasks": {}}']
)
def test_damaged_state_is_a_clear_error(tmp_path: Path, content: str) -> None:
    store = FileStore(tmp_path)
    store.path.write_text(content)

    with pytest.raises(UsageError, match="damaged"), store.session(write=False):
        pass


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
