"""The sandbox's task lifecycle: which tasks a tick moves, the tasks it brings, and its clock.

The predictions follow the draw order documented in aitasker_cli/sandbox/lifecycle.py, from
the tick's generator, so a change in what a tick does fails here.
"""

from __future__ import annotations

import copy
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from aitasker_cli.api.models import WorkspaceTask
from aitasker_cli.core.errors import ExitCode, UsageError
from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.embedded import EmbeddedSandbox, tick_seconds
from aitasker_cli.sandbox.errors import SandboxStateError
from aitasker_cli.sandbox.fleet import Fleet
from aitasker_cli.sandbox.lifecycle import (
    FAIL_CHANCE,
    MOST_TICKS_AT_ONCE,
    MOVE_CHANCE,
    NEW_TASK_CHANCE,
    Lifecycle,
    tick,
    tick_random,
)
from aitasker_cli.sandbox.schema import record_problem
from aitasker_cli.sandbox.seed import iso, seed_state
from aitasker_cli.sandbox.store import Clock, MemoryStore, MemoryTables
from tests.sandbox.stores import edit, saved

START = 1_900_000_000.0
"""A moment in 2030, after the seed's timestamps and the approvals the tests make."""
STEP = 2.0
AGENTS = "/api/v1/workspaces/agents"


def embedded(folder: Path, tick_variable: str | None) -> httpx.Client:
    """A client of the `--sandbox` app over `folder`, with AITASKER_SANDBOX_TICK if given."""
    environ = {} if tick_variable is None else {"AITASKER_SANDBOX_TICK": tick_variable}
    return httpx.Client(
        transport=httpx.WSGITransport(app=EmbeddedSandbox(folder, environ)),
        base_url="http://sandbox",
        headers={"Authorization": "Bearer x"},
    )


def approved_state() -> dict[str, Any]:
    """The demo fleet with its first three awaiting tasks approved, so every status moves."""
    state = seed_state()
    tables = MemoryTables(state)
    awaiting = [t for t in state["tasks"].values() if t["status"] == "awaiting_approval"][:3]
    for task in awaiting:
        Fleet(tables).decide(task["workspace_id"], task["id"], approve=True)
    return state


def predict(state: dict[str, Any], number: int) -> tuple[dict[str, str], str | None]:
    """What tick `number` does to `state`, drawn as lifecycle.py documents: each movable task's
    new status, and the workspace of the new awaiting task (None if none comes)."""
    rng = tick_random(number)
    moves = {}
    for task in state["tasks"].values():  # the order they were added
        if task["status"] not in ("queued", "approved", "running"):
            continue
        draw = rng.random()
        if draw < MOVE_CHANCE:
            if task["status"] != "running":
                moves[task["id"]] = "running"
            else:
                moves[task["id"]] = "failed" if draw < FAIL_CHANCE else "completed"
    if rng.random() >= NEW_TASK_CHANCE:
        return moves, None
    active = [w for w in state["workspaces"].values() if w["status"] == "active"]
    return moves, rng.choice(active)["id"]


def test_each_tick_moves_exactly_the_predicted_tasks_one_step_and_nothing_else() -> None:
    state = approved_state()
    tables = MemoryTables(state)
    seen: set[tuple[str, str]] = set()
    new_on: list[int] = []
    for number in range(1, 31):
        before = copy.deepcopy(state)
        moves, new_in = predict(before, number)
        at = START + number * STEP

        done = tick(tables, number, at)

        stamp = iso(datetime.fromtimestamp(at, timezone.utc))
        assert {k: after for k, (_, after) in done.moved.items()} == moves
        assert state["agents"] == before["agents"]
        assert state["workspaces"] == before["workspaces"]
        for task_id, old in before["tasks"].items():
            new = state["tasks"][task_id]
            if task_id not in moves:
                assert new == old
                continue
            seen.add((old["status"], new["status"]))
            changed = {k for k in new if new[k] != old[k]}
            if new["status"] == "running":
                assert changed <= {"status", "started_at", "completed_at"}
                assert (new["started_at"], new["completed_at"]) == (stamp, None)
            else:
                assert changed <= {"status", "completed_at", "output_data"}
                assert new["completed_at"] == stamp
                assert new["started_at"] == old["started_at"] <= stamp
        added = [t for t in state["tasks"] if t not in before["tasks"]]
        assert added == done.created
        assert len(added) == (new_in is not None)
        if new_in is not None:
            new_on.append(number)
            assert state["tasks"][added[0]]["workspace_id"] == new_in

    assert seen == {
        ("queued", "running"),
        ("approved", "running"),
        ("running", "completed"),
        ("running", "failed"),
    }
    assert 3 <= len(new_on) <= 15, new_on  # now and then, not every tick


