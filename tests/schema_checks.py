"""Checking JSON against the schemas in docs/schemas: formats checked (uuid, RFC 3339
date-time), and objects of aitasker's own closed.

Objects aitasker makes itself (results, operations, events...) are checked closed: a key the
schema does not name fails, so a new key cannot be printed without its schema saying so. The
server's objects stay open, as their schemas are.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no types of its own; no stubs in [test]

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
FORMATS = jsonschema.FormatChecker(formats=())


def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


def _is_date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset (Z or ±hh:mm)."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


FORMATS.checkers["uuid"] = (_is_uuid, ValueError)
FORMATS.checkers["date-time"] = (_is_date_time, ValueError)


@cache
def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((DOCS / f"{name}.json").read_text("utf-8"))
    return found


def closed(found: dict[str, Any]) -> dict[str, Any]:
    """The schema with every object that says nothing of other keys closed to them."""
    closed_schema = copy.deepcopy(found)
    stack: list[Any] = [closed_schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return closed_schema


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(closed(schema(name)), format_checker=FORMATS)


def problems(name: str, objects: list[Any]) -> list[str]:
    """Every way the objects break the (closed) schema `name`, one line each."""
    found = []
    for number, each in enumerate(objects):
        for error in validator(name).iter_errors(each):
            where = "/".join(str(part) for part in error.absolute_path)
            found.append(f"{name} #{number} at /{where}: {error.message}")
    return found
