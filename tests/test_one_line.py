"""A server name with a line break stays on its line in messages and questions (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.processes import aitasker, clean_env, with_stderr_on_a_terminal
from tests.test_stdin_terminal import Terminal

BREAKS = "Evil\nName\u2028x\u2029y\u0085z\r\nw"
SHOWN = "Evil\\nName\\u2028x\\u2029y\\x85z\\r\\nw"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))


def hostile_agent(env: dict[str, str]) -> str:
    """The first active agent, renamed with every kind of line break; its ID."""
    listed = aitasker("--sandbox", "agents", "list", "--status", "active", "-o", "id", env=env)
    agent_id = listed.stdout.split()[0]
    state = Path(env["AITASKER_SANDBOX_DIR"]) / "sandbox.json"
    data = json.loads(state.read_text())
    data["agents"][agent_id]["display_name"] = BREAKS
    state.write_text(json.dumps(data))
    return agent_id


def test_paused_message_is_one_line(env: dict[str, str]) -> None:
    agent_id = hostile_agent(env)

    _out, shown, code = with_stderr_on_a_terminal("--sandbox", "agents", "pause", agent_id, env=env)

    assert code == 0, shown
    told = [line for line in shown.splitlines() if line.startswith("Paused")]
    assert told == [f"Paused {SHOWN} ({agent_id[:8]}). Operation: {told[0].split()[-1]}"]
    assert not any(line.startswith(("Name", "x", "y", "z", "w")) for line in shown.splitlines())


def test_confirmation_question_is_one_line(env: dict[str, str]) -> None:
    hostile_agent(env)
    terminal = Terminal(
        "--sandbox", "agents", "pause", "--all", "--where", "status=active", env=env
    )
    try:
        assert terminal.read_until(b"[y/N]", 30), terminal.text
        terminal.type(b"n\n")
        code = terminal.exit_code_within(10)
    finally:
        terminal.close()

    assert code == 2, terminal.text
    question = next(line for line in terminal.text.splitlines() if "[y/N]" in line)
    assert question.startswith("Pause ") and SHOWN in question
