"""`--sandbox` state in its database: kept, reset, and what one request costs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.fleet import ApiProblem, Fleet
from aitasker_cli.sandbox.seed import seed_state
from tests.sandbox.stores import (
    ACTIVE,
    CANCELLED,
    EVERYTHING,
    SEED,
    same_records,
    saved,
)


def test_first_use_seeds_and_saves(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "sandbox")

    assert same_records(saved(store), SEED)
    assert store.path == tmp_path / "sandbox" / "sandbox.db" and store.path.is_file()


def test_changes_persist_between_stores(tmp_path: Path) -> None:
    with FileStore(tmp_path).session(write=True) as tables:
        Fleet(tables).pause(ACTIVE[0])

    with FileStore(tmp_path).session(write=False) as tables:
        assert Fleet(tables).get_agent(ACTIVE[0])["status"] == "paused"


def test_a_failed_request_saves_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.reset()

    with pytest.raises(ApiProblem), store.session(write=True) as tables:
        Fleet(tables).pause(ACTIVE[0])
        Fleet(tables).pause(CANCELLED)

    assert same_records(saved(store), SEED)


def test_reset_restores_the_seed(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with store.session(write=True) as tables:
        for agent_id in ACTIVE:
            Fleet(tables).cancel(agent_id)

    assert store.reset(agents=30) == (30, len(seed_state(30)["tasks"]))

    assert same_records(saved(store), seed_state(30))
    assert same_records(saved(FileStore(tmp_path)), seed_state(30))


def test_the_seed_is_sound(tmp_path: Path) -> None:
    """The checks that refuse damaged records pass every record the sandbox writes itself."""
    store = FileStore(tmp_path)
    store.reset(agents=200)

    assert same_records(saved(store), seed_state(200))


# --- what one request costs ----------------------------------------------------------------------


def cost(store: FileStore, request: Callable[[Fleet], object]) -> tuple[int, int]:
    """Rows the request changed (SQLite's own count) and SQLite instructions it ran."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    with store.session(write=False):
        pass  # opens the database, so that only the request is counted
    db = store.connection
    assert db is not None
    before = db.total_changes
    db.set_progress_handler(count, 1)
    try:
        with store.session(write=True) as tables:
            request(Fleet(tables))
    finally:
        db.set_progress_handler(None, 1)
    return db.total_changes - before, steps


def costs(folder: Path, size: int) -> dict[str, tuple[int, int]]:
    """What each kind of request costs in a fleet of `size` agents, on its last active one."""
    store = FileStore(folder)
    store.reset(agents=size)
    state = seed_state(size)
    last = [a["id"] for a in state["agents"].values() if a["status"] == "active"][-1]
    workspace = next(w["id"] for w in state["workspaces"].values() if w["hired_agent_id"] == last)
    return {
        "pause": cost(store, lambda fleet: fleet.pause(last)),
        "resume": cost(store, lambda fleet: fleet.resume(last)),
        "show": cost(store, lambda fleet: fleet.get_agent(last)),
        "page": cost(store, lambda fleet: fleet.list_agents("paused", slice(0, 5))),
        "tasks": cost(store, lambda fleet: fleet.list_tasks(workspace, None, EVERYTHING)),
        "hire": cost(store, lambda fleet: fleet.hire({"agent_type": "seo", "tier": "pro"})),
    }


def test_a_change_writes_only_what_changed_and_reads_through_indexes(tmp_path: Path) -> None:
    """A pause changes two rows (the agent and its workspace) whatever the fleet's size, and a
    look-up or a page does about the same work in 24 agents as in 4,000: no request loads or
    rewrites the whole state."""
    measured = {size: costs(tmp_path / str(size), size) for size in (24, 4000)}

    small, big = measured[24], measured[4000]
    assert {name: rows for name, (rows, _) in big.items()} == {
        "pause": 2,
        "resume": 2,
        "show": 0,
        "page": 0,
        "tasks": 0,
        "hire": 2,
    }
    assert {name: rows for name, (rows, _) in small.items()} == {
        name: rows for name, (rows, _) in big.items()
    }
    for name in small:
        # A B-tree look-up grows with the log of the fleet: a little, not 166 times.
        assert big[name][1] < 2 * small[name][1] + 200, (name, small[name], big[name])
