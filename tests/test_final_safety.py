"""The edges of final actions and the inputs that feed them: what a stranger found, kept found.

Unit tests of the pure parts (stdin parsing, the question), and the installed `aitasker`
against `aitasker sandbox serve` where the whole run matters.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator

import pytest

from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.actions import APPROVE
from aitasker_cli.ops import bulk
from aitasker_cli.ops.final import WIDEST, final_confirmation
from aitasker_cli.ops.targets import Target
from aitasker_cli.ops.task_input import read_task_lines
from tests.conftest import TASK_ID, WORKSPACE_ID, task
from tests.processes import aitasker, clean_env, sandbox_server


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    base = clean_env()
    with sandbox_server("--agents", "12", "--rate-limit", "0", env=base) as url:
        yield {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": "any"}


def listed(env: dict[str, str], *argv: str) -> list[dict[str, object]]:
    done = aitasker(*argv, "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_undo_from_results_of_a_final_action_is_refused(env: dict[str, str]) -> None:
    agent = listed(env, "agents", "list", "--status", "active")[0]
    cancelled = aitasker("agents", "cancel", str(agent["id"]), "--yes", "-o", "ndjson", env=env)
    waiting = listed(env, "tasks", "inbox")[0]
    approved = aitasker("tasks", "approve", str(waiting["id"]), "--yes", "-o", "ndjson", env=env)

    for results in (cancelled.stdout, approved.stdout):
        for argv in (["--dry-run"], ["--yes"]):
            refused = aitasker("undo", "--from", "-", *argv, env=env, stdin=results)
            assert refused.returncode == 2, refused.stderr
            assert "final" in refused.stderr
    status = {a["id"]: a["status"] for a in listed(env, "agents", "list", "--all")}
    assert status[agent["id"]] == "cancelled"  # no resume was sent


def test_a_reader_that_leaves_does_not_stop_a_confirmed_run(env: dict[str, str]) -> None:
    active = {a["id"] for a in listed(env, "agents", "list", "--status", "active")}
    assert len(active) > 2

    piped = subprocess.run(
        ["/bin/bash", "-c", "aitasker agents pause --all --yes -o ndjson -j 1 | head -1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert piped.returncode == 0, piped.stderr
    assert len(piped.stdout.splitlines()) == 1
    assert listed(env, "agents", "list", "--status", "active") == []  # every one was paused
    history = listed(env, "history")
    assert history[0]["changed"] == len(active)


def test_tasks_list_with_a_limit_shows_the_oldest(env: dict[str, str]) -> None:
    every = listed(env, "tasks", "list", "--all")

    few = listed(env, "tasks", "list", "--limit", "5")

    assert [t["id"] for t in few] == [t["id"] for t in every[:5]]


def test_a_long_ndjson_line_is_read_back() -> None:
    big = task(proposed_actions={"draft": "x" * 50_000}, fingerprint="abcdef012345")
    lines = bulk.read_stdin(io.StringIO(json.dumps(big) + "\n"))

    (line,) = read_task_lines(lines)

    assert (line.task_id, line.workspace_id, line.fingerprint) == (
        TASK_ID,
        WORKSPACE_ID,
        "abcdef012345",
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a\rb,c\n", "not CSV"),
        (
            json.dumps(task()) + "\n" + json.dumps(task(workspace_id=TASK_ID)) + "\n",
            "two workspaces",
        ),
    ],
)
def test_bad_task_lines_are_usage_errors(text: str, said: str) -> None:
    with pytest.raises(UsageError, match=said):
        read_task_lines(bulk.read_stdin(io.StringIO(text)))


def test_an_upper_case_fingerprint_is_the_same_fingerprint() -> None:
    (line,) = read_task_lines([f"{TASK_ID}\tsome title\tABCDEF012345"])

    assert line.fingerprint == "abcdef012345"


def test_the_question_keeps_each_line_short() -> None:
    huge = task(title="t" * 300_000, proposed_actions={"body": "b" * 300_000})
    target = Target(TASK_ID, APPROVE, name=huge["title"], agent=huge, within=WORKSPACE_ID)

    asked = final_confirmation(APPROVE, [target], {})

    assert all(len(line) <= WIDEST for line in asked.details)
    assert sum(map(len, asked.details)) < 1000


@pytest.mark.parametrize("reason", ["\u200b\u200b", "\x00\x00", " \t "])
def test_a_reason_with_nothing_to_read_is_no_reason(env: dict[str, str], reason: str) -> None:
    waiting = listed(env, "tasks", "inbox")[0]

    refused = aitasker("tasks", "reject", str(waiting["id"]), "--reason-file", "-", "--yes",
                       env=env, stdin=reason)  # fmt: skip

    assert refused.returncode == 2, refused.stderr
    assert "needs a reason" in refused.stderr
