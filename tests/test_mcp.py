"""`aitasker mcp` driven by the MCP SDK's own client, against the embedded sandbox (`--sandbox`)
and against `aitasker sandbox serve` over HTTP: what it offers, every tool, the journal, and
`undo` from the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.sandbox.seed import seed_state
from tests.conftest import TOKEN
from tests.processes import aitasker, clean_env, sandbox_server
from tests.test_mcp_support import (
    CHANGE_TOOLS,
    FINAL_TOOLS,
    READ_TOOLS,
    Server,
    history,
    mcp_server,
    sdk,
)

STATE = seed_state()
AGENTS = list(STATE["agents"].values())
ACTIVE = [agent for agent in AGENTS if agent["status"] == "active"]
PAUSED = [agent for agent in AGENTS if agent["status"] == "paused"]
APIS = ["embedded", "served"]


@contextmanager
def api(kind: str) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The flags and environment of a server on the embedded sandbox, or on `sandbox serve`
    with a token (which must never be shown)."""
    if kind == "embedded":
        yield ["--sandbox"], clean_env()
        return
    with sandbox_server("--rate-limit", "0") as url:
        yield ["--api-url", url], clean_env(AITASKER_TOKEN=TOKEN)


@contextmanager
def serving(
    kind: str, tmp_path: Path, *allow: str
) -> Iterator[tuple[Server, list[str], dict[str, str]]]:
    sdk()
    with api(kind) as (flags, env), mcp_server(*flags, *allow, env=env, log=tmp_path / "log") as s:
        yield s, flags, env


def test_read_only_by_default_with_hints_and_object_schemas(tmp_path: Path) -> None:
    with serving("embedded", tmp_path) as (server, _flags, _env):
        tools = server.tools()

    assert [tool.name for tool in tools] == READ_TOOLS
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert tool.description and tool.title


def test_a_tool_not_allowed_is_neither_listed_nor_callable(tmp_path: Path) -> None:
    from mcp import MCPError

    with serving("embedded", tmp_path) as (server, _flags, env):
        with pytest.raises(MCPError, match="Unknown tool: 'pause_agents'"):
            server.call("pause_agents", {"agents": [ACTIVE[0]["id"]]})
        agent = server.data("show_agent", {"agent": ACTIVE[0]["id"]})

    assert agent["status"] == "active"
    assert history(env, "--sandbox") == []


@pytest.mark.parametrize(
    ("allow", "names"),
    [
        (["--allow-changes"], READ_TOOLS + CHANGE_TOOLS),
        (["--allow-final"], READ_TOOLS + CHANGE_TOOLS + FINAL_TOOLS),
        (["--allow-changes", "--allow-final"], READ_TOOLS + CHANGE_TOOLS + FINAL_TOOLS),
    ],
)
def test_the_flags_offer_changes_and_final_actions_with_their_hints(
    tmp_path: Path, allow: list[str], names: list[str]
) -> None:
    with serving("embedded", tmp_path, *allow) as (server, _flags, _env):
        tools = {tool.name: tool for tool in server.tools()}

    assert list(tools) == names
    hints = {
        name: (a.read_only_hint, a.destructive_hint, a.idempotent_hint)
        for name, tool in tools.items()
        if (a := tool.annotations) is not None and name not in READ_TOOLS
    }
    assert hints["pause_agents"] == hints["resume_agents"] == (False, False, True)
    assert hints["undo"] == (False, False, False)
    assert tools["undo"].input_schema["required"] == ["operation"]
    for name in FINAL_TOOLS if "--allow-final" in allow else ():
        assert hints[name][1] is True
    if "--allow-final" in allow:
        assert tools["reject_tasks"].input_schema["required"] == ["tasks", "reason"]
        assert "if_match" in tools["approve_tasks"].input_schema["properties"]


