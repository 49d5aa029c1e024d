"""`agents cancel` end to end: final, asked for on a terminal by name, short ID or count,
journaled, and never undone. The installed `aitasker` runs against `aitasker sandbox serve`
(and a loopback API for hostile names), and the fleet is read back from the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import AGENT_ID, TOKEN, agent
from tests.loopback import serve
from tests.processes import aitasker, clean_env, on_a_terminal, sandbox_server

AGENTS_PATH = "/api/v1/workspaces/agents"


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    base = clean_env()
    with sandbox_server("--agents", "30", "--rate-limit", "0", env=base) as url:
        yield {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": "any"}


def fleet(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    listed = aitasker("agents", "list", "--all", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    return {item["id"]: item for item in json.loads(listed.stdout)}


def in_status(env: dict[str, str], status: str) -> list[dict[str, Any]]:
    return [item for item in fleet(env).values() if item["status"] == status]


def test_cancel_one_agent_reports_an_array_and_is_final(env: dict[str, str]) -> None:
    target = in_status(env, "active")[0]

    cancelled = aitasker("agents", "cancel", target["id"], "--yes", "-o", "json", env=env)

    assert cancelled.returncode == 0, cancelled.stderr
    (result,) = json.loads(cancelled.stdout)  # an array, even for one agent
    assert (result["id"], result["outcome"], result["action"]) == (
        target["id"],
        "changed",
        "cancel",
    )
    assert (result["status_before"], result["status_after"]) == ("active", "cancelled")
    assert result["agent"]["status"] == "cancelled"
    assert fleet(env)[target["id"]]["status"] == "cancelled"
    operation = result["operation"]
    assert f"Operation: {operation}" in cancelled.stderr

    history = json.loads(aitasker("history", "-o", "json", env=env).stdout)
    assert (history[0]["id"], history[0]["action"], history[0]["final"]) == (
        operation,
        "cancel",
        True,
    )
    items = json.loads(aitasker("history", operation, "-o", "json", env=env).stdout)
    assert [(i["id"], i["before"], i["after"], i["outcome"]) for i in items] == [
        (target["id"], "active", "cancelled", "changed")
    ]
    for undo in (["undo", operation, "--yes"], ["undo", "--yes"]):
        refused = aitasker(*undo, env=env)
        assert refused.returncode == 2, refused.stderr
        assert "final" in refused.stderr
    assert fleet(env)[target["id"]]["status"] == "cancelled"


def test_cancelling_a_cancelled_agent_is_unchanged_and_succeeds(env: dict[str, str]) -> None:
    gone = in_status(env, "cancelled")[0]

    again = aitasker("agents", "cancel", gone["id"], "-o", "json", env=env)

    assert again.returncode == 0, again.stderr  # nothing to send: nothing to confirm
    (result,) = json.loads(again.stdout)
    assert result["outcome"] == "unchanged"
    assert result["agent"]["status"] == "cancelled"  # shown as it is, since nothing was sent


def test_without_a_terminal_cancel_needs_yes_and_sends_nothing(env: dict[str, str]) -> None:
    targets = [item["id"] for item in in_status(env, "active")[:2]]

    for argv in (targets[:1], targets, ["--all"], ["--stdin"]):
        refused = aitasker("agents", "cancel", *argv, env=env, stdin="\n".join(targets))
        assert refused.returncode == 2, refused.stderr
        assert "without confirmation" in refused.stderr and "--yes" in refused.stderr
    assert all(fleet(env)[i]["status"] == "active" for i in targets)


def test_dry_run_sends_nothing_and_says_what_would_change(env: dict[str, str]) -> None:
    active, paused = in_status(env, "active")[0], in_status(env, "paused")[0]
    gone = in_status(env, "cancelled")[0]

    dry = aitasker("agents", "cancel", active["id"], paused["id"], gone["id"], "--dry-run",
                   "-o", "json", env=env)  # fmt: skip

    assert dry.returncode == 0, dry.stderr
    assert [r["outcome"] for r in json.loads(dry.stdout)] == [
        "would_change",
        "would_change",
        "unchanged",
    ]
    assert fleet(env)[active["id"]]["status"] == "active"
    assert "history" not in aitasker("history", "-o", "json", env=env).stdout


PROMPT = b"to confirm: "


@pytest.mark.parametrize("answer", ["name", "short"])
def test_a_terminal_asks_for_the_name_or_short_id(env: dict[str, str], answer: str) -> None:
    target = in_status(env, "active")[0]
    typed = target["display_name"] if answer == "name" else target["id"][:8]

    code, screen, out = on_a_terminal(
        ["agents", "cancel", target["id"], "-o", "id"], env, typed.encode() + b"\n", PROMPT
    )

    assert code == 0, screen
    assert "Cancel 1 agent? This cannot be undone. Type its name or short ID" in screen
    assert f"{target['display_name']} ({target['id'][:8]}), active" in screen
    assert out == f"{target['id']}\n"
    assert fleet(env)[target["id"]]["status"] == "cancelled"


@pytest.mark.parametrize("wrong", [b"y\n", b"\n", b"yes\n", b"1\n"])
def test_a_wrong_answer_cancels_nothing(env: dict[str, str], wrong: bytes) -> None:
    target = in_status(env, "active")[0]

    code, screen, _out = on_a_terminal(["agents", "cancel", target["id"]], env, wrong, PROMPT)

    assert code == 2, screen
    assert "not confirmed" in screen
    assert fleet(env)[target["id"]]["status"] == "active"
    assert aitasker("history", "-o", "json", env=env).stdout.strip() == "[]"


def test_several_agents_want_their_count(env: dict[str, str]) -> None:
    targets = [item["id"] for item in in_status(env, "paused")]
    assert len(targets) >= 2

    code, screen, _out = on_a_terminal(
        ["agents", "cancel", "--all", "--where", "status=paused"], env, b"1\n", PROMPT
    )
    assert code == 2, screen
    assert f"Cancel {len(targets)} agents? This cannot be undone. Type {len(targets)} to" in screen

    code, screen, _out = on_a_terminal(
        ["agents", "cancel", *targets], env, f"{len(targets)}\n".encode(), PROMPT
    )
    assert code == 0, screen
    assert all(fleet(env)[i]["status"] == "cancelled" for i in targets)


HOSTILE = "\x1b[31mred\x1b[0m \u202eevil\u202c [bold]markup[/bold]"


def test_hostile_names_are_shown_literally_in_the_question() -> None:
    with serve() as api:
        listed = agent(display_name=HOSTILE)
        api.reply("GET", AGENTS_PATH, 200, {"items": [listed], "total": 1, "limit": 50,
                                            "offset": 0})  # fmt: skip
        api.reply("GET", f"{AGENTS_PATH}/{AGENT_ID}", 200, listed)
        api.reply("POST", f"{AGENTS_PATH}/{AGENT_ID}/cancel", 200, agent(status="cancelled"))
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)

        code, screen, _out = on_a_terminal(["agents", "cancel", AGENT_ID], env, b"no\n", PROMPT)

        assert code == 2, screen
        assert "\x1b[31m" not in screen and "\u202e" not in screen
        assert "\\x1b[31mred\\x1b[0m" in screen and "[bold]markup[/bold]" in screen
        assert not [r for r in api.requests if r[0] == "POST"]


@pytest.mark.parametrize(("made", "outcome", "code"), [(True, "changed", 0),
                                                     (False, "interrupted", 9)])  # fmt: skip
def test_a_cancel_whose_answer_is_lost_is_read_again_not_resent(
    made: bool, outcome: str, code: int
) -> None:
    with serve() as api:
        calls: list[str] = []

        def lost(_query: Any) -> tuple[int, Any]:
            calls.append("cancel")
            return 502, {"detail": "Bad Gateway"}

        def show(_query: Any) -> tuple[int, Any]:
            # A 502 may come after the change was made: read again, it tells.
            return 200, agent(status="cancelled" if calls and made else "active")

        api.routes[("GET", f"{AGENTS_PATH}/{AGENT_ID}")] = show
        api.routes[("POST", f"{AGENTS_PATH}/{AGENT_ID}/cancel")] = lost
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)

        done = aitasker("agents", "cancel", AGENT_ID, "--yes", "-o", "json", env=env)

        assert calls == ["cancel"], done.stderr  # never resent
        assert done.returncode == code, done.stderr
        (result,) = json.loads(done.stdout)
        assert result["outcome"] == outcome
        if not made:
            assert result["ok"] is False and "not resent" in result["reason"]
