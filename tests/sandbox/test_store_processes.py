"""`--sandbox` state shared by processes, and a disk or folder that fails."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.errors import SandboxIOError
from aitasker_cli.sandbox.seed import seed_state
from tests.processes import aitasker, installed_script
from tests.sandbox.stores import (
    ACTIVE,
    SEED,
    same_records,
    sandbox_env,
    saved,
    statuses,
)


def test_a_folder_that_cannot_be_made_is_the_sandboxs_own_io_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    store = FileStore(tmp_path / "file" / "sandbox")

    with pytest.raises(SandboxIOError, match="cannot write the sandbox state in") as raised:
        store.reset()

    assert str(store.directory) in raised.value.message


def test_state_persists_between_processes(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)

    paused = aitasker("--sandbox", "agents", "pause", ACTIVE[0], "-o", "id", env=env)
    shown = aitasker("--sandbox", "agents", "show", ACTIVE[0], "-o", "json", env=env)

    assert paused.returncode == shown.returncode == 0, paused.stderr + shown.stderr
    assert json.loads(shown.stdout)["status"] == "paused"
    assert statuses(FileStore(tmp_path), ACTIVE[:2]) == ["paused", "active"]


def test_parallel_invocations_lose_no_update(tmp_path: Path) -> None:
    """Twelve processes pause twelve agents at once; every pause must survive."""
    env = sandbox_env(tmp_path)
    FileStore(tmp_path).reset()
    active = ACTIVE[:12]
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
    assert statuses(FileStore(tmp_path), active) == ["paused"] * len(active)


def test_parallel_bulk_runs_lose_no_update(tmp_path: Path) -> None:
    """Three bulk pauses and a bulk resume, each over its own agents and two threads, at once:
    every change of every run is kept."""
    env = sandbox_env(tmp_path)
    FileStore(tmp_path).reset(agents=400)
    state = seed_state(400)
    active = [a["id"] for a in state["agents"].values() if a["status"] == "active"][:180]
    paused = [a["id"] for a in state["agents"].values() if a["status"] == "paused"][:60]
    runs = [("pause", active[i::3]) for i in range(3)] + [("resume", paused)]
    script = "from aitasker_cli.cli.main import main; main()"

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, "--sandbox", "agents", verb, "--stdin", "-o", "id"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for verb, _ in runs
    ]
    outcomes = [
        process.communicate("\n".join(ids) + "\n", timeout=120)
        for process, (_, ids) in zip(processes, runs, strict=True)
    ]

    assert [p.returncode for p in processes] == [0] * len(runs), outcomes
    store = FileStore(tmp_path)
    assert statuses(store, active) == ["paused"] * len(active)
    assert statuses(store, paused) == ["active"] * len(paused)


def test_a_change_waits_for_another_invocations_write(tmp_path: Path) -> None:
    """While another process holds the write lock, a pause waits its turn instead of failing,
    and what the other wrote is kept beside it."""
    env = sandbox_env(tmp_path)
    store = FileStore(tmp_path)
    store.reset()
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE agents SET status = 'paused' WHERE id = ?", (ACTIVE[1],))
    data = json.dumps({**SEED["agents"][ACTIVE[1]], "status": "paused"})
    other.execute("UPDATE agents SET data = ? WHERE id = ?", (data, ACTIVE[1]))

    pause = subprocess.Popen(
        [installed_script(), "--sandbox", "agents", "pause", ACTIVE[0], "-o", "id"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            pause.wait(timeout=1.5)  # held back by the lock
    finally:
        other.execute("COMMIT")
        other.close()
    out, err = pause.communicate(timeout=60)

    assert pause.returncode == 0, err
    assert out.strip() == ACTIVE[0]
    assert statuses(FileStore(tmp_path), ACTIVE[:2]) == ["paused", "paused"]


KILLED_MID_WRITE = """
import os, signal, sys
from pathlib import Path
from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.fleet import Fleet

with FileStore(Path(sys.argv[1])).session(write=True) as tables:
    for agent_id in sys.argv[2:]:
        Fleet(tables).pause(agent_id)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_kill_mid_write_leaves_the_previous_state(tmp_path: Path) -> None:
    FileStore(tmp_path).reset()

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_WRITE, str(tmp_path), *ACTIVE[:3]],
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert killed.returncode == -9, killed.stderr
    assert same_records(saved(FileStore(tmp_path)), SEED)


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


FULL_DISK = """
import json, resource, signal, sys
from pathlib import Path
import httpx
from aitasker_cli.core.errors import LocalIOError
from aitasker_cli.sandbox.embedded import EmbeddedSandbox

folder, agent_id = Path(sys.argv[1]), sys.argv[2]
client = httpx.Client(
    transport=httpx.WSGITransport(app=EmbeddedSandbox(folder)),
    base_url="http://sandbox",
    headers={"Authorization": "Bearer x"},
)
client.get("/api/v1/workspaces/agents")  # opens the database and its shared-memory file
# From here files may not grow past what they are: SQLite's next write fails with EFBIG, as
# on a full disk (SIGXFSZ, which would kill the process, is ignored).
limit = max(p.stat().st_size for p in folder.iterdir())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
big = {"config": {"notes": ["x" * 1000] * 600}}
try:
    client.patch(f"/api/v1/workspaces/agents/{agent_id}", json=big)
except LocalIOError as exc:
    print(json.dumps([int(exc.exit_code), exc.message]))
"""


def test_a_full_disk_during_a_write_is_exit_10_and_keeps_the_old_state(tmp_path: Path) -> None:
    FileStore(tmp_path).reset()

    child = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path), ACTIVE[0]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert child.returncode == 0, child.stderr
    exit_code, message = json.loads(child.stdout)
    assert exit_code == 10 and str(tmp_path / "sandbox.db") in message
    assert same_records(saved(FileStore(tmp_path)), SEED)
