"""`--stdin` on a terminal: one Ctrl-D ends the input (issue 18.17), in a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import aitasker, clean_env, installed_script

CTRL_D = b"\x04"
PROMPT = b"end with Ctrl-D"


class Terminal:
    """The installed script with stdin, stdout and stderr on one pseudo-terminal."""

    def __init__(self, *argv: str, env: dict[str, str]) -> None:
        self.leader, follower = pty.openpty()
        self.process = subprocess.Popen(
            [installed_script(), *argv],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env={**env, "TERM": "xterm-256color", "NO_COLOR": "1"},
            start_new_session=True,
        )
        os.close(follower)
        self.shown = b""

    def read_until(self, wanted: bytes, seconds: float) -> bool:
        """Read what the terminal shows until `wanted` appears; whether it did in time."""
        deadline = time.monotonic() + seconds
        while wanted not in self.shown and time.monotonic() < deadline:
            if select.select([self.leader], [], [], 0.05)[0]:
                try:
                    self.shown += os.read(self.leader, 65536)
                except OSError:  # the child is gone and the terminal with it
                    break
        return wanted in self.shown

    def type(self, keys: bytes) -> None:
        os.write(self.leader, keys)

    def exit_code_within(self, seconds: float) -> int | None:
        """The exit code, if the process ends within `seconds`; what it shows is kept."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.read_until(b"\x00never\x00", 0.05)
            if self.process.poll() is not None:
                self.read_until(b"\x00never\x00", 0.2)
                return self.process.returncode
        return None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        os.close(self.leader)

    @property
    def text(self) -> str:
        return self.shown.decode(errors="replace").replace("\r\n", "\n")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))


def test_one_ctrl_d_with_nothing_typed_ends_it_with_exit_2(env: dict[str, str]) -> None:
    terminal = Terminal("--sandbox", "agents", "pause", "--stdin", env=env)
    try:
        assert terminal.read_until(PROMPT, 30), terminal.text
        terminal.type(CTRL_D)
        code = terminal.exit_code_within(5)
    finally:
        terminal.close()

    assert code == 2, terminal.text
    assert "no agent IDs came on stdin" in terminal.text
    assert "Pass AGENT_ID arguments" not in terminal.text


def test_one_ctrl_d_after_blank_lines_ends_it(env: dict[str, str]) -> None:
    terminal = Terminal("--sandbox", "agents", "resume", "--stdin", env=env)
    try:
        assert terminal.read_until(PROMPT, 30), terminal.text
        terminal.type(b"\n  \n")
        terminal.type(CTRL_D)
        code = terminal.exit_code_within(5)
    finally:
        terminal.close()

    assert code == 2, terminal.text
    assert "no agent IDs came on stdin" in terminal.text


def test_ids_typed_then_one_ctrl_d_are_paused(env: dict[str, str]) -> None:
    listed = aitasker("--sandbox", "agents", "list", "--status", "active", "-o", "id", env=env)
    chosen = listed.stdout.split()[:2]
    terminal = Terminal("--sandbox", "agents", "pause", "--stdin", "-o", "ndjson", env=env)
    try:
        assert terminal.read_until(PROMPT, 30), terminal.text
        terminal.type("".join(f"{agent_id}\n" for agent_id in chosen).encode())
        terminal.type(CTRL_D)
        code = terminal.exit_code_within(15)
    finally:
        terminal.close()

    assert code == 0, terminal.text
    results = [json.loads(line) for line in terminal.text.splitlines() if line.startswith("{")]
    assert sorted(result["id"] for result in results) == sorted(chosen)  # in completion order
    assert all(result["outcome"] == "changed" for result in results)
