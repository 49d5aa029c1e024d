"""Everything aitasker writes: data on stdout in the chosen format, messages on stderr.

Server strings are data, never markup: rich only ever receives `Text` objects, and control
characters are made visible before anything reaches a terminal or a TSV/CSV consumer. JSON is
written with plain writes, never through rich, so it cannot be re-wrapped or re-styled.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from aitasker_cli.errors import AitaskerError, LocalIOError, OutputClosed, UsageError
from aitasker_cli.views import View

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

FORMATS = ("table", "json", "ndjson", "csv", "tsv", "id")

_secrets: set[str] = set()

# Patterns are kept as text and compiled on first use (re caches them), so importing this
# module stays cheap for --help and TAB.
# C0 and C1 controls, DEL, and the bidirectional overrides that can reorder what a terminal
# shows; ZWJ is left alone because emoji sequences need it.
# Lone surrogates (from a JSON "\\ud800") cannot be encoded at all, so they are escaped too.
_UNSAFE = (
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# What json.dumps leaves raw inside strings but a terminal may act on.
_UNSAFE_IN_JSON = "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# Token-looking values a --debug line could carry in a URL: the platform's API keys, JWTs,
# and the values of query parameters named like secrets.
_TOKEN_LIKE = (
    r"(?i)aitk_(?:live|test)_[A-Za-z0-9_-]+"
    r"|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|(?<=[?&])(?P<name>[^=&\s]*(?:token|key|secret|password|auth)[^=&\s]*)=[^&\s]*"
)
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# A registered token shorter than this, and not shaped like one of the platform's keys or a
# JWT, is too short to be a credential: replacing it would alter data (every "a" for a token
# "a"), so it is not treated as a secret.
_SHORTEST_SECRET = 16
_CREDENTIAL_SHAPE = r"aitk_(?:live|test)_\S+|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
MESSAGE_LIMIT = 500
"""How much of a server's message is shown: cut only after secrets are blanked out."""
MAX_FIELD_DEPTH = 16
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COLUMN_GAP = 3  # rich's padding between SIMPLE_HEAD columns
_STATUS_STYLES = {"active": "green", "paused": "yellow", "cancelled": "red", "failed": "red"}


class Output(NamedTuple):
    format: str
    fields: tuple[str, ...] | None
    color: bool