@pytest.mark.parametrize("kind", APIS)
def test_every_read_tool(tmp_path: Path, kind: str) -> None:
    first = ACTIVE[0]
    [workspace] = [w for w in STATE["workspaces"].values() if w["hired_agent_id"] == first["id"]]
    with serving(kind, tmp_path) as (server, _flags, _env):
        listed = server.data("list_agents", {"limit": 3})
        paused = server.data("list_agents", {"status": "paused", "limit": 1000})
        by_name = server.data("show_agent", {"agent": first["display_name"]})
        by_prefix = server.data("show_agent", {"agent": first["id"][:8]})
        workspaces = server.data("list_workspaces", {"limit": 1000})
        inbox = server.data("list_tasks", {"status": "awaiting_approval", "limit": 1000})
        task = inbox["tasks"][0]
        theirs = server.data("list_tasks", {"workspace": task["workspace_id"][:8]})
        twins = server.error("list_tasks", {"workspace": "Maya's workspace"})
        shown = server.data("show_task", {"task": task["id"][:8]})
        by_path = server.data("show_task", {"task": f"{task['workspace_id']}/{task['id']}"})
        journal = server.data("history")

    assert [agent["id"] for agent in listed["agents"]] == [agent["id"] for agent in AGENTS[:3]]
    assert listed["more"] is True
    assert {agent["id"] for agent in paused["agents"]} == {agent["id"] for agent in PAUSED}
    assert paused["more"] is False
    assert by_name == by_prefix
    assert by_name["id"] == first["id"] and by_name["workspace"]["id"] == workspace["id"]
    assert len(workspaces["workspaces"]) == len(STATE["workspaces"])
    awaiting = [t for t in STATE["tasks"].values() if t["status"] == "awaiting_approval"]
    assert {t["id"] for t in inbox["tasks"]} == {t["id"] for t in awaiting}
    created = [t["created_at"] for t in inbox["tasks"]]
    assert created == sorted(created)  # oldest first
    assert all(len(t["fingerprint"]) == 12 for t in inbox["tasks"])
    assert {t["workspace_id"] for t in theirs["tasks"]} == {task["workspace_id"]}
    assert task["id"] in [t["id"] for t in theirs["tasks"]]
    assert twins["exit_code"] == 2  # two workspaces have that name: both are listed
    assert twins["message"].startswith('"Maya\'s workspace" matches 2 workspaces: ')
    assert shown == by_path and shown["fingerprint"] == task["fingerprint"]
    assert journal == {"operations": [], "more": False}


@pytest.mark.parametrize("kind", APIS)
def test_a_pause_is_journaled_as_mcp_and_undone_from_the_terminal(
    tmp_path: Path, kind: str
) -> None:
    one, two = ACTIVE[0], ACTIVE[1]
    with serving(kind, tmp_path, "--allow-changes") as (server, flags, env):
        paused = server.data("pause_agents", {"agents": [one["display_name"], two["id"][:6]]})
        again = server.data("pause_agents", {"agents": [one["id"]]})
        journal = server.data("history", {"operation": paused["operation"]})
        undone = aitasker(*flags, "undo", paused["operation"], "--yes", "-o", "json", env=env)
        after = [server.data("show_agent", {"agent": a["id"]})["status"] for a in (one, two)]
        log = server.stderr()

    assert paused["ok"] is True and paused["dry_run"] is False
    assert paused["counts"] == {"changed": 2}
    assert [r["id"] for r in paused["results"]] == [one["id"], two["id"]]
    assert {(r["outcome"], r["status_before"], r["status_after"]) for r in paused["results"]} == {
        ("changed", "active", "paused")
    }
    assert {r["operation"] for r in paused["results"]} == {paused["operation"]}
    assert paused["results"][0]["agent"]["status"] == "paused"
    assert again["results"][0]["outcome"] == "unchanged" and again["operation"] is None
    [operation] = journal["operations"]
    assert operation["origin"] == "mcp" and operation["action"] == "pause"
    assert sorted(item["id"] for item in journal["items"]) == sorted([one["id"], two["id"]])
    assert undone.returncode == 0, undone.stderr
    assert {r["outcome"] for r in json.loads(undone.stdout)} == {"changed"}
    assert after == ["active", "active"]
    listed = history(env, *flags)
    assert [(op["action"], op["origin"]) for op in listed] == [
        ("undo", "terminal"),
        ("pause", "mcp"),
    ]
    assert (
        f"pause_agents: pause: 2 of 2 agents done, 0 failed. Operation {paused['operation']}" in log
    )


def test_resume_a_dry_run_and_undo_as_tools(tmp_path: Path) -> None:
    agent = PAUSED[0]
    with serving("embedded", tmp_path, "--allow-changes") as (server, _flags, env):
        dry = server.data("resume_agents", {"agents": [agent["id"]], "dry_run": True})
        resumed = server.data("resume_agents", {"agents": [agent["display_name"]]})
        undone = server.data("undo", {"operation": resumed["operation"]})
        redone = server.data("undo", {"operation": undone["operation"][:-2]})
        status = server.data("show_agent", {"agent": agent["id"]})["status"]
        missing = server.error("undo", {"operation": "20000101T000000-000000"})

    assert dry["operation"] is None and dry["dry_run"] is True
    assert [r["outcome"] for r in dry["results"]] == ["would_change"]
    assert resumed["results"][0]["status_after"] == "active"
    assert undone["action"] == "undo" and undone["results"][0]["status_after"] == "paused"
    assert redone["results"][0]["status_after"] == "active" and status == "active"
    assert missing["exit_code"] == 3
    assert [op["action"] for op in history(env, "--sandbox")] == ["undo", "undo", "resume"]


