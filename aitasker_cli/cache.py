"""Recently listed agents and workspaces, kept so that TAB can complete their IDs offline.

List commands write it as a side effect; completion only reads it, so pressing TAB never
waits on the network. It is plain text, one `kind<TAB>id<TAB>name` line an item, so that reading
it costs TAB nothing to import. Losing it costs nothing: failures to read or write are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from aitasker_cli.paths import cache_dir

KEEP = 500
NAME_FIELD = {"agents": "display_name", "workspaces": "name"}


def cache_path() -> Path:
    return cache_dir() / "completion.tsv"


def remembering(kind: str, items: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Pass `items` through unchanged, keeping the first few IDs and names for completion."""
    kept: list[tuple[str, str]] = []
    for item in items:
        if len(kept) < KEEP and isinstance(item.get("id"), str):
            kept.append((item["id"], str(item.get(NAME_FIELD[kind]) or "")))
        yield item
    if kept:
        _save(kind, kept)


def candidates(kind: str, incomplete: str) -> list[tuple[str, str]]:
    """(ID, name) pairs whose ID starts with what has been typed so far."""
    prefix = incomplete.lower()
    return [(i, name) for k, i, name in _load() if k == kind and i.startswith(prefix)]


def _load() -> list[tuple[str, str, str]]:
    try:
        lines = cache_path().read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    entries = []
    for line in lines:
        fields = line.split("\t")
        if len(fields) == 3:
            entries.append((fields[0], fields[1], fields[2]))
    return entries


def _save(kind: str, entries: list[tuple[str, str]]) -> None:
    others = [entry for entry in _load() if entry[0] != kind]
    fresh = [(kind, item_id, _one_line(name)) for item_id, name in entries]
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text("".join("\t".join(e) + "\n" for e in others + fresh), "utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # a cache that cannot be written only means no completion


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())
