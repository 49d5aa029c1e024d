"""A server name with a line break stays on its line in messages and questions (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import AGENT_ID, TOKEN, agent, uuid_n
from tests.loopback import LoopbackApi, serve
from tests.processes import clean_env, with_stderr_on_a_terminal
from tests.test_stdin_terminal import Terminal

AGENTS_PATH = "/api/v1/workspaces/agents"
BREAKS = "Evil\nName\u2028x\u2029y\u0085z\r\nw"
SHOWN = "Evil\\nName\\u2028x\\u2029y\\x85z\\r\\nw"


@pytest.fixture
def loopback() -> Iterator[LoopbackApi]:
    with serve() as api:
        yield api


@pytest.fixture
def env(tmp_path: Path, loopback: LoopbackApi) -> dict[str, str]:
    return clean_env(
        AITASKER_CONFIG_DIR=str(tmp_path), AITASKER_API_URL=loopback.url, AITASKER_TOKEN=TOKEN
    )


def test_paused_message_is_one_line(loopback: LoopbackApi, env: dict[str, str]) -> None:
    loopback.reply("GET", f"{AGENTS_PATH}/{AGENT_ID}", 200, agent(display_name=BREAKS))
    paused = agent(display_name=BREAKS, status="paused")
    loopback.reply("POST", f"{AGENTS_PATH}/{AGENT_ID}/pause", 200, paused)

    _out, shown, code = with_stderr_on_a_terminal("agents", "pause", AGENT_ID, env=env)

    assert code == 0, shown
    told = [line for line in shown.splitlines() if line.startswith("Paused")]
    assert len(told) == 1 and told[0].startswith(f"Paused {SHOWN} ({AGENT_ID[:8]})"), shown
    assert not any(line.startswith(("Name", "x", "y", "z", "w")) for line in shown.splitlines())


def test_confirmation_question_is_one_line(loopback: LoopbackApi, env: dict[str, str]) -> None:
    fleet = [agent(id=uuid_n(1), display_name=BREAKS), agent(id=uuid_n(2), display_name="Bo")]
    loopback.routes[("GET", AGENTS_PATH)] = lambda query: (
        200,
        fleet if query.get("offset", ["0"])[0] == "0" else [],
    )
    terminal = Terminal("agents", "pause", "--all", "--where", "status=active", env=env)
    try:
        assert terminal.read_until(b"[y/N]", 30), terminal.text
        terminal.type(b"n\n")
        code = terminal.exit_code_within(10)
    finally:
        terminal.close()

    assert code == 2, terminal.text
    question = next(line for line in terminal.text.splitlines() if "[y/N]" in line)
    assert question.startswith(f"Pause 2 agents ({SHOWN}, Bo)?"), terminal.text
