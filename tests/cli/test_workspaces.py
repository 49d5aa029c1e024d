"""`aitasker workspaces ...` through the real entry point."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tests.conftest import AGENT_ID, WORKSPACE_ID, agent, task, uuid_n, workspace

DETAIL = {
    **workspace(),
    "hired_agent": {
        k: v for k, v in agent().items() if k not in ("workspace", "team_id", "team_type")
    },
    "integration_credentials": [{"provider": "linkedin", "connected": True}],
}


def test_list_workspaces(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    route = api.get("/api/v1/workspaces").mock(return_value=httpx.Response(200, json=[workspace()]))

    result = run("workspaces", "list", "--status", "active", "-o", "tsv")

    assert (
        result.stdout
        == f"{WORKSPACE_ID}\tMaya's workspace\tactive\t{AGENT_ID}\t2025-06-10T15:02:44Z\n"
    )
    assert route.calls[0].request.url.params["status"] == "active"


def test_show_workspace_with_its_agent(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}").mock(
        return_value=httpx.Response(200, json=DETAIL)
    )

    table = run("workspaces", "show", WORKSPACE_ID, "-o", "table")
    as_json = run("workspaces", "show", WORKSPACE_ID, "-o", "json")

    assert "HIRED AGENT DISPLAY NAME" in table.stdout and "Maya – Social Media" in table.stdout
    assert as_json.json() == DETAIL


def test_show_workspace_that_is_no_id_or_name(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    listing = api.get("/api/v1/workspaces").mock(
        return_value=httpx.Response(200, json=[workspace()])
    )
    anything_else = api.route().mock(return_value=httpx.Response(500))

    result = run("workspaces", "show", "../agents")

    assert result.exit_code == 3
    assert "no workspace has the ID or name '../agents'" in result.stderr
    assert listing.called and not anything_else.called


def test_tasks_paginate_with_status(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    tasks = [task(id=uuid_n(n)) for n in range(1, 61)]

    def respond(request: httpx.Request) -> httpx.Response:
        assert request.url.params["status"] == "awaiting_approval"
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return httpx.Response(200, json=tasks[offset : offset + limit])

    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}/tasks").mock(side_effect=respond)

    result = run(
        "workspaces",
        "tasks",
        WORKSPACE_ID,
        "--status",
        "awaiting_approval",
        "--all",
        "-o",
        "ndjson",
    )

    assert [line.count('"id"') for line in result.stdout.splitlines()] == [1] * 60


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv", "tsv", "id"])
def test_tasks_every_format(run: Any, api: respx.MockRouter, logged_in: str, fmt: str) -> None:
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}/tasks").mock(
        return_value=httpx.Response(200, json=[task(new_field="kept")])
    )

    result = run("workspaces", "tasks", WORKSPACE_ID, "-o", fmt)

    assert result.exit_code == 0
    assert task()["id"][: 8 if fmt == "table" else 36] in result.stdout  # tables: short IDs
    if fmt in ("json", "ndjson"):
        assert '"new_field": "kept"' in result.stdout or '"new_field":"kept"' in result.stdout


def test_tasks_of_unknown_workspace(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}/tasks").mock(
        return_value=httpx.Response(404, json={"detail": "Workspace not found"})
    )

    result = run("workspaces", "tasks", WORKSPACE_ID)

    assert result.exit_code == 3
    assert "Workspace not found" in result.stderr


@pytest.mark.parametrize(
    ("argv", "known", "foreign"),
    [
        (["workspaces", "list"], "active, paused, archived", "running"),
        (["workspaces", "tasks", WORKSPACE_ID], "queued, running, awaiting_approval", "archived"),
    ],
)
def test_status_help_lists_this_resources_statuses(
    run: Any, argv: list[str], known: str, foreign: str
) -> None:
    help_text = " ".join(run(*argv, "--help").stdout.split())

    assert known in help_text
    assert foreign not in help_text and "e.g." not in help_text


@pytest.mark.parametrize(
    ("argv", "path", "noun", "known"),
    [
        (["workspaces", "list"], "/api/v1/workspaces", "workspace", "archived"),
        (
            ["workspaces", "tasks", WORKSPACE_ID],
            f"/api/v1/workspaces/{WORKSPACE_ID}/tasks",
            "task",
            "awaiting_approval",
        ),
    ],
)
def test_an_unknown_status_is_sent_with_a_warning(
    run: Any,
    api: respx.MockRouter,
    logged_in: str,
    argv: list[str],
    path: str,
    noun: str,
    known: str,
) -> None:
    route = api.get(path).mock(return_value=httpx.Response(200, json=[]))

    result = run(*argv, "--status", "pasued", "-o", "id")

    assert result.exit_code == 0
    assert route.calls[0].request.url.params["status"] == "pasued"
    assert result.stderr.startswith(f"Warning: 'pasued' is not a known {noun} status")
    assert known in result.stderr and result.stderr.count("\n") == 1


def test_a_cut_task_list_says_so_on_a_terminal(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    tasks = [task(id=uuid_n(n)) for n in range(3)]
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}/tasks").mock(
        return_value=httpx.Response(200, json=tasks[:2])
    )
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    result = run("workspaces", "tasks", WORKSPACE_ID, "--limit", "1", "-o", "id")

    assert result.stdout == f"{uuid_n(0)}\n"
    assert result.stderr == "Showing 1 task; more exist: use --all or --limit N\n"


def test_an_unknown_status_close_to_a_known_one_gets_did_you_mean(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/api/v1/workspaces").mock(return_value=httpx.Response(200, json=[]))

    result = run("workspaces", "list", "--status", "Archvied", "-o", "id")

    assert result.exit_code == 0
    assert "did you mean 'archived'?" in result.stderr