def output_options(fmt: str | None, fields: str | None, *, no_color: bool) -> Output:
    """Resolve the format (table on a terminal, tsv otherwise), `--fields` and colour."""
    chosen = fmt or ("table" if _is_terminal(sys.stdout) else "tsv")
    if chosen not in FORMATS:
        raise UsageError(
            f"'{chosen}' is not an output format", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    selected = None
    if fields is not None:
        selected = tuple(name.strip() for name in fields.split(",") if name.strip())
        if not selected:
            raise UsageError("--fields needs at least one field name")
        _check_field_paths(selected)
    color = not no_color and not os.environ.get("NO_COLOR")
    return Output(chosen, selected, color)


def _check_field_paths(fields: Sequence[str]) -> None:
    """Each path short and well formed, and none both a value and a parent of another."""
    for field in fields:
        parts = field.split(".")
        if len(parts) > MAX_FIELD_DEPTH or not all(parts):
            shown = field if len(field) <= 60 else field[:57] + "..."
            raise UsageError(
                f"'{shown}' is not a field path",
                hint=f"Use names joined by dots, at most {MAX_FIELD_DEPTH} deep, such as "
                "workspace.name.",
            )
    for field in fields:
        for other in fields:
            if other.startswith(field + "."):
                raise UsageError(
                    f"--fields names both '{field}' and '{other}', which is inside it",
                    hint=f"Keep one of them: '{field}' already includes '{other}'.",
                )


# --- data on stdout -------------------------------------------------------------------------


def show(item: Mapping[str, Any], view: View, out: Output) -> None:
    """Write one object: a key/value table, a JSON object, or a single row."""
    if out.format == "table":
        fields = _checked_fields(out.fields or view.detail, view, item)
        _print_rich(_console(out.color), _detail_table(item, fields))
    elif out.format == "json":
        _write(_json(_project(item, out.fields, view)) + "\n")
    else:
        show_many([item], view, out)


def show_many(items: Iterable[Mapping[str, Any]], view: View, out: Output) -> None:
    """Write a list; ndjson, tsv, csv and id stream each item as it arrives."""
    iterator = iter(items)
    if out.format in ("table", "json"):
        collected = list(iterator)
        if out.format == "json":
            _write(_json([_project(item, out.fields, view) for item in collected]) + "\n")
        elif collected:
            fields = _checked_fields(out.fields or view.columns, view, collected[0])
            console = _console(out.color)
            table, hidden = _list_table(collected, fields, console.width)
            _print_rich(console, table)
            if hidden:
                message(f"({', '.join(hidden)} left out to fit the terminal; see --fields)")
        else:
            message(f"No {view.plural} found.")
        return
    first = next(iterator, None)
    if first is None:
        return
    fields = _checked_fields(out.fields or view.columns, view, first)
    rows = _chain(first, iterator)
    if out.format == "ndjson":
        for item in rows:
            _write(_json(_project(item, out.fields, view), compact=True) + "\n")
    elif out.format == "id":
        for item in rows:
            _write(_escape(str(item.get("id", ""))) + "\n")
    else:
        for text in _delimited_lines(rows, fields, out.format):
            _write(text)


class BulkResults:
    """One result per item of a bulk pause or resume, in the contract's shape.

    ndjson, tsv, csv and id are written as each item completes; json (an array in input
    order) and table wait for the last one. `--fields` applies to the agent in each result.
    """

    def __init__(self, view: View, out: Output, order: Sequence[str]) -> None:
        self.view = view
        self.out = out
        self.fields = tuple(out.fields or ("display_name", "status"))
        _checked_fields(self.fields, view, {})
        self.columns = ("id", "ok", *self.fields, "error")
        holds = out.format in ("json", "table")  # the streaming formats keep nothing
        self.rank = {agent_id: n for n, agent_id in enumerate(order)} if holds else {}
        self.kept: list[Mapping[str, Any]] = []
        if out.format == "csv":
            _write(_csv_line(self.columns))

    def add(self, result: Mapping[str, Any]) -> None:
        result = _shown_result(result)
        shown = (
            {**result, "agent": _project(result["agent"], self.out.fields, self.view)}
            if (result.get("agent") is not None)
            else result
        )
        if self.out.format in ("json", "table"):
            self.kept.append(shown)
        elif self.out.format == "ndjson":
            _write(_json(shown, compact=True) + "\n")
        elif self.out.format == "id":
            if result["ok"]:
                _write(_escape(result["id"]) + "\n")
        elif self.out.format == "csv":
            _write(_csv_line([_plain_cell(self._row(result), c, tsv=False) for c in self.columns]))
        else:
            row = self._row(result)
            _write("\t".join(_plain_cell(row, c, tsv=True) for c in self.columns) + "\n")

    def finish(self) -> None:
        ordered = sorted(self.kept, key=lambda result: self.rank.get(result["id"], 0))
        if self.out.format == "json":
            _write(_json(ordered) + "\n")
        elif self.out.format == "table" and ordered:
            console = _console(self.out.color)
            table, _hidden = _list_table(
                [self._row(r) for r in ordered], self.columns, console.width
            )
            _print_rich(console, table)

    def _row(self, result: Mapping[str, Any]) -> dict[str, Any]:
        agent = result.get("agent") or {}
        error = result.get("error") or {}
        cells = {field: _lookup(agent, field) for field in self.fields}
        return {**cells, "id": result["id"], "ok": result["ok"], "error": error.get("message")}


def _shown_result(result: Mapping[str, Any]) -> Mapping[str, Any]:
    """A bulk result whose error message (server text) is redacted, then cut."""
    error = result.get("error")
    if not isinstance(error, Mapping) or not isinstance(error.get("message"), str):
        return result
    message = _clip(_redact_registered(error["message"]))
    return {**result, "error": {**error, "message": message}}


@contextlib.contextmanager
def progress(total: int, label: str, out: Output) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr, only for a person watching it; yields the step function.

    It stays off when stdout is the same terminal and results stream to it line by line.
    """
    streaming_to_terminal = _is_terminal(sys.stdout) and out.format not in ("table", "json")
    if not _is_terminal(sys.stderr) or streaming_to_terminal:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def response_body(value: Any) -> None:
    """What `aitasker api` got back: JSON pretty-printed, text with controls made visible."""
    if value is None:
        return
    if isinstance(value, str):
        _write(_escape_lines(value.rstrip("\n")) + "\n")
    else:
        _write(_json(value) + "\n")


def json_pages(pages: Iterable[list[Any]], out: Output) -> None:
    """Items of every page: one JSON array, or (with -o ndjson) each item as its page arrives."""
    if out.format == "ndjson":
        for page in pages:
            for item in page:
                _write(_json(item, compact=True) + "\n")
    else:
        _write(_json([item for page in pages for item in page]) + "\n")


def line(text: str) -> None:
    """One line of our own on stdout (such as the version)."""
    _write(text + "\n")


def write_secret(value: str) -> None:
    """Write a token to stdout: the one deliberate exception to redaction (`auth token`)."""
    _write(value + "\n", redact=False)


def _delimited_lines(
    rows: Iterable[Mapping[str, Any]], fields: Sequence[str], fmt: str
) -> Iterator[str]:
    if fmt == "csv":
        yield _csv_line(fields)
        for item in rows:
            yield _csv_line([_plain_cell(item, field, tsv=False) for field in fields])
    else:
        for item in rows:
            yield "\t".join(_plain_cell(item, field, tsv=True) for field in fields) + "\n"


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    import csv

    csv.writer(buffer, lineterminator="\r\n").writerow([_inert(cell) for cell in cells])
    return buffer.getvalue()


def _inert(cell: str) -> str:
    """The cell, with a leading ' if a spreadsheet would run it as a formula; numbers stay."""
    if cell.startswith(_FORMULA_START) and not re.fullmatch(_PLAIN_NUMBER, cell):
        return "'" + cell
    return cell


def _chain(
    first: Mapping[str, Any], rest: Iterator[Mapping[str, Any]]
) -> Iterator[Mapping[str, Any]]:
    yield first
    yield from rest


def _checked_fields(fields: Sequence[str], view: View, sample: Mapping[str, Any]) -> Sequence[str]:
    known = {field.split(".")[0] for field in (*view.columns, *view.detail)} | set(sample)
    unknown = [field for field in fields if field.split(".")[0] not in known]
    if unknown:
        raise UsageError(
            f"unknown field '{unknown[0]}' for {view.plural}",
            hint=f"Known fields: {', '.join(sorted(known))}.",
        )
    return fields


def _project(item: Mapping[str, Any], fields: Sequence[str] | None, view: View) -> Any:
    """The object as the server sent it, or only the asked-for keys (nested for a.b paths)."""
    if fields is None:
        return item
    _checked_fields(fields, view, item)
    projected: dict[str, Any] = {}
    for field in fields:
        *parents, leaf = field.split(".")
        target = projected
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = _lookup(item, field)
    return projected


def _lookup(item: Mapping[str, Any], field: str) -> Any:
    value: Any = item
    for part in field.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _json(value: Any, *, compact: bool = False) -> str:
    text = json.dumps(
        value,
        allow_nan=False,
        ensure_ascii=False,
        indent=None if compact else 2,
        separators=(",", ":") if compact else None,
    )
    # json.dumps already escapes C0 controls; C1 controls and bidi overrides only ever occur
    # inside strings here, so escaping them keeps the JSON valid and the terminal safe.
    return re.sub(_UNSAFE_IN_JSON, lambda match: f"\\u{ord(match.group()):04x}", text)


# --- cells ----------------------------------------------------------------------------------


def _plain_cell(item: Mapping[str, Any], field: str, *, tsv: bool) -> str:
    value = _lookup(item, field)
    if field.endswith("_at") and isinstance(value, str):
        parsed = _parse_time(value)
        if parsed is not None:
            return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = _scalar(value)
    # In TSV a backslash starts an escape, so a literal one is doubled to stay unambiguous.
    return _escape(text.replace("\\", "\\\\") if tsv else text)


def _table_cell(item: Mapping[str, Any], field: str, now: datetime) -> str:
    value = _lookup(item, field)
    if field.endswith("_at") and isinstance(value, str):
        parsed = _parse_time(value)
        if parsed is not None:
            return relative_time(parsed, now)
    return _escape(_scalar(value))


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _escape(text: str) -> str:
    """Make control characters visible (`\\x1b`) so they cannot act on a terminal."""
    return re.sub(_UNSAFE, _visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


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


# --- rich tables ----------------------------------------------------------------------------


def _list_table(
    items: Sequence[Mapping[str, Any]], fields: Sequence[str], width: int
) -> tuple[Any, Sequence[str]]:
    """A table that fits `width`, and the fields left out to make it fit."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    now = datetime.now(timezone.utc)
    rows = [[_table_cell(item, field, now) for field in fields] for item in items]
    headings = [_heading(field) for field in fields]
    natural = [
        max(len(heading), *(cell_len(row[n]) for row in rows)) for n, heading in enumerate(headings)
    ]
    # IDs are never shortened, since people copy them; other cells may be cut to fit, but
    # never narrower than their heading. Columns that cannot fit even so are left out.
    floors = [natural[n] if _is_id(field) else len(headings[n]) for n, field in enumerate(fields)]
    shown = 1
    while shown < len(fields) and sum(floors[: shown + 1]) + _COLUMN_GAP * shown <= width:
        shown += 1
    widths = _shrink(natural[:shown], floors[:shown], width - _COLUMN_GAP * (shown - 1))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for heading, column_width in zip(headings, widths, strict=False):
        table.add_column(heading, no_wrap=True, overflow="ellipsis", width=column_width)
    for row in rows:
        table.add_row(*(_styled(f, cell) for f, cell in zip(fields[:shown], row, strict=False)))
    return table, fields[shown:]


def _shrink(widths: list[int], floors: list[int], budget: int) -> list[int]:
    """Narrow the widest columns, one cell at a time, until they fit `budget` or the floors."""
    widths = list(widths)
    while sum(widths) > budget:
        shrinkable = [n for n, w in enumerate(widths) if w > floors[n]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda n: widths[n])] -= 1
    return widths


def _is_id(field: str) -> bool:
    return field == "id" or field.endswith("_id")


def _detail_table(item: Mapping[str, Any], fields: Sequence[str]) -> Any:
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    now = datetime.now(timezone.utc)
    for field in fields:
        table.add_row(_text(_heading(field)), _styled(field, _table_cell(item, field, now)))
    return table


def _heading(field: str) -> str:
    return field.replace("_", " ").replace(".", " ").upper()


def _styled(field: str, cell: str) -> Text:
    style = _STATUS_STYLES.get(cell.lower(), "") if field.endswith("status") else ""
    return _text(cell, style)


def _text(content: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(content, style=style)


def _print_rich(console: Console, renderable: Any) -> None:
    """Render for stdout's terminal, then write through the same sink as every other byte."""
    with console.capture() as captured:
        console.print(renderable)
    _write(captured.get())


def _console(color: bool) -> Console:
    from rich.console import Console

    return Console(
        file=sys.stdout,
        markup=False,
        highlight=False,
        emoji=False,
        color_system="auto" if color else None,
    )


# --- messages on stderr ---------------------------------------------------------------------


def message(text: str) -> None:
    """A note for the person at the terminal (stderr, so stdout stays data)."""
    _err(text)


def warning(text: str) -> None:
    _err(f"Warning: {text}")


def debug(text: str) -> None:
    """One line of the --debug log, with anything that looks like a secret blanked out."""
    _err(f"debug: {text}")


def _blank_secret(match: re.Match[str]) -> str:
    name = match.group("name")
    return f"{name}=<redacted>" if name else "<redacted>"


def error(err: AitaskerError) -> None:
    """`Error: ...`, a hint where one helps, and the request id the server gave, on stderr."""
    text = _clip(_redact_patterns(_redact_registered(err.message)))
    status = f" (HTTP {err.status})" if err.status and str(err.status) not in text else ""
    lines = [f"Error: {text}{status}"]
    if err.hint:
        lines.append(f"Hint: {err.hint}")
    if err.request_id:
        lines.append(f"Request ID: {err.request_id}")
    _err("\n".join(lines))


def unexpected(exc: BaseException) -> None:
    _err(
        f"Error: unexpected {type(exc).__name__}: {exc}\n"
        "This is a bug in aitasker; run again with --debug to see the traceback."
    )


def traceback_of(exc: BaseException) -> None:
    """The traceback, for --debug: plain, and without local variables."""
    import traceback

    _err("".join(traceback.format_exception(exc)).rstrip("\n"))


def interrupted() -> None:
    _err("Interrupted.")


def terminated() -> None:
    _err("Terminated.")


def prompt_secret(prompt: str) -> str:
    """Ask for a secret on the terminal without echoing it."""
    import getpass

    return getpass.getpass(prompt, stream=sys.stderr)


def add_secret(value: str) -> None:
    """Never show `value`, if it can be a credential: it is replaced wherever it is written.

    The rule: stdout carries data, so there only a registered credential is replaced; stderr
    and the --debug log also lose anything shaped like a token. `auth token` bypasses both.
    """
    if len(value) >= _SHORTEST_SECRET or re.fullmatch(_CREDENTIAL_SHAPE, value):
        _secrets.add(value)


def _redact_registered(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "<redacted>")
    return text


def _redact_patterns(text: str) -> str:
    return re.sub(_TOKEN_LIKE, _blank_secret, text)


def _clip(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _err(text: str) -> None:
    try:
        sys.stderr.write(_escape_lines(_redact_patterns(_redact_registered(text))) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # nowhere left to report to (stderr closed or full)


def _escape_lines(text: str) -> str:
    return "\n".join(_escape(line) for line in text.split("\n"))


def _write(text: str, *, redact: bool = True) -> None:
    """The one way to stdout: the registered token never passes, and failures are reported."""
    stream = sys.stdout
    if stream is None:
        raise LocalIOError("cannot write to standard output: it is closed")
    try:
        stream.write(_redact_registered(text) if redact else text)
        stream.flush()
    except BrokenPipeError:
        raise OutputClosed from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "it is closed"
        raise LocalIOError(f"cannot write to standard output: {reason}") from None


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (ValueError, AttributeError):
        return False
