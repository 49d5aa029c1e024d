"""On a terminal, stderr says what a command did (issue 10.4); stdout keeps only the data."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import aitasker, clean_env, with_stderr_on_a_terminal


def _with_stderr_on_a_terminal(*argv: str, env: dict[str, str]) -> tuple[str, str]:
    out, screen, code = with_stderr_on_a_terminal(*argv, env=env)
    assert code == 0, screen
    return out, screen


def test_a_single_pause_says_what_happened_on_the_terminal_only(tmp_path: Path) -> None:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path))
    listed = aitasker("--sandbox", "agents", "list", "--status", "active", "-o", "json", env=env)
    first = json.loads(listed.stdout)[0]

    out, screen = _with_stderr_on_a_terminal(
        "--sandbox", "agents", "pause", first["id"], "-o", "id", env=env
    )
    again = aitasker("--sandbox", "agents", "resume", first["id"], "-o", "id", env=env)

    assert out == first["id"] + "\n"
    told, operation = screen.rstrip("\n").split(". Operation: ")
    assert told == f"Paused {first['display_name']} ({first['id'][:8]})"
    assert again.stdout == first["id"] + "\n"
    assert again.stderr.startswith("Operation: ") and again.stderr.count("\n") == 1
    assert operation not in again.stderr


def test_a_list_cut_by_limit_says_so_on_the_terminal_only(tmp_path: Path) -> None:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path))

    out, screen = _with_stderr_on_a_terminal(
        "--sandbox", "agents", "list", "--limit", "2", "-o", "id", env=env
    )
    piped = aitasker("--sandbox", "agents", "list", "--limit", "2", "-o", "id", env=env)
    everything = aitasker("--sandbox", "agents", "list", "--all", "-o", "id", env=env)
    _, whole = _with_stderr_on_a_terminal(
        "--sandbox", "agents", "list", "--limit", "1000", "-o", "id", env=env
    )

    assert len(out.split()) == 2 and out == piped.stdout
    assert screen == "Showing 2 agents; more exist: use --all or --limit N\n"
    assert piped.stderr == ""
    assert len(everything.stdout.split()) > 2 and whole == ""
