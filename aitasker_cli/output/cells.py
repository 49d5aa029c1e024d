"""From the server's objects to text: field paths, cells, times and JSON, safe for each format.

An item is a model (aitasker_cli/api/models.py) or a plain mapping. Cells read typed values from it
(datetimes, enums); JSON is projected from the object exactly as the server sent it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.views import View
from aitasker_cli.output import github
from aitasker_cli.output.sink import escape

MAX_FIELD_DEPTH = 16
MESSAGE_LIMIT = 500
"""How much of a server's message is shown: cut only after secrets are blanked out."""
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
# What json.dumps leaves raw inside strings but a terminal may act on.
_UNSAFE_IN_JSON = "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# Characters Markdown gives a meaning to inside a table cell; escaped, the cell shows as sent.
_MARKDOWN_SPECIAL = r"([\\|`*_\[\]<>~#])"


def parse_fields(fields: str) -> tuple[str, ...]:
    """`--fields a,b.c` as paths: well formed, short, and none inside another."""
    selected = tuple(name.strip() for name in fields.split(",") if name.strip())
    if not selected:
        raise UsageError("--fields needs at least one field name")
    for field in selected:
        parts = field.split(".")
        if len(parts) > MAX_FIELD_DEPTH or not all(parts):
            shown = field if len(field) <= 60 else field[:57] + "..."
            raise UsageError(
                f"'{shown}' is not a field path",
                hint=f"Use names joined by dots, at most {MAX_FIELD_DEPTH} deep, such as "
                "workspace.name.",
            )
    for field in selected:
        for other in selected:
            if other.startswith(field + "."):
                raise UsageError(
                    f"--fields names both '{field}' and '{other}', which is inside it",
                    hint=f"Keep one of them: '{field}' already includes '{other}'.",
                )
    return selected


def raw_of(item: Any) -> Mapping[str, Any]:
    """The object as the server sent it: a model's `raw`, or the mapping itself."""
    if isinstance(item, Mapping):
        return item
    raw: Mapping[str, Any] = item.raw
    return raw


def checked_fields(fields: Sequence[str], view: View, sample: Any) -> Sequence[str]:
    """`fields`, if each starts with a name the view or the item knows; UsageError if not."""
    known = {field.split(".")[0] for field in (*view.columns, *view.detail)} | set(raw_of(sample))
    unknown = [field for field in fields if field.split(".")[0] not in known]
    if unknown:
        raise UsageError(
            f"unknown field '{unknown[0]}' for {view.plural}",
            hint=f"Known fields: {', '.join(sorted(known))}.",
        )
    return fields


def project(item: Any, fields: Sequence[str] | None, view: View) -> Any:
    """The object as the server sent it, or only the asked-for keys (nested for a.b paths)."""
    raw = raw_of(item)
    if fields is None:
        return raw
    checked_fields(fields, view, raw)
    return nested(raw, fields)


def nested(raw: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Only the keys at `fields`, nested as they were (`a.b` gives `{"a": {"b": …}}`)."""
    projected: dict[str, Any] = {}
    for field in fields:
        *parents, leaf = field.split(".")
        target = projected
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = lookup(raw, field)
    return projected


def lookup(item: Any, field: str) -> Any:
    """The value at a dotted path: typed for a model, as sent for a mapping; None if absent."""
    value: Any = item
    for part in field.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif value is not None and _is_field(value, part):
            value = getattr(value, part)
        else:
            return None
    return value


def _is_field(model: Any, name: str) -> bool:
    """Whether `name` is one of a model's fields (known or kept from the server), not a method."""
    known = getattr(type(model), "model_fields", {})
    kept = getattr(model, "model_extra", None) or {}
    return name in known or name in kept


def to_json(value: Any, *, compact: bool = False) -> str:
    """JSON as the server sent it; never NaN, and nothing raw a terminal would act on."""
    text = json.dumps(
        value,
        allow_nan=False,
        ensure_ascii=False,
        indent=None if compact else 2,
        separators=(",", ":") if compact else None,
        default=_json_value,
    )
    # json.dumps already escapes C0 controls; C1 controls and bidi overrides only ever occur
    # inside strings here, so escaping them keeps the JSON valid and the terminal safe.
    text = re.sub(_UNSAFE_IN_JSON, lambda match: f"\\u{ord(match.group()):04x}", text)
    return github.inert_json(text) if github.active() else text


def _json_value(value: Any) -> Any:
    """Our own typed values in JSON (a report's datetime); the server's objects have none."""
    if isinstance(value, datetime):
        return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON")


def plain_cell(item: Any, field: str, *, tsv: bool) -> str:
    """A TSV or CSV cell: ISO-8601 UTC times, controls made visible (TSV doubles backslashes)."""
    value = lookup(item, field)
    if isinstance(value, datetime):
        return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = scalar(value)
    # In TSV a backslash starts an escape, so a literal one is doubled to stay unambiguous.
    return escape(text.replace("\\", "\\\\") if tsv else text)


def table_cell(item: Any, field: str, now: datetime) -> str:
    """A cell for people: relative times, controls made visible."""
    value = lookup(item, field)
    if isinstance(value, datetime):
        return relative_time(_utc(value), now)
    return inert_in_workflow(escape(scalar(value)))


def inert(cell: str) -> str:
    """A CSV cell, with a leading ' if a spreadsheet would run it as a formula; numbers stay."""
    if cell.startswith(_FORMULA_START) and not re.fullmatch(_PLAIN_NUMBER, cell):
        return "'" + cell
    return cell


def inert_in_workflow(cell: str) -> str:
    """A cell of text (table, tsv, csv, id) that, in GitHub mode, starts no workflow command."""
    return github.inert(cell) if github.active() else cell


def markdown_cell(text: str) -> str:
    """A Markdown table cell that shows `text` as it is: no link, no emphasis, no new column."""
    return re.sub(_MARKDOWN_SPECIAL, r"\\\1", text)


def scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def clip(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def heading(field: str) -> str:
    return field.replace("_", " ").replace(".", " ").upper()


def _utc(value: datetime) -> datetime:
    """A time in UTC; one the server sent without a zone is taken to be UTC already."""
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def relative_time(when: datetime, now: datetime) -> str:
    """'3 min ago', 'in 2 h', 'just now'; a date once it is more than a month away."""
    seconds = (now - when).total_seconds()
    distance = abs(seconds)
    if distance < 45:
        return "just now"
    if distance < 90 * 60:
        amount = f"{round(distance / 60)} min"
    elif distance < 22 * 3600:
        amount = f"{round(distance / 3600)} h"
    elif distance < 30 * 86400:
        days = round(distance / 86400)
        amount = f"{days} day" if days == 1 else f"{days} days"
    else:
        return when.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return f"{amount} ago" if seconds > 0 else f"in {amount}"
