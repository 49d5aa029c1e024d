"""`aitasker tasks list`, `tasks inbox` and `tasks show` through the real entry point, with
only HTTP mocked (respx)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.domain.fingerprint import fingerprint
from aitasker_cli.local import cache
from tests.conftest import WORKSPACE_ID, task
from tests.task_fleet import (
    AGENTS,
    WORKSPACES,
    Fleet,
    agent_id,
    listing_requests,
    task_id,
    tasks_path,
    workspace_id,
)

pytestmark = pytest.mark.usefixtures("logged_in")

STATUSES = ("awaiting_approval", "running", "completed")


def sent(api: respx.MockRouter) -> list[str]:
    """Every request, as `PATH?status=S` (paging left out), in no particular order."""
    found = []
    for call in api.calls:
        status = call.request.url.params.get("status")
        found.append(call.request.url.path + (f"?status={status}" if status else ""))
    return sorted(found)


def served(fleet: Fleet, api: respx.MockRouter) -> Fleet:
    fleet.mock(api)
    return fleet


def oldest_first(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in sorted(items, key=lambda item: (item["created_at"], item["id"]))]


# --- tasks list -----------------------------------------------------------------------------


def test_list_reads_every_workspace_and_names_workspaces_and_agents(
    run: Any, api: respx.MockRouter
) -> None:
    fleet = served(Fleet.of([2, 0, 3], statuses=STATUSES), api)

    result = run("tasks", "list", "-o", "tsv")

    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert sorted(row[0] for row in rows) == sorted(t["id"] for t in fleet.tasks)
    by_id = {row[0]: row for row in rows}
    one = fleet.tasks[3]  # workspace 2's second task
    assert by_id[one["id"]] == [
        one["id"],
        "Workspace 2",
        "Agent 2",
        one["status"],
        "required",
        one["title"],
        one["created_at"],
        fingerprint(one),
    ]
    # One listing of workspaces, one of agents, one of each workspace's tasks: none per task.
    expected = [WORKSPACES] * listing_requests(3) + [AGENTS] * listing_requests(3)
    for n, ws in zip([2, 0, 3], fleet.workspaces, strict=True):
        expected += [tasks_path(ws["id"])] * listing_requests(n)
    assert sent(api) == sorted(expected)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_sorted_formats_are_oldest_first(run: Any, api: respx.MockRouter, fmt: str) -> None:
    fleet = served(Fleet.of([4, 5, 3], statuses=STATUSES), api)

    result = run("tasks", "list", "--all", "-o", fmt, "--fields", "id,title")

    assert result.exit_code == 0, result.stderr
    expected = oldest_first(fleet.tasks)
    if fmt == "json":
        assert [item["id"] for item in result.json()] == expected
    elif fmt == "csv":
        assert [row["id"] for row in csv.DictReader(io.StringIO(result.stdout))] == expected
    else:
        titles = {t["id"]: t["title"] for t in fleet.tasks}
        places = [result.stdout.index(titles[item]) for item in expected]
        assert places == sorted(places)


def test_json_objects_are_the_servers_with_the_fingerprint(run: Any, api: respx.MockRouter) -> None:
    fleet = served(Fleet.of([1, 1]), api)
    fleet.tasks[0]["new_field"] = {"kept": True}

    result = run("tasks", "list", "-o", "json")

    by_id = {item["id"]: item for item in result.json()}
    for sent_task in fleet.tasks:
        assert by_id[sent_task["id"]] == {**sent_task, "fingerprint": fingerprint(sent_task)}
    # Names are for people: JSON needs no agents listing.
    assert AGENTS not in sent(api)


@pytest.mark.parametrize("fmt", ["ndjson", "tsv", "id"])
def test_streaming_formats_print_every_task(run: Any, api: respx.MockRouter, fmt: str) -> None:
    fleet = served(Fleet.of([3, 2, 4], statuses=STATUSES), api)

    result = run("tasks", "list", "--all", "-o", fmt)

    lines = result.stdout.splitlines()
    ids = [json.loads(line)["id"] if fmt == "ndjson" else line.split("\t")[0] for line in lines]
    assert sorted(ids) == sorted(t["id"] for t in fleet.tasks)


def test_limit_counts_rows_across_workspaces(run: Any, api: respx.MockRouter) -> None:
    served(Fleet.of([30, 30, 30]), api)

    default = run("tasks", "list", "-o", "id")
    some = run("tasks", "list", "--limit", "45", "-o", "id")
    every = run("tasks", "list", "--all", "-o", "id")

    assert len(default.stdout.split()) == 50
    assert len(some.stdout.split()) == 45
    assert len(every.stdout.split()) == 90
    assert run("tasks", "list", "--all", "--limit", "3").exit_code == 2


def test_workspaces_by_name_and_id_only_list_theirs(run: Any, api: respx.MockRouter) -> None:
    fleet = served(Fleet.of([2, 2, 2]), api)

    result = run("tasks", "list", "-w", "Workspace 1", "-w", workspace_id(2).upper(), "-o", "id")

    assert sorted(result.stdout.split()) == sorted(
        t["id"] for t in fleet.tasks if t["workspace_id"] != workspace_id(0)
    )
    assert tasks_path(workspace_id(0)) not in sent(api)


def test_agents_choose_their_tasks(run: Any, api: respx.MockRouter) -> None:
    fleet = served(Fleet.of([2, 2, 2]), api)
    # A task in agent 1's workspace by another agent (re-hired since) is not agent 1's.
    fleet.tasks[2]["hired_agent_id"] = agent_id(0)

    result = run("tasks", "list", "--agent", "Agent 1", "-o", "id")

    assert result.stdout.split() == [task_id(1, 1)]
    assert tasks_path(workspace_id(0)) not in sent(api)


def test_each_status_is_one_listing_per_workspace(run: Any, api: respx.MockRouter) -> None:
    fleet = served(Fleet.of([3, 3], statuses=STATUSES), api)

    result = run("tasks", "list", "--status", "running", "--status", "completed", "-o", "id")

    assert sorted(result.stdout.split()) == sorted(
        t["id"] for t in fleet.tasks if t["status"] in ("running", "completed")
    )
    listings = [path for path in sent(api) if path.endswith(("running", "completed"))]
    assert sorted(set(listings)) == sorted(
        f"{tasks_path(workspace_id(w))}?status={status}"
        for w in (0, 1)
        for status in ("running", "completed")
    )
    assert len(listings) == 4 * listing_requests(1)


def test_unknown_status_is_warned_and_sent(run: Any, api: respx.MockRouter) -> None:
    served(Fleet.of([1]), api)

    result = run("tasks", "list", "--status", "awaiting", "-o", "id")

    assert result.exit_code == 0
    assert "'awaiting' is not a known task status" in result.stderr
    assert "did you mean 'awaiting_approval'" in result.stderr


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["-w", "nowhere"], 3, "no workspace has the ID or name 'nowhere'"),
        (["--agent", "Nobody"], 3, "no agent has the ID or name 'Nobody'"),
        (["-w", ""], 2, "an empty workspace ID"),
    ],
)
def test_unknown_workspace_or_agent(
    run: Any, api: respx.MockRouter, argv: list[str], code: int, message: str
) -> None:
    served(Fleet.of([1]), api)

    result = run("tasks", "list", *argv)

    assert result.exit_code == code
    assert message in result.stderr
    assert not any("/tasks" in path for path in sent(api))


def test_a_workspace_removed_meanwhile_is_skipped_with_a_warning(
    run: Any, api: respx.MockRouter
) -> None:
    fleet = Fleet.of([1, 1])
    gone = fleet.workspaces[0]["id"]
    api.get(tasks_path(gone)).mock(return_value=httpx.Response(404, json={"detail": "Gone"}))
    fleet.mock(api)

    result = run("tasks", "inbox", "-o", "id")

    assert result.exit_code == 0
    assert result.stdout.split() == [task_id(1, 0)]
    assert "workspace 'Workspace 0' (1a000000) was not found" in result.stderr


def test_a_failing_workspace_fails_the_listing_without_a_traceback(
    run: Any, api: respx.MockRouter
) -> None:
    fleet = Fleet.of([1, 1, 1])
    api.get(tasks_path(fleet.workspaces[1]["id"])).mock(return_value=httpx.Response(500))
    fleet.mock(api)

    result = run("tasks", "inbox", "-o", "json")

    assert result.exit_code == 7
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_listing_remembers_tasks_for_tab(run: Any, api: respx.MockRouter) -> None:
    served(Fleet.of([1, 1], statuses=("awaiting_approval",)), api)

    run("tasks", "list", "-o", "id")

    assert cache.parent_of("tasks", task_id(1, 0)) == workspace_id(1)
    awaiting = cache.candidates("tasks", "", ("awaiting_approval",))
    assert sorted(i for i, _title in awaiting) == [task_id(0, 0), task_id(1, 0)]


# --- tasks inbox ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "ndjson", "id", "json", "csv", "markdown", "table"])
def test_inbox_is_every_awaiting_task_oldest_first(
    run: Any, api: respx.MockRouter, fmt: str
) -> None:
    fleet = served(Fleet.of([4, 0, 6, 2], statuses=STATUSES), api)
    awaiting = [t for t in fleet.tasks if t["status"] == "awaiting_approval"]

    result = run("tasks", "inbox", "-o", fmt)

    assert result.exit_code == 0, result.stderr
    # Tables show short IDs: each task is found by its title there.
    shown_by = {t["id"]: t["title"] if fmt in ("table", "markdown") else t["id"] for t in awaiting}
    assert all(result.stdout.count(text) == 1 for text in shown_by.values())
    assert sorted(shown_by, key=lambda i: result.stdout.index(shown_by[i])) == oldest_first(
        awaiting
    )
    assert all(path.endswith("status=awaiting_approval") for path in sent(api) if "/tasks" in path)


def test_inbox_rows_summarise_the_proposed_actions(run: Any, api: respx.MockRouter) -> None:
    served(Fleet.of([1]), api)

    result = run("tasks", "inbox", "-o", "tsv")

    assert result.stdout.split("\t")[5] == "publish (channel=linkedin, n=0)"


def test_inbox_count_prints_only_the_number(run: Any, api: respx.MockRouter) -> None:
    served(Fleet.of([3, 0, 2], statuses=("awaiting_approval", "running")), api)

    result = run("tasks", "inbox", "--count", "-o", "json")

    assert result.exit_code == 0
    assert result.stdout == "3\n"
    assert AGENTS not in sent(api)


@pytest.mark.parametrize(("fmt", "stdout"), [("table", ""), ("json", "[]\n"), ("id", "")])
def test_an_empty_inbox_says_so_and_succeeds(
    run: Any, api: respx.MockRouter, fmt: str, stdout: str
) -> None:
    served(Fleet.of([2, 1], statuses=("running",)), api)

    result = run("tasks", "inbox", "-o", fmt)

    assert result.exit_code == 0
    assert result.stdout == stdout
    assert result.stderr == "Nothing awaits your approval: the inbox is empty.\n"


def test_no_workspaces_is_an_empty_inbox(run: Any, api: respx.MockRouter) -> None:
    served(Fleet(), api)

    assert run("tasks", "inbox", "--count").stdout == "0\n"


# --- tasks show -----------------------------------------------------------------------------


def test_show_by_prefix_prints_every_field_and_the_fingerprint(
    run: Any, api: respx.MockRouter
) -> None:
    fleet = Fleet.of([1, 2])
    wanted = fleet.tasks[2]
    wanted["id"] = "b0b0cafe-0000-4000-8000-000000000001"
    served(fleet, api)

    result = run("tasks", "show", "B0B0", "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json() == {**wanted, "fingerprint": fingerprint(wanted)}
    assert result.stderr == f"Fingerprint: {fingerprint(wanted)}\n"


def test_show_table_has_the_proposed_actions_in_full(run: Any, api: respx.MockRouter) -> None:
    actions = {"publish": {"channel": "linkedin", "text": "x" * 300}, "pay": [1, 2]}
    one = task(proposed_actions=actions)
    api.get(f"{WORKSPACES}/{WORKSPACE_ID}/tasks/{one['id']}").mock(
        return_value=httpx.Response(200, json=one)
    )

    result = run("tasks", "show", f"{WORKSPACE_ID}/{one['id']}", "-o", "table")

    assert result.exit_code == 0, result.stderr
    assert "PROPOSED ACTIONS\n" in result.stdout
    block = result.stdout.split("PROPOSED ACTIONS\n", 1)[1]
    assert json.loads(block) == actions
    assert '\n    "publish": {\n' in block  # indented, every line
    assert "FINGERPRINT" in result.stdout and fingerprint(one) in result.stdout


def test_show_by_full_id_finds_its_workspace_once_then_from_the_cache(
    run: Any, api: respx.MockRouter
) -> None:
    served(Fleet.of([1, 1, 1], statuses=STATUSES), api)

    first = run("tasks", "show", task_id(2, 0), "-o", "id")
    listings = len(api.calls)
    second = run("tasks", "show", task_id(2, 0), "-o", "id")

    assert first.stdout == second.stdout == f"{task_id(2, 0)}\n"
    paths = [call.request.url.path for call in api.calls[listings:]]
    assert paths == [f"{tasks_path(workspace_id(2))}/{task_id(2, 0)}"]


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("7a5c", 2, "matches 3 tasks: 7a5c0000 'Task 0 of workspace 0'"),
        ("Workspace 1/7a5c", 0, ""),
        ("Workspace 1/7a5d", 3, "no task in workspace 1a000000 has an ID starting with '7a5d'"),
        ("beef", 3, "no task has an ID starting with 'beef'"),
        ("abc", 2, "'abc' is not a task ID or the start of one"),
        ("Workspace 1", 2, "'Workspace 1' is not a task ID or the start of one"),
        ("Workspace 1/", 2, "'Workspace 1/' is not WORKSPACE/TASK"),
        ("  ", 2, "an empty task ID was given"),
        ("Nowhere/7a5c", 3, "no workspace has the ID or name 'Nowhere'"),
        ("00000000-0000-4000-8000-000000000000", 3, "no task has the ID 00000000-"),
    ],
)
def test_show_resolves_what_was_typed(
    run: Any, api: respx.MockRouter, typed: str, code: int, message: str
) -> None:
    served(Fleet.of([1, 1, 1]), api)

    result = run("tasks", "show", typed, "-o", "id")

    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if code == 0:
        assert result.stdout == f"{task_id(1, 0)}\n"


# --- workspaces tasks -----------------------------------------------------------------------


def test_workspaces_tasks_gains_the_fingerprint_last(run: Any, api: respx.MockRouter) -> None:
    one = task()
    api.get(tasks_path(WORKSPACE_ID)).mock(return_value=httpx.Response(200, json=[one]))

    tsv = run("workspaces", "tasks", WORKSPACE_ID, "-o", "tsv")
    as_json = run("workspaces", "tasks", WORKSPACE_ID, "-o", "json")

    assert tsv.stdout.rstrip("\n").split("\t") == [
        one["id"],
        one["title"],
        "awaiting_approval",
        "normal",
        "draft-social-post",
        "0.042",
        "2025-06-10T14:57:59Z",
        fingerprint(one),
    ]
    assert as_json.json() == [{**one, "fingerprint": fingerprint(one)}]
