"""What the store tests share: the seeded fleet, reading a whole store back, editing it by hand."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.fleet import Fleet
from aitasker_cli.sandbox.seed import seed_state
from aitasker_cli.sandbox.store import TABLES
from tests.processes import clean_env

EVERYTHING = slice(0, 10**9)
SEED = seed_state()
ACTIVE = [a["id"] for a in SEED["agents"].values() if a["status"] == "active"]
CANCELLED = next(a["id"] for a in SEED["agents"].values() if a["status"] == "cancelled")


def saved(store: FileStore) -> dict[str, Any]:
    """Everything in the store, as a state dict in its listing order."""
    state: dict[str, Any] = {}
    with store.session(write=False) as tables:
        state["agents"] = {a["id"]: a for a in tables.agents(None, EVERYTHING)}
        state["workspaces"] = {w["id"]: w for w in tables.workspaces(None, EVERYTHING)}
        state["tasks"] = {
            t["id"]: t for w in state["workspaces"] for t in tables.tasks(w, None, EVERYTHING)
        }
    return state


def same_records(state: dict[str, Any], expected: dict[str, Any]) -> bool:
    """The same records in the same listing order (tasks are listed a workspace at a time)."""
    return all(list(state[t].items()) == list(expected[t].items()) for t in TABLES[:2]) and (
        state["tasks"] == expected["tasks"]
    )


def statuses(store: FileStore, ids: list[str]) -> list[str]:
    with store.session(write=False) as tables:
        return [Fleet(tables).get_agent(i)["status"] for i in ids]


def sandbox_env(directory: Path | str) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(directory))


def edit(path: Path, sql: str, *args: Any) -> None:
    """Change the database by hand, as someone with the sqlite3 shell might."""
    db = sqlite3.connect(path)
    with db:
        db.execute(sql, args)
    db.close()


def first_record(table: str) -> dict[str, Any]:
    return dict(next(iter(SEED[table].values())))


def edited_data(table: str, change: Callable[[dict[str, Any]], None]) -> str:
    record = first_record(table)
    change(record)
    return json.dumps(record)
