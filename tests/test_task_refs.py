"""TASK arguments (ops/task_refs.py): full IDs, prefixes and WORKSPACE/TASK, the listings they
cost, and the cache of each task's workspace; with only HTTP mocked (respx)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from aitasker_cli.api.client import ApiClient
from aitasker_cli.api.models import ListedTask
from aitasker_cli.core.errors import NotFoundError, UsageError
from aitasker_cli.local import cache
from aitasker_cli.local.config import Settings
from aitasker_cli.ops.task_refs import (
    TaskRef,
    awaiting_tasks,
    resolve_task,
    resolve_tasks,
    workspaces_of,
)
from tests.conftest import API, TOKEN, task
from tests.task_fleet import AGENTS, WORKSPACES, Fleet, task_id, tasks_path, workspace_id

STATUSES = ("awaiting_approval", "running")


@pytest.fixture
def client(api: respx.MockRouter) -> Iterator[ApiClient]:
    made = ApiClient(
        Settings("default", API, None, timeout=5.0, retries=0, debug=False), lambda: TOKEN
    )
    yield made
    made.close()


@pytest.fixture
def fleet(api: respx.MockRouter) -> Fleet:
    """Three workspaces, four tasks each: awaiting, running, awaiting, running."""
    made = Fleet.of([4, 4, 4], statuses=STATUSES)
    made.mock(api)
    return made


def listings(api: respx.MockRouter) -> list[tuple[str, str | None]]:
    """The distinct listings read: (path, status)."""
    return sorted(
        {(c.request.url.path, c.request.url.params.get("status")) for c in api.calls},
        key=str,
    )


def test_a_workspace_and_a_full_id_cost_nothing(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    ref = resolve_task(client, f"{workspace_id(1).upper()}/{task_id(1, 2).upper()}")

    assert ref == TaskRef(workspace_id(1), task_id(1, 2), None)
    assert api.calls.call_count == 0


def test_several_prefixes_share_one_listing(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    fleet.tasks[0]["id"] = "b0b0cafe-0000-4000-8000-000000000001"
    fleet.tasks[5]["id"] = "c0c0cafe-0000-4000-8000-000000000002"

    refs = resolve_tasks(client, ["b0b0", "C0C0CA", "b0b0cafe"])

    assert [(r.workspace_id, r.task_id) for r in refs] == [
        (workspace_id(0), fleet.tasks[0]["id"]),
        (workspace_id(1), fleet.tasks[5]["id"]),
        (workspace_id(0), fleet.tasks[0]["id"]),
    ]
    assert refs[0].task is not None and refs[0].task.title == fleet.tasks[0]["title"]
    # One listing of workspaces and one of each workspace's tasks, however many prefixes.
    assert listings(api) == sorted(
        [(WORKSPACES, None), *((tasks_path(workspace_id(w)), None) for w in range(3))], key=str
    )
    assert AGENTS not in {path for path, _status in listings(api)}


def test_awaiting_only_matches_among_awaiting_tasks(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    running = fleet.tasks[1]
    running["id"] = "d00d0000-0000-4000-8000-000000000001"
    awaiting = fleet.tasks[6]  # workspace 1's third task, awaiting
    awaiting["id"] = "d00d0000-0000-4000-8000-000000000002"

    assert resolve_task(client, "d00d", awaiting_only=True).task_id == awaiting["id"]
    with pytest.raises(UsageError, match="matches 2 tasks: d00d0000"):
        resolve_task(client, "d00d")
    assert {status for _path, status in listings(api) if _path != WORKSPACES} == {
        "awaiting_approval",
        None,
    }


def test_a_prefix_in_a_named_workspace_lists_only_that_one(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    fleet.tasks[10]["id"] = "e0e0cafe-0000-4000-8000-000000000001"  # workspace 2's, awaiting
    fleet.tasks[1]["id"] = "e0e0cafe-0000-4000-8000-000000000002"  # workspace 0's

    ref = resolve_task(client, "Workspace 2/E0E0", awaiting_only=True)

    assert (ref.workspace_id, ref.task_id) == (workspace_id(2), fleet.tasks[10]["id"])
    assert listings(api) == [(WORKSPACES, None), (tasks_path(workspace_id(2)), "awaiting_approval")]


def test_several_matches_in_a_workspace_are_exit_2_listing_them(
    client: ApiClient, fleet: Fleet
) -> None:
    with pytest.raises(UsageError) as several:
        resolve_task(client, "Workspace 2/7a5c")

    assert several.value.exit_code == 2
    assert "'Workspace 2/7a5c' matches 4 tasks in workspace 1a000000" in several.value.message
    assert "'Task 3 of workspace 2'" in several.value.message


def test_no_match_is_exit_3(client: ApiClient, fleet: Fleet) -> None:
    with pytest.raises(NotFoundError) as none:
        resolve_task(client, "abcd", awaiting_only=True)

    assert none.value.exit_code == 3
    assert none.value.message == "no task awaiting approval has an ID starting with 'abcd'"
    assert none.value.hint == "List them with 'aitasker tasks inbox'."


@pytest.mark.parametrize(
    "typed", ["", " ", "x/", "/7a5c", "7a5", "7a5c/", "ghij", "7a5c 0000", "a/b/7a5 c"]
)
def test_malformed_is_exit_2_before_anything_is_sent(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet, typed: str
) -> None:
    with pytest.raises(UsageError):
        resolve_tasks(client, ["7a5c0000-0000-4000-8000-000000000000", typed])

    assert api.calls.call_count == 0


def test_the_workspace_may_be_a_name_holding_a_slash(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    fleet.workspaces[1]["name"] = "Sales / EMEA"

    ref = resolve_task(client, f"Sales / EMEA/{task_id(1, 3)}")

    assert ref == TaskRef(workspace_id(1), task_id(1, 3))


def test_a_full_id_is_placed_by_the_cache_then_costs_nothing(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    first = resolve_task(client, task_id(2, 1))
    listed = api.calls.call_count
    again = resolve_task(client, task_id(2, 1))

    assert first.workspace_id == again.workspace_id == workspace_id(2)
    assert listed > 0 and api.calls.call_count == listed
    assert again.task is None


def test_a_full_id_no_longer_awaiting_is_still_placed(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    """Approve must find its workspace to report it skipped ("now running"), not exit 3."""
    ref = resolve_task(client, task_id(0, 1), awaiting_only=True)

    assert ref.workspace_id == workspace_id(0) and ref.task is not None
    assert {status for _p, status in listings(api)} == {None, "awaiting_approval"}


def test_an_unknown_full_id_is_exit_3(client: ApiClient, fleet: Fleet) -> None:
    with pytest.raises(NotFoundError, match="no task has the ID 7a5c0000-0000-4000-8000-0000"):
        resolve_task(client, "7a5c0000-0000-4000-8000-000099000000")


def test_workspaces_of_reads_the_cache_first_and_leaves_out_the_unknown(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    cache.learn("tasks", [task(id=task_id(0, 0), workspace_id=workspace_id(0))])
    missing = "7a5c0000-0000-4000-8000-000099000000"

    found = workspaces_of(client, [task_id(0, 0), task_id(2, 3).upper(), missing])

    assert found == {task_id(0, 0): workspace_id(0), task_id(2, 3): workspace_id(2)}
    assert (WORKSPACES, None) in listings(api)
    api.reset()
    assert workspaces_of(client, [task_id(0, 0)]) == {task_id(0, 0): workspace_id(0)}
    assert api.calls.call_count == 0


def test_awaiting_tasks_are_every_workspaces_oldest_first(
    client: ApiClient, api: respx.MockRouter, fleet: Fleet
) -> None:
    found = awaiting_tasks(client)

    expected = sorted(
        (t for t in fleet.tasks if t["status"] == "awaiting_approval"),
        key=lambda t: t["created_at"],
    )
    assert [str(t.id) for t in found] == [t["id"] for t in expected]
    assert AGENTS not in {path for path, _status in listings(api)}
    named = awaiting_tasks(client, named=True)
    assert all(isinstance(t, ListedTask) and t.agent_name for t in named)


# --- the cache ------------------------------------------------------------------------------


def test_the_cache_keeps_each_tasks_status_and_workspace() -> None:
    cache.learn(
        "tasks",
        [
            task(id=task_id(0, 0), workspace_id=workspace_id(0), status="awaiting_approval"),
            task(id=task_id(0, 1), workspace_id=workspace_id(0), status="approved"),
        ],
    )

    assert [i for i, _title in cache.candidates("tasks", "", ("awaiting_approval",))] == [
        task_id(0, 0)
    ]
    assert len(cache.candidates("tasks", "7a5c")) == 2
    assert cache.parent_of("tasks", task_id(0, 1).upper()) == workspace_id(0)
    line = cache.cache_path().read_text().splitlines()[0]
    assert line.split("\t") == [
        "tasks",
        task_id(0, 0),
        "Draft LinkedIn post for the June product launch",
        "awaiting_approval",
        workspace_id(0),
    ]


def test_the_cache_keeps_no_workspace_that_is_not_a_uuid() -> None:
    path = cache.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"tasks\t{task_id(0, 0)}\t$(id)\x1b[2J\tawaiting_approval\t../../etc\n"
        f"tasks\t{task_id(0, 1)}\tok\tawaiting_approval\t{workspace_id(1).upper()}\n"
        f"tasks\tnot-a-uuid\tx\tawaiting_approval\t{workspace_id(1)}\n"
        f"agents\t{task_id(0, 2)}\tname\tactive\n"
    )

    assert cache.parent_of("tasks", task_id(0, 0)) is None
    assert cache.parent_of("tasks", task_id(0, 1)) == workspace_id(1)
    assert cache.candidates("tasks", "") == [
        (task_id(0, 0), cache.safe_name("$(id)\x1b[2J")),
        (task_id(0, 1), "ok"),
    ]
    assert "$" not in cache.candidates("tasks", "")[0][1]
    assert cache.candidates("agents", "") == [(task_id(0, 2), "name")]
    # A listing of tasks keeps what was there of other kinds, with their own shape.
    cache.learn("tasks", [task(id=task_id(0, 3), workspace_id=workspace_id(3))])
    assert cache.candidates("agents", "") == [(task_id(0, 2), "name")]
    assert cache.parent_of("tasks", task_id(0, 1)) == workspace_id(1)
