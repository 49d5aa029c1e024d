"""Recently listed agents and workspaces, kept so that TAB can complete their IDs offline.

List commands write it as a side effect; completion only reads it, so pressing TAB never
waits on the network. Losing it costs nothing: failures to read or write are ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from aitasker_cli.config import cache_dir

KEEP = 500
NAME_FIELD = {"agents": "display_name", "workspaces": "name"}


def cache_path() -> Path:
    return cache_dir() / "completion.json"


def remembering(kind: str, items: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Pass `items` through unchanged, keeping the first few IDs and names for completion."""
    kept: list[list[str]] = []
    for item in items:
        if len(kept) < KEEP and isinstance(item.get("id"), str):
            kept.append([item["id"], str(item.get(NAME_FIELD[kind]) or "")])
        yield item
    if kept:
        _save(kind, kept)


def candidates(kind: str, incomplete: str) -> list[tuple[str, str]]:
    """(ID, name) pairs whose ID starts with what has been typed so far."""
    entries = _load().get(kind, [])
    prefix = incomplete.lower()
    return [
        (str(entry[0]), str(entry[1]))
        for entry in entries
        if isinstance(entry, list) and len(entry) == 2 and str(entry[0]).startswith(prefix)
    ]


def _load() -> dict[str, Any]:
    try:
        document = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _save(kind: str, entries: list[list[str]]) -> None:
    document = {**_load(), kind: entries}
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # a cache that cannot be written only means no completion
