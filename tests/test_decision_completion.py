"""TAB after `tasks approve` and `tasks reject` offers only the tasks awaiting approval, as the
last listing showed them, and forgets a task once it is decided."""

from __future__ import annotations

import subprocess

import pytest

from tests.processes import aitasker, clean_env, installed_script


def tab(env: dict[str, str], words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    offered = subprocess.run(
        [installed_script()],
        env={
            **env,
            "_AITASKER_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return sorted(offered.stdout.split())


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_tab_offers_only_awaiting_tasks_to_decisions(verb: str) -> None:
    env = clean_env()
    listed = aitasker("--sandbox", "tasks", "list", "--all", "-o", "tsv", "--fields", "id,status",
                      env=env)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    awaiting = sorted(task_id for task_id, status in rows if status == "awaiting_approval")
    assert awaiting and len(awaiting) < len(rows)

    assert tab(env, f"aitasker --sandbox tasks {verb} ") == awaiting
    assert tab(env, "aitasker --sandbox tasks show ") == sorted(task_id for task_id, _ in rows)

    reason = ["--reason", "no"] if verb == "reject" else []
    decided = aitasker("--sandbox", "tasks", verb, awaiting[0], "--yes", *reason, env=env)
    assert decided.returncode == 0, decided.stderr
    assert tab(env, f"aitasker --sandbox tasks {verb} ") == awaiting[1:]


def test_tab_completes_the_tasks_verbs() -> None:
    env = clean_env()

    assert tab(env, "aitasker tasks ") == sorted(
        ["list", "inbox", "show", "wait", "approve", "reject"]
    )
    assert tab(env, "aitasker tasks re") == ["reject"]