def test_a_new_task_awaits_approval_in_the_seeds_shape_in_an_active_agents_workspace() -> None:
    state = seed_state()
    tables = MemoryTables(state)
    number = next(n for n in range(1, 100) if predict(state, n)[1] is not None)
    seeded = next(t for t in state["tasks"].values() if t["status"] == "awaiting_approval")

    created = tick(tables, number, START).created

    task = state["tasks"][created[0]]
    assert set(task) == set(seeded)
    assert task["status"] == "awaiting_approval"
    assert task["proposed_actions"] and task["approval_level"] in ("required", "optional")
    assert task["approved_by"] is task["approved_at"] is None
    assert task["created_at"] <= task["started_at"] <= task["completed_at"]
    assert task["completed_at"] == iso(datetime.fromtimestamp(START, timezone.utc))
    assert record_problem("tasks", task["id"], task) is None
    assert WorkspaceTask.from_json(task).status == "awaiting_approval"
    workspace = state["workspaces"][task["workspace_id"]]
    assert state["agents"][workspace["hired_agent_id"]]["status"] == "active"
    assert task["hired_agent_id"] == workspace["hired_agent_id"]


def test_new_tasks_never_come_to_an_agent_the_user_paused() -> None:
    state = seed_state()
    tables = MemoryTables(state)
    active = [a for a in state["agents"].values() if a["status"] == "active"]
    for agent in active[1:]:
        Fleet(tables).pause(agent["id"])
    before = copy.deepcopy(state)

    created = [task for n in range(1, 60) for task in tick(tables, n, START + n).created]

    assert created
    assert {state["tasks"][t]["hired_agent_id"] for t in created} == {active[0]["id"]}
    assert state["agents"] == before["agents"]
    assert state["workspaces"] == before["workspaces"]


def test_the_same_ticks_move_the_same_tasks_in_memory_and_in_the_database(
    tmp_path: Path,
) -> None:
    memory = approved_state()
    store = FileStore(tmp_path)
    store.reset()
    with store.session(write=True) as tables:
        for task in approved_state()["tasks"].values():
            if task["status"] == "approved":
                tables.put("tasks", task)

    for number in range(1, 12):
        tick(MemoryTables(memory), number, START + number)
        with store.session(write=True) as tables:
            tick(tables, number, START + number)

    assert saved(store)["tasks"] == memory["tasks"]


def test_a_task_never_starts_before_it_was_approved() -> None:
    """A tick that fell due a moment before an approval, applied after it (the next request
    applies it), starts the task at its approval."""
    state = approved_state()
    tables = MemoryTables(state)
    approved = [t for t in state["tasks"].values() if t["status"] == "approved"]
    number = next(n for n in range(1, 100) if predict(state, n)[0].get(approved[0]["id"]))
    early = datetime.fromisoformat(approved[0]["approved_at"].replace("Z", "+00:00")).timestamp()

    tick(tables, number, early - 1)

    started = state["tasks"][approved[0]["id"]]
    assert started["status"] == "running"
    assert started["started_at"] == approved[0]["approved_at"]


def test_a_tick_replaces_records_and_never_changes_one_a_response_still_holds() -> None:
    state = seed_state()
    tables = MemoryTables(state)
    held = tables.tasks_in(("queued", "running"))
    kept = copy.deepcopy(held)

    for number in range(1, 10):
        tick(tables, number, START + number)

    assert held == kept
    assert tables.tasks_in(("queued", "running")) != kept


# --- the clock ---------------------------------------------------------------------------------


def test_ticks_fall_due_every_interval_and_a_long_absence_catches_up_no_further() -> None:
    lifecycle = Lifecycle(STEP)

    assert lifecycle.due(None, START) == ([], Clock(0, START))
    assert lifecycle.due(Clock(4, START), START + 1.9) == ([], Clock(4, START))
    assert lifecycle.due(Clock(4, START), START + 6.5) == (
        [START + 2, START + 4, START + 6],
        Clock(7, START + 6),
    )
    day = START + 86_400
    times, clock = lifecycle.due(Clock(4, START), day)
    assert len(times) == MOST_TICKS_AT_ONCE
    assert times[-1] == day and times[0] == day - (MOST_TICKS_AT_ONCE - 1) * STEP
    assert clock == Clock(4 + MOST_TICKS_AT_ONCE, day)
    # A system clock set back starts the count again from now.
    assert lifecycle.due(Clock(4, START), START - 60) == ([], Clock(4, START - 60))


