"""What a tool call gives back to the assistant: plain JSON data with no secret in it, the
same data as text with its control characters escaped, and errors as data too.

Everything the server sent is data to the assistant, never instructions: it only ever appears
inside JSON values (structured content, and the text part, which is the same JSON), never in a
tool's description. Before any of it leaves, the token is blanked wherever it occurs: a server
that echoes it back (in an agent's name) must not hand it to the assistant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from aitasker_cli.core.errors import AitaskerError, ExitCode


def jsonable(value: Any) -> Any:
    """`value` as JSON data: a model as the server sent it (its `raw`, with the fingerprint of
    a task), mappings and lists all the way down, datetimes as ISO-8601 UTC, secrets blanked."""
    from aitasker_cli.output import sink

    if isinstance(value, str):
        return sink.redact_registered(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # JSON has no NaN or Infinity
    if isinstance(value, Mapping):
        return {sink.redact_registered(str(key)): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Enum):
        return jsonable(value.value)
    raw = getattr(value, "raw", None)
    if isinstance(raw, Mapping):
        return jsonable(raw)
    return sink.redact_registered(str(value))


def as_text(data: Any) -> str:
    """The text part of a result: the data as compact JSON, every control character (C0, C1,
    DEL, bidirectional overrides) a `\\uXXXX` escape, so the text is inert wherever it is
    shown and still parses to the same data."""
    from aitasker_cli.output.cells import to_json

    return to_json(data, compact=True)


def error_data(exc: AitaskerError) -> dict[str, Any]:
    """An error as the assistant gets it: what the command line would say on stderr (message,
    hint, HTTP status, request ID) and the exit code it would end with."""
    from aitasker_cli.output import hints

    error: dict[str, Any] = {
        "exit_code": int(exc.exit_code),
        "message": _safe(hints.with_flags(exc.message)),
    }
    if exc.hint:
        error["hint"] = _safe(hints.with_flags(exc.hint))
    if exc.status is not None:
        error["status"] = exc.status
    if exc.request_id:
        error["request_id"] = _safe(exc.request_id)
    return {"error": error}


def unexpected_data(exc: BaseException) -> dict[str, Any]:
    """A bug's error: its type only (its text may hold anything), and where to look."""
    return {
        "error": {
            "exit_code": int(ExitCode.UNEXPECTED),
            "message": f"unexpected {type(exc).__name__}: this is a bug in aitasker",
            "hint": "The server's stderr has the details; run `aitasker mcp --debug` for the "
            "traceback.",
        }
    }


def _safe(text: str) -> str:
    """Error text without the token or anything shaped like one (as on stderr)."""
    from aitasker_cli.output import sink

    return sink.redact_patterns(sink.redact_registered(text))