def test_decisions_and_cancel_with_allow_final(tmp_path: Path) -> None:
    with serving("embedded", tmp_path, "--allow-final") as (server, _flags, env):
        inbox = server.data("list_tasks", {"status": "awaiting_approval"})["tasks"]
        first, second, third = inbox[0], inbox[1], inbox[2]
        approved = server.data(
            "approve_tasks",
            {"tasks": [first["id"]], "if_match": {first["id"]: first["fingerprint"]}},
        )
        stale = server.data(
            "reject_tasks",
            {
                "tasks": [second["id"][:8]],
                "reason": "off brand",
                "if_match": {second["id"][:8]: "000000000000"},
            },
        )
        rejected = server.data("reject_tasks", {"tasks": [third["id"]], "reason": "off brand"})
        no_reason = server.error("reject_tasks", {"tasks": [second["id"]], "reason": "  "})
        wrong_key = server.error(
            "approve_tasks", {"tasks": [second["id"]], "if_match": {"other": "0" * 12}}
        )
        dry = server.data("cancel_agents", {"agents": [ACTIVE[2]["id"]], "dry_run": True})
        cancelled = server.data("cancel_agents", {"agents": [ACTIVE[2]["display_name"]]})
        final = server.error("undo", {"operation": cancelled["operation"]})

    assert approved["ok"] is True and approved["results"][0]["outcome"] == "changed"
    assert approved["results"][0]["task"]["status"] == "approved"
    assert stale["ok"] is False
    assert stale["results"][0]["outcome"] == "skipped"
    assert stale["results"][0]["reason"] == "changed since shown"
    assert rejected["results"][0]["status_after"] == "rejected"
    assert no_reason["exit_code"] == 2 and "reason" in no_reason["message"]
    assert wrong_key["exit_code"] == 2 and "if_match" in wrong_key["message"]
    assert dry["results"][0]["outcome"] == "would_change" and dry["operation"] is None
    assert cancelled["results"][0]["status_after"] == "cancelled"
    assert final["exit_code"] == 2 and "final" in final["message"]
    listed = history(env, "--sandbox")
    assert [(op["action"], op["origin"]) for op in listed] == [
        ("cancel", "mcp"),
        ("reject", "mcp"),
        ("approve", "mcp"),
    ]


def test_arguments_that_do_not_fit_are_a_tool_error(tmp_path: Path) -> None:
    with serving("embedded", tmp_path, "--allow-changes") as (server, _flags, env):
        errors: list[dict[str, Any]] = [
            server.error("show_agent", {}),
            server.error("show_agent", {"agent": "x", "agnt": "y"}),
            server.error("list_agents", {"limit": 0}),
            server.error("pause_agents", {"agents": []}),
            server.error("pause_agents", {"agents": "all"}),
            server.error("show_agent", {"agent": 1888}),
        ]
        log = server.stderr()

    assert {error["exit_code"] for error in errors} == {2}
    assert "'agent' is a required property" in errors[0]["message"]
    assert "'agnt' was unexpected" in errors[1]["message"]
    assert history(env, "--sandbox") == []
    assert "serving 9 tools on stdio (changes allowed)" in log


def test_a_task_named_twice_keeps_its_fingerprint_and_reasons_must_be_visible(
    tmp_path: Path,
) -> None:
    with serving("embedded", tmp_path, "--allow-final") as (server, _flags, _env):
        inbox = server.data("list_tasks", {"status": "awaiting_approval"})["tasks"]
        first, second = inbox[0], inbox[1]
        twice = server.data(
            "approve_tasks",
            {"tasks": [first["id"], first["id"][:8]], "if_match": {first["id"][:8]: "0" * 12}},
        )
        clashing = server.error(
            "approve_tasks",
            {
                "tasks": [first["id"], first["id"][:8]],
                "if_match": {first["id"]: "1" * 12, first["id"][:8]: "2" * 12},
            },
        )
        upper = server.data(
            "approve_tasks",
            {
                "tasks": [second["id"]],
                "if_match": {second["id"]: second["fingerprint"].upper()},
                "dry_run": True,
            },
        )
        invisible = server.error("reject_tasks", {"tasks": [second["id"]], "reason": "\u200b"})

    (result,) = twice["results"]
    assert (result["outcome"], result["reason"]) == ("skipped", "changed since shown")
    assert clashing["exit_code"] == 2 and "two fingerprints" in clashing["message"]
    assert upper["results"][0]["outcome"] == "would_change"
    assert invisible["exit_code"] == 2 and "reason" in invisible["message"]


def test_change_calls_made_at_once_are_sent_one_after_another(tmp_path: Path) -> None:
    import anyio

    with serving("embedded", tmp_path, "--allow-final") as (server, _flags, env):
        agent = ACTIVE[3]["id"]

        async def both() -> list[Any]:
            found: list[Any] = []

            async def one() -> None:
                found.append(await server._session.call_tool("cancel_agents", {"agents": [agent]}))

            async with anyio.create_task_group() as group:
                for _ in range(3):
                    group.start_soon(one)
            return found

        answers = server._portal.call(both)

    outcomes = sorted(
        json.loads(answer.content[0].text)["results"][0]["outcome"] for answer in answers
    )
    assert outcomes == ["changed", "unchanged", "unchanged"]  # one cancel sent, not three
    assert [op["action"] for op in history(env, "--sandbox")] == ["cancel"]
