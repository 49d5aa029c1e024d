"""The installed `aitasker` script, as a separate process, over real HTTP on loopback.

A stub server plays the failures a real API can have; `aitasker sandbox serve` plays the API.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.sandbox.seed import seed_state
from tests.conftest import AGENT_ID, TOKEN, agent, uuid_n
from tests.loopback import LoopbackApi, serve
from tests.processes import (
    aitasker,
    clean_env,
    installed_script,
    sandbox_server,
    with_stderr_on_a_terminal,
)

AGENTS_PATH = "/api/v1/workspaces/agents"


@pytest.fixture
def loopback() -> Iterator[LoopbackApi]:
    with serve() as api:
        yield api


@pytest.fixture
def env(tmp_path: Path, loopback: LoopbackApi) -> dict[str, str]:
    return clean_env(
        AITASKER_CONFIG_DIR=str(tmp_path), AITASKER_API_URL=loopback.url, AITASKER_TOKEN=TOKEN
    )


def bash(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_pause_over_real_http(loopback: LoopbackApi, env: dict[str, str]) -> None:
    loopback.reply("POST", f"{AGENTS_PATH}/{AGENT_ID}/pause", 200, agent(status="paused"))

    completed = aitasker("agents", "pause", AGENT_ID, "-o", "tsv", "--fields", "id,status", env=env)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"{AGENT_ID}\tpaused\n"
    looked_up, (method, path, headers) = loopback.requests
    assert looked_up[:2] == ("GET", f"{AGENTS_PATH}/{AGENT_ID}")  # the status before
    assert (method, path) == ("POST", f"{AGENTS_PATH}/{AGENT_ID}/pause")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"].startswith("aitasker-cli/")


def test_not_found_and_unavailable_exit_codes(loopback: LoopbackApi, env: dict[str, str]) -> None:
    not_found = aitasker("agents", "show", AGENT_ID, env=env)
    refused = aitasker(
        "agents", "list", "--api-url", "http://127.0.0.1:9", "--retries", "0", env=env
    )

    assert not_found.returncode == 3 and "Not Found" in not_found.stderr
    assert refused.returncode == 7 and "cannot reach" in refused.stderr


def test_pipe_closed_early_exits_0_quietly(loopback: LoopbackApi, env: dict[str, str]) -> None:
    fleet = [agent(id=uuid_n(n), display_name="x" * 200) for n in range(5000)]
    loopback.routes[("GET", AGENTS_PATH)] = lambda query: (
        200,
        fleet[int(query["offset"][0]) : int(query["offset"][0]) + int(query["limit"][0])],
    )

    pipeline = bash(f"'{installed_script()}' agents list --all -o ndjson | head -1", env)
    status = bash(
        f"set -o pipefail; '{installed_script()}' agents list --all -o tsv | head -1", env
    )

    assert pipeline.stdout.count("\n") == 1
    assert pipeline.stderr == ""
    assert status.returncode == 0 and status.stderr == ""


def test_ctrl_c_during_a_request_exits_130(loopback: LoopbackApi, env: dict[str, str]) -> None:
    loopback.delay = 5
    process = subprocess.Popen(
        [installed_script(), "agents", "list"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not loopback.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)

    assert process.returncode == 130
    assert err == "Interrupted.\n"
    assert out == ""


def test_login_without_keyring_fails_closed_as_a_process(
    loopback: LoopbackApi, env: dict[str, str], tmp_path: Path
) -> None:
    del env["AITASKER_TOKEN"]

    completed = aitasker("auth", "login", "--with-token", env=env, stdin=TOKEN)

    assert completed.returncode == 4
    assert "nothing was stored" in completed.stderr
    assert list(tmp_path.iterdir()) == []
    assert loopback.requests == []


def test_insecure_storage_round_trip(
    loopback: LoopbackApi, env: dict[str, str], tmp_path: Path
) -> None:
    del env["AITASKER_TOKEN"]
    loopback.reply("GET", "/api/v1/workspaces", 200, [])
    loopback.reply("GET", f"{AGENTS_PATH}/{AGENT_ID}", 200, agent())

    login = aitasker("auth", "login", "--with-token", "--insecure-storage", env=env, stdin=TOKEN)
    shown = aitasker("agents", "show", AGENT_ID, "-o", "id", env=env)
    logout = aitasker("auth", "logout", env=env)
    after = aitasker("agents", "show", AGENT_ID, env=env)

    assert login.returncode == 0, login.stderr
    assert shown.stdout == f"{AGENT_ID}\n"
    assert logout.returncode == 0
    assert after.returncode == 4
    assert all(TOKEN not in path.read_text() for path in tmp_path.rglob("*") if path.is_file())


def test_no_traceback_on_garbage(loopback: LoopbackApi, env: dict[str, str]) -> None:
    loopback.reply("GET", f"{AGENTS_PATH}/{AGENT_ID}", 200, b"\x00\xff garbage {")

    completed: Any = aitasker("agents", "show", AGENT_ID, env=env)

    assert completed.returncode == 7
    assert "Traceback" not in completed.stderr


# --- against `aitasker sandbox serve` ---------------------------------------------------------

SEED = seed_state()
ACTIVE = [a["id"] for a in SEED["agents"].values() if a["status"] == "active"]
CANCELLED = next(a["id"] for a in SEED["agents"].values() if a["status"] == "cancelled")
WORKSPACE = max(  # the one with the most tasks
    SEED["workspaces"], key=lambda w: sum(t["workspace_id"] == w for t in SEED["tasks"].values())
)
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with sandbox_server("--max-page-size", "7", "--rate-limit", "0") as url:
        yield url


@pytest.fixture
def served_env(served: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        AITASKER_API_URL=served, AITASKER_TOKEN=TOKEN, AITASKER_CONFIG_DIR=str(tmp_path)
    )


SERVED_COMMANDS = [
    ["agents", "list", "--all"],
    ["agents", "show", ACTIVE[0]],
    ["agents", "pause", ACTIVE[1]],
    ["agents", "resume", ACTIVE[1]],
    ["workspaces", "list", "--all"],
    ["workspaces", "show", WORKSPACE],
    ["workspaces", "tasks", WORKSPACE, "--all"],
    ["auth", "status"],
]


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv", "tsv", "id"])
@pytest.mark.parametrize("argv", SERVED_COMMANDS, ids=" ".join)
def test_every_command_and_format_against_the_sandbox_server(
    served_env: dict[str, str], argv: list[str], fmt: str
) -> None:
    completed = aitasker(*argv, "-o", fmt, env=served_env)

    assert completed.returncode == 0, completed.stderr
    if fmt in ("json", "ndjson"):
        lines = completed.stdout.splitlines() if fmt == "ndjson" else [completed.stdout]
        assert all(json.loads(line) not in ({}, []) for line in lines)
    if argv[:2] == ["agents", "list"] and fmt == "id":
        assert len(completed.stdout.split()) == 24  # every page, though the server caps at 7


@pytest.mark.parametrize(
    ("argv", "exit_code", "message"),
    [
        (["agents", "show", MISSING], 3, "Hired agent not found"),
        (["workspaces", "tasks", MISSING], 3, "Workspace not found"),
        (["agents", "pause", CANCELLED], 6, "Cancelled agents cannot be paused"),
        (["agents", "pause", "not-an-id"], 3, "no agent has the ID or name"),
        (
            ["agents", "list", "--api-url", "http://127.0.0.1:9", "--retries", "0"],
            7,
            "cannot reach",
        ),
    ],
)
def test_exit_codes_against_the_sandbox_server(
    served_env: dict[str, str], argv: list[str], exit_code: int, message: str
) -> None:
    completed = aitasker(*argv, env=served_env)

    assert completed.returncode == exit_code
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_no_token_is_exit_4_against_the_sandbox_server(served_env: dict[str, str]) -> None:
    del served_env["AITASKER_TOKEN"]

    completed = aitasker("agents", "list", env=served_env)

    assert completed.returncode == 4


def test_rate_limited_sandbox_gives_exit_7_after_retries(tmp_path: Path) -> None:
    with sandbox_server("--rate-limit", "2") as url:
        env = clean_env(
            AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN, AITASKER_CONFIG_DIR=str(tmp_path)
        )
        first = aitasker("agents", "list", "-o", "id", env=env)
        limited = aitasker("agents", "list", "-o", "id", "--retries", "0", env=env)

    assert first.returncode == 0
    assert limited.returncode == 7
    assert "Rate limit exceeded (HTTP 429)" in limited.stderr


def test_list_streams_the_first_item_before_the_last_page(
    loopback: LoopbackApi, env: dict[str, str]
) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(200)]

    def slow_after_first_page(query: dict[str, list[str]]) -> tuple[int, Any]:
        offset = int(query["offset"][0])
        if offset:
            time.sleep(0.5)
        return 200, fleet[offset : offset + int(query["limit"][0])]

    loopback.routes[("GET", AGENTS_PATH)] = slow_after_first_page
    process = subprocess.Popen(
        [installed_script(), "agents", "list", "--all", "-o", "ndjson"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    still_paging = process.poll() is None
    # The rest through the same reader: communicate() would skip what readline() buffered.
    rest = process.stdout.read()
    process.communicate(timeout=60)

    assert json.loads(first)["id"] == uuid_n(0)
    assert still_paging
    assert len(rest.splitlines()) == 199


def test_stdin_pipeline_against_the_sandbox_server(tmp_path: Path) -> None:
    with sandbox_server("--rate-limit", "0") as url:
        env = clean_env(
            AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN, AITASKER_CONFIG_DIR=str(tmp_path)
        )
        script = installed_script()
        pipeline = bash(
            f"'{script}' agents list --all -o ndjson | grep '\"status\": *\"active\"' "
            f"| '{script}' agents pause --stdin --wait -o ndjson",
            env,
        )
        still_active = aitasker("agents", "list", "--status", "active", "-o", "id", env=env)
        everything = bash(f"'{script}' agents list -o id | '{script}' agents resume --stdin", env)

    results = [json.loads(line) for line in pipeline.stdout.splitlines()]
    assert pipeline.returncode == 0, pipeline.stderr
    assert len(results) == len(ACTIVE) and all(r["ok"] for r in results)
    assert all(r["agent"]["status"] == "paused" for r in results)
    assert still_active.stdout == ""
    assert everything.returncode == 9  # the cancelled agents cannot be resumed
    assert "failed" in everything.stderr


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_progress_bar_only_when_stderr_is_a_terminal(tmp_path: Path, fmt: str) -> None:
    """The bar goes to the terminal; every result still goes to stdout, never above the bar."""
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path))
    ids = aitasker("--sandbox", "agents", "list", "--status", "active", "-o", "id", env=env).stdout
    piped = aitasker("--sandbox", "agents", "pause", "--stdin", "-o", "id", env=env, stdin=ids)

    out, shown, _code = with_stderr_on_a_terminal(
        "--sandbox", "agents", "resume", "--stdin", "-o", fmt, env=env, stdin=ids
    )

    assert "resume agents" not in piped.stderr and "%" not in piped.stderr
    assert "resume agents" in shown and "100%" in shown
    results = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
    assert len(results) == len(ids.split())
    assert '"ok"' not in shown


def test_api_and_doctor_against_the_sandbox_server(served_env: dict[str, str]) -> None:
    listed = aitasker(
        "api", "/api/v1/workspaces/agents", "--paginate", "-f", "status=cancelled", env=served_env
    )
    paused = aitasker(
        "api", f"/api/v1/workspaces/agents/{ACTIVE[5]}/pause", "-X", "POST", env=served_env
    )
    missing = aitasker("api", f"/api/v1/workspaces/agents/{MISSING}", env=served_env)
    doctor = aitasker("doctor", "-o", "json", env=served_env)

    assert listed.returncode == 0
    assert {agent["status"] for agent in json.loads(listed.stdout)} == {"cancelled"}
    assert json.loads(paused.stdout)["status"] == "paused"
    assert missing.returncode == 3
    checks = {check["check"]: check["status"] for check in json.loads(doctor.stdout)}
    assert doctor.returncode == 0, doctor.stderr
    assert checks["api"] == "ok" and checks["clock"] == "ok"
