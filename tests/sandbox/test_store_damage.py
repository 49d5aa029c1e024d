"""`--sandbox` state that is damaged, another program's, or an older version's `sandbox.json`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.errors import SandboxStateError
from aitasker_cli.sandbox.fleet import Fleet
from aitasker_cli.sandbox.seed import seed_state
from tests.sandbox.stores import (
    ACTIVE,
    SEED,
    edit,
    edited_data,
    first_record,
    same_records,
    saved,
    statuses,
)

HAND_EDITS: dict[str, tuple[str, str, tuple[Any, ...]]] = {
    "id column is not a UUID": ("agents", "UPDATE agents SET id = '../x' WHERE n = 1", ()),
    "status column is a blob": ("agents", "UPDATE agents SET status = x'00' WHERE n = 1", ()),
    "data is not JSON": ("agents", "UPDATE agents SET data = '{oops' WHERE n = 1", ()),
    "data is a number": ("agents", "UPDATE agents SET data = 7 WHERE n = 1", ()),
    "data is a list": ("agents", "UPDATE agents SET data = '[1]' WHERE n = 1", ()),
    "config is a list": (
        "agents",
        "UPDATE agents SET data = ? WHERE n = 1",
        (edited_data("agents", lambda a: a.update(config=[1, 2])),),
    ),
    "display_name is missing": (
        "agents",
        "UPDATE agents SET data = ? WHERE n = 1",
        (edited_data("agents", lambda a: a.pop("display_name")),),
    ),
    "workspace settings are null": (
        "workspaces",
        "UPDATE workspaces SET data = ? WHERE n = 1",
        (edited_data("workspaces", lambda w: w.update(settings=None)),),
    ),
    "task cost is text": (
        "tasks",
        "UPDATE tasks SET data = ? WHERE n = 1",
        (edited_data("tasks", lambda t: t.update(cost_usd="0.4")),),
    ),
    "nested 100 deep": (
        "agents",
        "UPDATE agents SET data = ? WHERE n = 1",
        (
            edited_data("agents", lambda a: a.update(config={"x": "DEEP"})).replace(
                '"DEEP"', "[" * 100 + "]" * 100
            ),
        ),
    ),
    "lone surrogate": (
        "agents",
        "UPDATE agents SET data = ? WHERE n = 1",
        (edited_data("agents", lambda a: a.update(display_name="x")).replace('"x"', '"\\ud800"'),),
    ),
}


def read_first(store: FileStore, table: str) -> None:
    with store.session(write=False) as tables:
        fleet = Fleet(tables)
        if table == "agents":
            fleet.list_agents(None, slice(0, 1))
        elif table == "workspaces":
            fleet.list_workspaces(None, slice(0, 1))
        else:
            task = first_record("tasks")
            fleet.get_task(task["workspace_id"], task["id"])


@pytest.mark.parametrize("change", list(HAND_EDITS))
def test_a_record_edited_into_something_invalid_is_a_clear_error(
    tmp_path: Path, change: str
) -> None:
    """Whatever a hand edit did to a record, reading it says so, naming the database, instead
    of failing later (as a bug, exit 1) on a field that is not what the API documents."""
    store = FileStore(tmp_path)
    store.reset()
    store.close()
    table, sql, args = HAND_EDITS[change]
    edit(store.path, sql, *args)

    with pytest.raises(SandboxStateError, match="damaged") as raised:
        read_first(store, table)

    assert str(store.path) in raised.value.message


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b"not a database at all, just text" * 200, "not a database", id="text"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 4000, "damaged", id="a damaged header"),
    ],
)
def test_a_file_that_is_not_a_database_is_damaged_state(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    store = FileStore(tmp_path)
    store.path.write_bytes(content)

    with pytest.raises(SandboxStateError, match=problem) as raised, store.session(write=False):
        pass

    assert str(store.path) in raised.value.message


def test_another_programs_database_is_not_taken_for_ours(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    edit(store.path, "CREATE TABLE notes (text TEXT)")

    with pytest.raises(SandboxStateError, match="not an aitasker sandbox database"):
        saved(store)

    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_a_database_from_another_schema_version_is_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.reset()
    store.close()
    edit(store.path, "PRAGMA user_version = 99")

    with pytest.raises(SandboxStateError, match="another version of aitasker"):
        saved(store)


@pytest.mark.parametrize("damage", ["text", "foreign", "bad record"])
def test_reset_starts_again_from_damaged_state(tmp_path: Path, damage: str) -> None:
    store = FileStore(tmp_path)
    if damage == "text":
        store.path.write_bytes(b"{oops" * 1000)
    elif damage == "foreign":
        edit(store.path, "CREATE TABLE notes (text TEXT)")
    else:
        store.reset()
        store.close()
        edit(store.path, "UPDATE agents SET data = '{' WHERE n = 1")

    FileStore(tmp_path).reset()

    assert same_records(saved(FileStore(tmp_path)), SEED)


# --- a sandbox.json from versions before the database -----------------------------------------


def test_an_older_versions_sandbox_json_is_imported_once(tmp_path: Path) -> None:
    """Its fleet carries on (without the marketplace of still older versions); the file is
    left as it was and not read again."""
    state: dict[str, Any] = seed_state(30)
    state["agents"][ACTIVE[0]]["status"] = "paused"
    old = json.dumps({**state, "market": {"tasks": {}, "bids": {}, "cycles": []}})
    (tmp_path / "sandbox.json").write_text(old, encoding="utf-8")

    imported = saved(FileStore(tmp_path))
    (tmp_path / "sandbox.json").write_text("{oops", encoding="utf-8")
    with FileStore(tmp_path).session(write=True) as tables:
        Fleet(tables).pause(ACTIVE[1])

    assert same_records(imported, state)
    assert statuses(FileStore(tmp_path), ACTIVE[:2]) == ["paused", "paused"]
    assert len(saved(FileStore(tmp_path))["agents"]) == 30


TABLES_JSON = '"agents": {}, "workspaces": {}, "tasks": {}'


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{", id="not JSON"),
        pytest.param("[]", id="a list"),
        pytest.param('{"agents": {}}', id="tables missing"),
        pytest.param('{"agents": [], "workspaces": {}, "tasks": {}}', id="agents a list"),
        pytest.param("{" + TABLES_JSON + ', "x": ' + "[" * 1000 + "]" * 1000 + "}", id="deep"),
        pytest.param("{" + TABLES_JSON + ', "x": NaN}', id="NaN"),
        pytest.param(
            json.dumps({**SEED, "agents": {"a": {**first_record("agents"), "status": 3}}}),
            id="status is a number",
        ),
    ],
)
def test_a_damaged_sandbox_json_is_a_clear_error_and_nothing_is_made(
    tmp_path: Path, content: str
) -> None:
    old = tmp_path / "sandbox.json"
    old.write_text(content, encoding="utf-8")
    store = FileStore(tmp_path)

    with pytest.raises(SandboxStateError, match="damaged") as raised, store.session(write=False):
        pass
    store.reset()

    assert str(old) in raised.value.message
    assert same_records(saved(store), SEED)
