"""TAB after `--status` offers the statuses known for that resource (issue 10.5)."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import WORKSPACE_ID
from tests.processes import clean_env, installed_script


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        ("agents list --status ", ["active", "paused", "cancelled"]),
        ("agents list --status pa", ["paused"]),
        ("workspaces list --status ", ["active", "paused", "archived"]),
        (f"workspaces tasks {WORKSPACE_ID} --status a", ["awaiting_approval", "approved"]),
        (f"workspaces tasks {WORKSPACE_ID} --status r", ["running", "review", "rejected"]),
    ],
)
def test_tab_after_status_offers_that_resources_statuses(words: str, offered: list[str]) -> None:
    line = f"aitasker {words}"
    env = {
        **clean_env(),
        "_AITASKER_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(line.split()) - (0 if line.endswith(" ") else 1)),
    }

    completed = subprocess.run(
        [installed_script()], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == offered
