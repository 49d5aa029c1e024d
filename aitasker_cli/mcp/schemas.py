"""The tools' output schemas: the JSON Schemas `aitasker schema` prints (the package's
aitasker_cli/schemas/NAME.json), made into one self-contained object schema per tool.

MCP wants an object at the top of every structured result, so lists are wrapped
(`{"agents": [...], "more": false}`). Each schema file's own `$defs` are lifted into the tool
schema's `$defs` and its `$id` dropped, so every `$ref` resolves inside the one document (MCP
clients validate results with no registry of other documents).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent.parent / "schemas"
"""aitasker_cli/schemas/, where the package keeps the schemas (written by tools/regen.py)."""
MISSING: list[str] = []
"""Schema files that could not be read: their tools fall back to a bare object schema."""
ANY_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}


def read(name: str) -> dict[str, Any]:
    """The schema `aitasker schema NAME` prints, or a bare object schema if it is missing."""
    try:
        found = json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict):
        if name not in MISSING:
            MISSING.append(name)
        return dict(ANY_OBJECT)
    schema: dict[str, Any] = found
    return schema


def lifted(name: str, defs: dict[str, Any]) -> dict[str, Any]:
    """Schema NAME without `$schema`, `$id` and `$defs`; its definitions go into `defs` (under
    their own names where they agree with one already there, else under `NAME_DEF`)."""
    schema = copy.deepcopy(read(name))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    inner: dict[str, Any] = schema.pop("$defs", {})
    renamed: dict[str, str] = {}
    for key, definition in inner.items():
        if key in defs and defs[key] != definition:
            renamed[key] = f"{name.replace('-', '_')}_{key}"
    for key, definition in inner.items():
        defs[renamed.get(key, key)] = _with_refs(definition, renamed)
    lifted_schema: dict[str, Any] = _with_refs(schema, renamed)
    return lifted_schema


def one(name: str) -> dict[str, Any]:
    """A tool returning one object of schema NAME (show_agent, show_task)."""
    defs: dict[str, Any] = {}
    schema = lifted(name, defs)
    return {**schema, "$defs": defs} if defs else schema


def listing(key: str, name: str) -> dict[str, Any]:
    """`{KEY: [objects of schema NAME], "more": bool}`."""
    defs: dict[str, Any] = {}
    item = lifted(name, defs)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            key: {"type": "array", "items": item},
            "more": {
                "type": "boolean",
                "description": "Whether more exist beyond `limit` (ask again with a larger one).",
            },
        },
        "required": [key, "more"],
    }
    return {**schema, "$defs": defs} if defs else schema


def history() -> dict[str, Any]:
    """The journal's operations, newest first; with `operation`, that one and its items."""
    defs: dict[str, Any] = {}
    operation = lifted("history", defs)
    item = lifted("history-item", defs)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "operations": {"type": "array", "items": operation},
            "items": {
                "type": "array",
                "items": item,
                "description": "The items of the operation asked for (only with `operation`).",
            },
            "more": {"type": "boolean"},
        },
        "required": ["operations", "more"],
    }
    return {**schema, "$defs": defs} if defs else schema


def run() -> dict[str, Any]:
    """What a change tool returns: the per-item results and the run as a whole."""
    defs: dict[str, Any] = {}
    result = lifted("result", defs)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "action": {
                "type": "string",
                "description": "pause, resume, cancel, approve, reject or undo.",
            },
            "dry_run": {"type": "boolean", "description": "True: nothing was sent."},
            "operation": {
                "type": ["string", "null"],
                "description": "The journal's operation ID: `aitasker history OPERATION` shows "
                "it, `aitasker undo OPERATION` (or the undo tool) reverses a pause or resume. "
                "Null for a dry run, or when nothing was changed.",
            },
            "ok": {
                "type": "boolean",
                "description": "False if any item was skipped, failed or interrupted.",
            },
            "summary": {"type": "string", "description": "The run in one sentence."},
            "counts": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "How many items came to each outcome.",
            },
            "journal_problem": {
                "type": ["string", "null"],
                "description": "Why the journal could not record the run (it cannot be undone).",
            },
            "results": {"type": "array", "items": result},
        },
        "required": ["action", "dry_run", "operation", "ok", "summary", "counts", "results"],
    }
    return {**schema, "$defs": defs} if defs else schema


def _with_refs(value: Any, renamed: dict[str, str]) -> Any:
    """`value` with each `$ref` to a renamed definition pointing at its new name."""
    if not renamed:
        return value
    if isinstance(value, dict):
        out = {key: _with_refs(item, renamed) for key, item in value.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            key = ref.removeprefix("#/$defs/")
            out["$ref"] = f"#/$defs/{renamed.get(key, key)}"
        return out
    if isinstance(value, list):
        return [_with_refs(item, renamed) for item in value]
    return value
