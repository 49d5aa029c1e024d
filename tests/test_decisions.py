"""`tasks approve` and `tasks reject` end to end: the installed `aitasker` against `aitasker
sandbox serve` (a loopback API for hostile text and lost answers); every check reads the
tasks back from the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import TASK_ID, TOKEN, WORKSPACE_ID, task, workspace
from tests.loopback import serve
from tests.processes import aitasker, clean_env, on_a_terminal, sandbox_server

TASKS_PATH = f"/api/v1/workspaces/{WORKSPACE_ID}/tasks"


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    base = clean_env()
    with sandbox_server("--agents", "12", "--rate-limit", "0", env=base) as url:
        yield {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": "any"}


def inbox(env: dict[str, str]) -> list[dict[str, Any]]:
    listed = aitasker("tasks", "inbox", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def status_of(env: dict[str, str], one: dict[str, Any]) -> str:
    shown = aitasker("tasks", "show", f"{one['workspace_id']}/{one['id']}", "-o", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    return str(json.loads(shown.stdout)["status"])


def unique_prefix(one: dict[str, Any], others: list[dict[str, Any]]) -> str:
    for length in range(6, 36):
        prefix = one["id"][:length]
        if not any(o["id"].startswith(prefix) for o in others if o["id"] != one["id"]):
            return str(prefix)
    raise AssertionError("no unique prefix")


def test_approve_by_prefix_reports_an_array_and_is_final(env: dict[str, str]) -> None:
    waiting = inbox(env)
    chosen = waiting[0]

    approved = aitasker("tasks", "approve", unique_prefix(chosen, waiting), "--yes",
                        "--reason", "looks right", "-o", "json", env=env)  # fmt: skip

    assert approved.returncode == 0, approved.stderr
    (result,) = json.loads(approved.stdout)
    assert (result["id"], result["outcome"], result["action"]) == (
        chosen["id"],
        "changed",
        "approve",
    )
    assert (result["status_before"], result["status_after"]) == ("awaiting_approval", "approved")
    assert result["task"]["status"] == "approved"
    assert result["fingerprint"] == chosen["fingerprint"]  # what was decided on
    assert result["workspace_id"] == chosen["workspace_id"]
    assert status_of(env, chosen) == "approved"
    operation = result["operation"]
    items = json.loads(aitasker("history", operation, "-o", "json", env=env).stdout)
    assert [(i["id"], i["name"], i["outcome"], i["reason"]) for i in items] == [
        (chosen["id"], chosen["title"], "changed", "looks right")
    ]
    for undo in (["undo", operation, "--yes"], ["undo", "--yes"]):
        refused = aitasker(*undo, env=env)
        assert refused.returncode == 2, refused.stderr
        assert "final" in refused.stderr
    assert status_of(env, chosen) == "approved"


def test_approve_by_workspace_and_task(env: dict[str, str]) -> None:
    chosen = inbox(env)[-1]
    names = json.loads(aitasker("workspaces", "list", "--all", "-o", "json", env=env).stdout)
    name = next(w["name"] for w in names if w["id"] == chosen["workspace_id"])

    for typed in (f"{name}/{chosen['id'][:8]}", f"{chosen['workspace_id'][:8]}/{chosen['id']}"):
        approved = aitasker("tasks", "approve", typed, "--yes", "-o", "json", env=env)
        assert approved.returncode in (0, 9), approved.stderr
    assert status_of(env, chosen) == "approved"


def test_the_inbox_piped_back_decides_exactly_what_was_listed(env: dict[str, str]) -> None:
    waiting = inbox(env)
    assert len(waiting) >= 2
    listed = aitasker("tasks", "inbox", "-o", "id", env=env).stdout

    approved = aitasker("tasks", "approve", "--stdin", "--yes", "-o", "ndjson", env=env,
                        stdin=listed)  # fmt: skip

    assert approved.returncode == 0, approved.stderr
    results = [json.loads(line) for line in approved.stdout.splitlines()]
    assert sorted(r["id"] for r in results) == sorted(t["id"] for t in waiting)
    assert {r["outcome"] for r in results} == {"changed"}
    empty = aitasker("tasks", "inbox", env=env)
    assert (empty.returncode, empty.stdout) == (0, "")
    assert empty.stderr.strip()  # a friendly line


def test_a_fingerprint_on_stdin_acts_as_if_match(env: dict[str, str]) -> None:
    waiting = inbox(env)
    lines = [json.dumps(t) for t in waiting[:2]]
    stale = {**waiting[1], "fingerprint": "0" * 12}
    lines[1] = json.dumps(stale)

    decided = aitasker("tasks", "reject", "--stdin", "--yes", "--reason", "not now",
                       "-o", "ndjson", env=env, stdin="\n".join(lines) + "\n")  # fmt: skip

    assert decided.returncode == 9, decided.stderr
    results = {r["id"]: r for r in map(json.loads, decided.stdout.splitlines())}
    assert results[waiting[0]["id"]]["outcome"] == "changed"
    assert results[waiting[1]["id"]]["outcome"] == "skipped"
    assert results[waiting[1]["id"]]["reason"] == "changed since shown"
    assert status_of(env, waiting[0]) == "rejected"
    assert status_of(env, waiting[1]) == "awaiting_approval"


def test_all_where_approval_level_decides_only_those(env: dict[str, str]) -> None:
    waiting = inbox(env)
    levels = {t["approval_level"] for t in waiting}
    assert levels == {"required", "optional"}  # the sandbox seeds both
    wanted = {t["id"] for t in waiting if t["approval_level"] == "optional"}

    approved = aitasker("tasks", "approve", "--all", "--where", "approval_level=optional",
                        "--yes", "-o", "json", env=env)  # fmt: skip

    assert approved.returncode == 0, approved.stderr
    assert {r["id"] for r in json.loads(approved.stdout)} == wanted
    assert {t["id"] for t in inbox(env)} == {t["id"] for t in waiting} - wanted


def test_a_task_decided_elsewhere_since_it_was_shown_is_skipped(env: dict[str, str]) -> None:
    chosen = inbox(env)[0]
    full = f"{chosen['workspace_id']}/{chosen['id']}"
    shown = aitasker("tasks", "show", full, "-o", "json", env=env)
    fingerprint = json.loads(shown.stdout)["fingerprint"]
    assert f"Fingerprint: {fingerprint}" in shown.stderr

    other = aitasker("tasks", "approve", full, "--yes", "-o", "id", env=env)  # someone else
    assert other.returncode == 0, other.stderr
    late = aitasker("tasks", "reject", full, "--if-match", fingerprint, "--reason", "no",
                    "--yes", "-o", "json", env=env)  # fmt: skip

    assert late.returncode == 9, late.stderr
    (result,) = json.loads(late.stdout)
    assert (result["outcome"], result["reason"]) == ("skipped", "now approved")
    assert status_of(env, chosen) == "approved"


def test_a_wrong_if_match_is_skipped_and_nothing_is_sent(env: dict[str, str]) -> None:
    chosen = inbox(env)[0]

    wrong = aitasker("tasks", "approve", f"{chosen['workspace_id']}/{chosen['id']}",
                     "--if-match", "abcdef012345", "--yes", "-o", "json", env=env)  # fmt: skip

    assert wrong.returncode == 9, wrong.stderr
    assert json.loads(wrong.stdout)[0]["reason"] == "changed since shown"
    assert status_of(env, chosen) == "awaiting_approval"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["reject", "TASK", "--yes"], "needs a reason"),
        (["reject", "TASK", "--yes", "--reason", "  "], "needs a reason"),
        (["approve", "TASK", "TASK2", "--if-match", "abcdef012345", "--yes"], "one task"),
        (["approve", "--all", "--if-match", "abcdef012345", "--yes"], "one task"),
        (["approve", "TASK", "--if-match", "nope", "--yes"], "not a fingerprint"),
        (["approve", "TASK"], "without confirmation"),
        (["approve", "--all", "TASK", "--yes"], "do not mix"),
        (["reject", "TASK", "--reason", "x", "--reason-file", "f", "--yes"], "do not mix"),
    ],
)
def test_usage_errors_are_exit_2_and_send_nothing(
    env: dict[str, str], argv: list[str], said: str
) -> None:
    waiting = inbox(env)
    ids = {"TASK": waiting[0]["id"], "TASK2": waiting[1]["id"]}

    refused = aitasker("tasks", *[ids.get(word, word) for word in argv], env=env)

    assert refused.returncode == 2, refused.stderr
    assert said in refused.stderr
    assert len(inbox(env)) == len(waiting)


def test_dry_run_reads_each_task_and_sends_nothing(env: dict[str, str]) -> None:
    waiting = inbox(env)
    aitasker("tasks", "approve", waiting[0]["id"], "--yes", env=env)

    dry = aitasker("tasks", "reject", waiting[0]["id"], waiting[1]["id"], "--reason", "x",
                   "--dry-run", "-o", "json", env=env)  # fmt: skip

    assert dry.returncode == 0, dry.stderr
    assert [(r["outcome"], r.get("reason")) for r in json.loads(dry.stdout)] == [
        ("would_skip", "now approved"),
        ("would_change", None),
    ]
    assert status_of(env, waiting[1]) == "awaiting_approval"


def test_a_terminal_shows_the_task_and_asks(env: dict[str, str]) -> None:
    chosen = inbox(env)[0]

    code, screen, _out = on_a_terminal(
        ["tasks", "approve", chosen["id"], "-o", "id"], env, b"y\n", b"[y/N]"
    )

    assert code == 0, screen
    assert chosen["title"] in screen and '"publish": {' in screen
    assert "Approve 1 task? This cannot be undone." in screen
    assert status_of(env, chosen) == "approved"


def test_a_no_on_a_terminal_sends_nothing(env: dict[str, str]) -> None:
    chosen = inbox(env)[0]

    code, screen, _out = on_a_terminal(
        ["tasks", "reject", chosen["id"], "--reason", "x"], env, b"n\n", b"[y/N]"
    )

    assert code == 2, screen
    assert status_of(env, chosen) == "awaiting_approval"


HOSTILE = "\x1b]8;;http://evil\x07link\x1b]8;;\x07 \u202eevil\u202c [red]markup[/red]"


def _hostile_api(api: Any, decided: list[str]) -> None:
    hostile = task(
        status="awaiting_approval",
        title=HOSTILE,
        proposed_actions={"run": "\x1b[2J" + HOSTILE},
    )
    api.reply("GET", f"{TASKS_PATH}/{TASK_ID}", 200, hostile)
    api.reply("GET", "/api/v1/workspaces", 200, {"items": [workspace()], "total": 1,
                                                 "limit": 50, "offset": 0})  # fmt: skip
    api.reply("GET", TASKS_PATH, 200, {"items": [hostile], "total": 1, "limit": 50, "offset": 0})
    api.reply("GET", "/api/v1/workspaces/agents", 200, {"items": [], "total": 0, "limit": 50,
                                                        "offset": 0})  # fmt: skip

    def approve(_query: Any) -> tuple[int, Any]:
        decided.append("approve")
        return 200, {**hostile, "status": "approved"}

    api.routes[("POST", f"{TASKS_PATH}/{TASK_ID}/approve")] = approve


def test_hostile_titles_and_actions_are_shown_literally_in_the_question() -> None:
    with serve() as api:
        decided: list[str] = []
        _hostile_api(api, decided)
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)

        code, screen, _out = on_a_terminal(
            ["tasks", "approve", f"{WORKSPACE_ID}/{TASK_ID}"], env, b"n\n", b"[y/N]"
        )

    assert code == 2, screen
    assert decided == []
    assert "\x1b]8;;" not in screen and "\x1b[2J" not in screen and "\u202e" not in screen
    assert "[red]markup[/red]" in screen and "\\x1b]8;;http://evil" in screen


def test_a_decision_whose_answer_is_lost_is_read_again_never_resent() -> None:
    with serve() as api:
        decided: list[str] = []
        _hostile_api(api, decided)

        def lost(_query: Any) -> tuple[int, Any]:
            decided.append("approve")
            return 504, {"detail": "Gateway Timeout"}

        api.routes[("POST", f"{TASKS_PATH}/{TASK_ID}/approve")] = lost
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)

        cut = aitasker("tasks", "approve", f"{WORKSPACE_ID}/{TASK_ID}", "--yes", "-o", "json",
                       env=env)  # fmt: skip

    assert decided == ["approve"]
    assert cut.returncode == 9, cut.stderr
    (result,) = json.loads(cut.stdout)
    assert (result["outcome"], result["status_after"]) == ("interrupted", "awaiting_approval")


def test_an_unknown_task_on_stdin_is_exit_3_and_nothing_is_sent(env: dict[str, str]) -> None:
    waiting = inbox(env)
    unknown = "00000000-0000-4000-8000-000000000000"

    refused = aitasker("tasks", "approve", "--stdin", "--yes", env=env,
                       stdin=f"{waiting[0]['id']}\n{unknown}\n")  # fmt: skip

    assert refused.returncode == 3, refused.stderr
    assert unknown in refused.stderr and "nothing was sent" in refused.stderr
    assert len(inbox(env)) == len(waiting)
