"""What `agents list` prints, in every format, pipes into `agents pause --stdin` (issue 10.6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.processes import aitasker, clean_env


def _statuses(env: dict[str, str]) -> dict[str, str]:
    listed = aitasker("--sandbox", "agents", "list", "--all", "-o", "ndjson", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    return {row["id"]: row["status"] for row in rows}


@pytest.mark.parametrize("fmt", [None, "tsv", "csv", "json", "ndjson", "id"])
def test_each_list_format_pipes_into_pause_and_pauses_exactly_the_listed(
    tmp_path: Path, fmt: str | None
) -> None:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))
    before = _statuses(env)
    active = [agent_id for agent_id, status in before.items() if status == "active"]
    assert len(active) >= 2, before
    chosen = active[:2]
    format_options = [] if fmt is None else ["-o", fmt]  # None: the piped default (tsv)

    listed = aitasker(
        "--sandbox",
        "agents",
        "list",
        "--status",
        "active",
        "--limit",
        "2",
        *format_options,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    paused = aitasker(
        "--sandbox", "agents", "pause", "--stdin", "-o", "id", stdin=listed.stdout, env=env
    )

    assert paused.returncode == 0, paused.stderr
    assert sorted(paused.stdout.split()) == sorted(chosen)
    after = _statuses(env)
    assert {i for i, s in after.items() if s != before[i]} == set(chosen)
    assert all(after[i] == "paused" for i in chosen)


def test_a_table_is_not_input_and_nothing_is_sent(tmp_path: Path) -> None:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))
    before = _statuses(env)
    listed = aitasker("--sandbox", "agents", "list", "-o", "table", env=env)

    paused = aitasker("--sandbox", "agents", "pause", "--stdin", stdin=listed.stdout, env=env)

    assert paused.returncode == 2
    assert "nothing was sent" in paused.stderr and "-o id" in paused.stderr
    assert _statuses(env) == before
