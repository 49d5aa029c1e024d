"""The documented shapes the sandbox holds to: request bodies it accepts, records it keeps.

The shapes are those of shared/api/openapi.yaml, written out here because the sandbox uses the
standard library only. Errors come back in FastAPI's 422 form, so a client sees what the real
API would answer to the same body.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from aitasker_cli.core.patterns import encodable
from aitasker_cli.sandbox.fleet import ApiProblem, validation_problem

BODY_DEPTH = 32
"""Levels a request body may nest. Responses wrap what a body stored (an agent's config, a
workspace's settings) in at most three more, and the CLI refuses responses nested deeper than
64, so nothing the sandbox stores can make its own client fail."""
STATE_DEPTH = 64
"""Levels a stored state or record may nest: what a body brings is stored a few levels down,
never 32."""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """One property: the JSON types it may have, whether it must be there, and its format."""

    kinds: tuple[str, ...]
    required: bool = False
    uuid: bool = False


TEXT = Field(("string",), required=True)
TEXT_OR_NULL = Field(("string", "null"))
NULLABLE_TEXT = Field(("string", "null"), required=True)
OBJECT = Field(("object",), required=True)
ID = Field(("string",), required=True, uuid=True)

BODIES: dict[str, tuple[dict[str, Field], bool]] = {
    "hireAgent": (
        {
            "agent_type": TEXT,
            "tier": TEXT,
            "display_name": TEXT_OR_NULL,
            "persona_name": TEXT_OR_NULL,
            "team_id": Field(("string", "null"), uuid=True),
            "config": Field(("object",)),
        },
        True,
    ),
    "updateHiredAgent": (
        {
            "display_name": TEXT_OR_NULL,
            "persona_name": TEXT_OR_NULL,
            "config": Field(("object", "null")),
        },
        True,
    ),
    "updateWorkspace": (
        {"name": TEXT_OR_NULL, "settings": Field(("object", "null"))},
        True,
    ),
    "approveWorkspaceTask": ({"reason": TEXT_OR_NULL}, False),
    "rejectWorkspaceTask": ({"reason": TEXT_OR_NULL}, False),
}
"""HireAgentRequest, HiredAgentUpdate, WorkspaceUpdate and TaskDecision, by operation; and
whether the body is required."""

RECORDS: dict[str, dict[str, Field]] = {
    "agents": {
        "id": ID,
        "user_id": ID,
        "agent_type": TEXT,
        "display_name": NULLABLE_TEXT,
        "status": TEXT,
        "tier": TEXT,
        "stripe_subscription_id": NULLABLE_TEXT,
        "config": OBJECT,
        "hired_at": TEXT,
        "paused_at": NULLABLE_TEXT,
        "cancelled_at": NULLABLE_TEXT,
        "created_at": TEXT,
        "updated_at": TEXT,
        "persona_name": NULLABLE_TEXT,
        "team_id": Field(("string", "null"), uuid=True),
        "team_type": TEXT_OR_NULL,
    },
    "workspaces": {
        "id": ID,
        "hired_agent_id": ID,
        "user_id": ID,
        "name": TEXT,
        "status": TEXT,
        "settings": OBJECT,
        "metrics_cache": OBJECT,
        "last_active_at": NULLABLE_TEXT,
        "created_at": TEXT,
        "updated_at": TEXT,
    },
    "tasks": {
        "id": ID,
        "workspace_id": ID,
        "hired_agent_id": ID,
        "skill_slug": TEXT,
        "title": TEXT,
        "description": NULLABLE_TEXT,
        "schedule_type": TEXT,
        "trigger": OBJECT,
        "status": TEXT,
        "priority": TEXT,
        "output_data": OBJECT,
        "proposed_actions": OBJECT,
        "approval_level": TEXT,
        "approved_by": Field(("string", "null"), required=True, uuid=True),
        "approved_at": NULLABLE_TEXT,
        "cost_usd": Field(("number",), required=True),
        "started_at": NULLABLE_TEXT,
        "completed_at": NULLABLE_TEXT,
        "created_at": TEXT,
    },
}
"""HiredAgentResponse (with its team), WorkspaceResponse and WorkspaceTaskResponse: what every
record in the state must be, since responses are built from them as they are."""

_PROBLEMS = {
    "string": ("string_type", "Input should be a valid string"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "number": ("float_type", "Input should be a valid number"),
}


_KIND_NAMES = {
    "string": "a string",
    "object": "an object",
    "number": "a number",
    "null": "null",
    "boolean": "a boolean",
    "array": "an array",
    "binary": "binary data",
}


_LONE_SURROGATE = "it holds text that is not valid Unicode (a lone surrogate)"


class InvalidJson(ValueError):
    """Text that is not the strict JSON the API exchanges."""


def parse_json(raw: bytes | str, *, depth: int) -> Any:
    """Strict JSON: no NaN or Infinity, no number that overflows to one, nesting to `depth`
    levels at most, and text that can be written back as UTF-8; InvalidJson otherwise."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise InvalidJson(f"it is nested deeper than {depth} levels") from None
    except InvalidJson:
        raise
    except ValueError as exc:  # also bytes that are not UTF-8
        raise InvalidJson(f"it is not valid JSON ({exc})") from None
    problem = _walk_problem(value, depth)
    if problem:
        raise InvalidJson(problem)
    return value


def check_body(operation: str, raw: bytes) -> Any:
    """The request body of an operation with a documented schema, parsed and checked.

    Raises a 422 ApiProblem listing every way the body breaks the schema, as FastAPI does.
    """
    fields, required = BODIES[operation]
    if not raw.strip():
        if required:
            raise validation_problem(["body"], "Field required", "missing", None)
        return {}
    body = parse_body(raw)
    if not isinstance(body, dict):
        raise validation_problem(
            ["body"],
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
            body,
        )
    errors = [
        error
        for name, field in fields.items()
        for error in _field_errors(body, name, field, ["body", name])
    ]
    if errors:
        raise ApiProblem(422, errors)
    return body


def parse_body(raw: bytes) -> Any:
    """A request body as JSON, or FastAPI's 422 `json_invalid`."""
    try:
        return parse_json(raw, depth=BODY_DEPTH)
    except InvalidJson as exc:
        raise ApiProblem(
            422,
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", 0],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ],
        ) from None


def state_problem(state: Any) -> str | None:
    """What is wrong with a loaded sandbox state, in a few words; None when it is sound."""
    if not isinstance(state, dict):
        return "it is not a JSON object"
    for table in RECORDS:
        records = state.get(table)
        if not isinstance(records, dict):
            return f"'{table}' is not an object of records"
        for key, record in records.items():
            problem = record_problem(table, key, record)
            if problem:
                return problem
    return None


def record_problem(table: str, key: str, record: Any) -> str | None:
    """What is wrong with one stored record of `table`, in a few words; None when it is sound."""
    where = f"{table}.{key}"
    if not isinstance(record, dict):
        return f"{where} is not an object"
    for name, field in RECORDS[table].items():
        errors = _field_errors(record, name, field, [])
        if errors:
            return _in_words(f"{where}.{name}", errors[0], field)
    return None


def _in_words(where: str, error: dict[str, Any], field: Field) -> str:
    if error["type"] == "missing":
        return f"{where} is missing"
    if error["type"] == "uuid_parsing":
        return f"{where} is not a UUID"
    expected = " or ".join(_KIND_NAMES[kind] for kind in field.kinds)
    return f"{where} is {_KIND_NAMES[_kind(error['input'])]}, not {expected}"


def _field_errors(
    body: dict[str, Any], name: str, field: Field, loc: list[str | int]
) -> list[dict[str, Any]]:
    if name not in body:
        if field.required:
            return [{"type": "missing", "loc": loc, "msg": "Field required", "input": body}]
        return []
    value = body[name]
    if _kind(value) not in field.kinds:
        kind, message = _PROBLEMS[field.kinds[0]]
        return [{"type": kind, "loc": loc, "msg": message, "input": value}]
    if field.uuid and isinstance(value, str) and not _UUID.fullmatch(value):
        message = "Input should be a valid UUID, invalid character or length"
        return [{"type": "uuid_parsing", "loc": loc, "msg": message, "input": value}]
    return []


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):  # an SQLite blob, put in the sandbox's database by hand
        return "binary"
    return "object" if isinstance(value, dict) else "array"


def _walk_problem(value: Any, limit: int) -> str | None:
    """Nesting past `limit`, or a lone surrogate that UTF-8 cannot hold; iterative, so a deep
    value cannot exhaust the stack."""
    if isinstance(value, str):
        return None if encodable(value) else _LONE_SURROGATE
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return f"it is nested deeper than {limit} levels"
        if isinstance(current, dict):
            if not all(encodable(key) for key in current):
                return _LONE_SURROGATE
            current = current.values()
        for child in current:
            if isinstance(child, str):
                if not encodable(child):
                    return _LONE_SURROGATE
            elif isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return None


def _no_constant(name: str) -> Any:
    raise InvalidJson(f"it holds {name}, which is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InvalidJson(f"it holds {text[:20]}, too large for a JSON number")
    return number