@pytest.mark.parametrize("every", [0.0, -1.0, float("nan"), float("inf"), 86_401.0])
def test_a_tick_that_is_not_a_positive_number_of_seconds_is_refused(every: float) -> None:
    with pytest.raises(ValueError):
        Lifecycle(every)


class Time:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def test_the_database_keeps_the_clock_so_the_time_between_commands_counts(
    tmp_path: Path,
) -> None:
    store = FileStore(tmp_path)
    store.reset()  # a database as versions before the lifecycle made it: no meta table
    store.close()
    time = Time()

    assert Lifecycle(STEP, clock=time).catch_up(store) == 0  # starts the clock
    store.close()
    time.now += 3.5 * STEP
    assert Lifecycle(STEP, clock=time).catch_up(FileStore(tmp_path)) == 3  # another command
    expected = ticked(seed_state(), 3)

    assert saved(FileStore(tmp_path))["tasks"] == expected
    with FileStore(tmp_path).session(write=False) as tables:
        assert tables.clock() == Clock(3, START + 3 * STEP)
    with sqlite3.connect(store.path) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE status IN ('queued', 'running')"
            " ORDER BY n"
        ).fetchall()
    assert "tasks_by_status" in str(plan)

    FileStore(tmp_path).reset()  # the lifecycle starts again with the fleet
    with FileStore(tmp_path).session(write=False) as tables:
        assert tables.clock() is None


def ticked(state: dict[str, Any], count: int) -> dict[str, Any]:
    """The tasks of `state` after ticks 1 to `count`, due every STEP from START."""
    tables = MemoryTables(state)
    for number in range(1, count + 1):
        tick(tables, number, START + number * STEP)
    return dict(state["tasks"])


def test_nothing_moves_before_the_next_tick_is_due() -> None:
    time = Time()
    store = MemoryStore(seed_state())
    lifecycle = Lifecycle(STEP, clock=time)
    lifecycle.catch_up(store)
    with store.session(write=False) as tables:
        before = copy.deepcopy(tables.tasks_in(("queued", "running", "completed")))

    time.now += STEP - 0.01
    assert lifecycle.catch_up(store) == 0
    with store.session(write=False) as tables:
        assert tables.tasks_in(("queued", "running", "completed")) == before
    time.now += 0.01
    assert lifecycle.catch_up(store) == 1


@pytest.mark.parametrize(
    ("tick_value", "tick_at"),
    [("x", "1796000000.0"), ("3", "soon"), ("-1", "1796000000.0"), ("3", "nan")],
)
def test_a_clock_edited_into_nonsense_is_damaged_state(
    tmp_path: Path, tick_value: str, tick_at: str
) -> None:
    store = FileStore(tmp_path)
    Lifecycle(STEP).catch_up(store)
    store.close()
    edit(store.path, "UPDATE meta SET value = ? WHERE key = 'tick'", tick_value)
    edit(store.path, "UPDATE meta SET value = ? WHERE key = 'tick_at'", tick_at)

    with pytest.raises(SandboxStateError, match="meta holds"):
        Lifecycle(STEP).catch_up(FileStore(tmp_path))
    with embedded(tmp_path, "2") as client, pytest.raises(UsageError, match="meta holds") as caught:
        client.get(AGENTS)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "aitasker sandbox reset" in str(caught.value.hint)


# --- AITASKER_SANDBOX_TICK ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("", None), ("0", None), (" 2.5 ", 2.5)])
def test_the_tick_variable_sets_seconds_and_zero_or_nothing_is_still(
    text: str, seconds: float | None
) -> None:
    assert tick_seconds({"AITASKER_SANDBOX_TICK": text}) == seconds
    assert tick_seconds({}) is None


@pytest.mark.parametrize("text", ["soon", "-1", "nan", "inf", "1e9"])
def test_a_tick_variable_that_is_not_seconds_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="AITASKER_SANDBOX_TICK") as caught:
        tick_seconds({"AITASKER_SANDBOX_TICK": text})
    assert caught.value.exit_code == ExitCode.USAGE


def test_without_the_variable_the_embedded_sandbox_stays_still_and_writes_no_clock(
    tmp_path: Path,
) -> None:
    with embedded(tmp_path, None) as client:
        assert client.get(AGENTS).status_code == 200

    with sqlite3.connect(tmp_path / "sandbox.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "meta" not in tables
    assert saved(FileStore(tmp_path))["tasks"] == seed_state()["tasks"]
