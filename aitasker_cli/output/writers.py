"""One writer per output format, each with the same four methods.

`one` writes a single object, `many` a list (streamed where the format allows), `result` one
item of a bulk run, and `finish` whatever a format must hold until the end (a JSON array of
results, a table). Every byte goes out through the sink.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from typing_extensions import assert_never

from aitasker_cli.domain.formats import Output, OutputFormat
from aitasker_cli.domain.views import View
from aitasker_cli.output import sink
from aitasker_cli.output.cells import (
    checked_fields,
    clip,
    heading,
    inert,
    inert_in_workflow,
    lookup,
    markdown_cell,
    plain_cell,
    project,
    scalar,
    to_json,
)


class Writer:
    """What every format does; the base streams nothing and keeps nothing."""

    def __init__(self, view: View, out: Output, order: Sequence[str] = ()) -> None:
        self.view = view
        self.out = out
        self.order = order
        self.result_fields = tuple(out.fields or view.result_fields)
        # What happened comes after the columns scripts already read, so they keep their place.
        self.result_columns = (
            "id", "ok", *self.result_fields, "error", "outcome", "status_before", "status_after"
        )  # fmt: skip
        self.kept: list[Mapping[str, Any]] = []

    def one(self, item: Any) -> None:
        self.many([item])

    def many(self, items: Iterable[Any]) -> None:
        iterator = iter(items)
        first = next(iterator, None)
        fields = self.out.fields or self.view.columns
        if first is not None:
            checked_fields(fields, self.view, first)
        self.rows(fields, [] if first is None else _chain(first, iterator))

    def rows(self, fields: Sequence[str], items: Iterable[Any]) -> None:
        """Write `items` as rows of `fields` (the delimited formats)."""
        raise NotImplementedError

    def result(self, result: Mapping[str, Any]) -> None:
        self.rows(self.result_columns, [self.result_row(result)])

    def finish(self) -> None:
        """Nothing is held back by a streaming format."""

    def shown(self, result: Mapping[str, Any]) -> Mapping[str, Any]:
        """A bulk result as printed: the object's fields projected (the agent's, the task's),
        its error redacted, then cut."""
        shown = dict(result)
        noun = self.view.noun
        if result.get(noun) is not None:
            shown[noun] = project(result[noun], self.out.fields, self.view)
        error = result.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            shown["error"] = {**error, "message": clip(sink.redact_registered(error["message"]))}
        return shown

    def result_row(self, result: Mapping[str, Any]) -> dict[str, Any]:
        shown = self.shown(result)
        item = result.get(self.view.noun) or {}
        cells = {field: lookup(item, field) for field in self.result_fields}
        named_by = self.view.named_by
        if named_by in cells and not cells[named_by]:
            cells[named_by] = result.get("name") or None
        error = shown.get("error") or {}
        told = {key: result.get(key) for key in ("outcome", "status_before", "status_after")}
        message = error.get("message") or result.get("reason")
        return {**cells, **told, "id": result["id"], "ok": result["ok"], "error": message}

    def in_order(self) -> list[Mapping[str, Any]]:
        rank = {item_id: n for n, item_id in enumerate(self.order)}
        return sorted(self.kept, key=lambda result: rank.get(result["id"], 0))


class JsonWriter(Writer):
    """An object for one item, an array for a list (streamed item by item) or for results."""

    def one(self, item: Any) -> None:
        sink.out(to_json(project(item, self.out.fields, self.view)) + "\n")

    def many(self, items: Iterable[Any]) -> None:
        # The same bytes as json.dumps(list, indent=2), without holding the list.
        opened = False
        for item in items:
            text = to_json(project(item, self.out.fields, self.view))
            sink.out(("[\n" if not opened else ",\n") + _indented(text))
            opened = True
        sink.out("\n]\n" if opened else "[]\n")

    def result(self, result: Mapping[str, Any]) -> None:
        self.kept.append(self.shown(result))

    def finish(self) -> None:
        sink.out(to_json(self.in_order()) + "\n")


class NdjsonWriter(Writer):
    """One compact JSON object a line, as each arrives."""

    def one(self, item: Any) -> None:
        sink.out(to_json(project(item, self.out.fields, self.view), compact=True) + "\n")

    def many(self, items: Iterable[Any]) -> None:
        for item in items:
            self.one(item)

    def result(self, result: Mapping[str, Any]) -> None:
        sink.out(to_json(self.shown(result), compact=True) + "\n")


class TsvWriter(Writer):
    """Tab-separated rows, no header, ISO times, every byte as plain as the data allows."""

    def rows(self, fields: Sequence[str], items: Iterable[Any]) -> None:
        for item in items:
            cells = (inert_in_workflow(plain_cell(item, field, tsv=True)) for field in fields)
            sink.out("\t".join(cells) + "\n")


class CsvWriter(Writer):
    """RFC 4180 with a header row (even with no rows); formula cells neutralised."""

    header_written = False

    def rows(self, fields: Sequence[str], items: Iterable[Any]) -> None:
        if not self.header_written:
            sink.out(_csv_line(fields))
            self.header_written = True
        for item in items:
            sink.out(_csv_line([plain_cell(item, field, tsv=False) for field in fields]))

    def finish(self) -> None:
        if not self.header_written:
            self.rows(self.result_columns, [])


class IdWriter(Writer):
    """One ID a line; of bulk results, the IDs that succeeded."""

    def rows(self, fields: Sequence[str], items: Iterable[Any]) -> None:
        del fields  # the ID is the one column
        for item in items:
            sink.out(_id_line(scalar(lookup(item, "id"))))

    def result(self, result: Mapping[str, Any]) -> None:
        if result["ok"]:
            sink.out(_id_line(str(result["id"])))


class MarkdownWriter(Writer):
    """A GitHub-flavoured Markdown table, for pasting into tickets and chat."""

    header_written = False

    def one(self, item: Any) -> None:
        fields = checked_fields(self.out.fields or self.view.detail, self.view, item)
        sink.out("| Field | Value |\n| --- | --- |\n")
        for field in fields:
            sink.out(f"| {_markdown(heading(field))} | {_markdown_value(item, field)} |\n")

    def rows(self, fields: Sequence[str], items: Iterable[Any]) -> None:
        if not self.header_written:
            sink.out(markdown_header(fields))
            self.header_written = True
        for item in items:
            sink.out(markdown_row(item, fields))

    def finish(self) -> None:
        if not self.header_written:
            self.rows(self.result_columns, [])


class TableWriter(Writer):
    """Rich tables fitted to the terminal; a list is held until it is complete."""

    def __init__(self, view: View, out: Output, order: Sequence[str] = ()) -> None:
        super().__init__(view, out, order)
        # For a person: the status before and after, then the outcome; `ok` says it twice.
        shown = self.result_fields if out.fields else (view.named_by,)
        after = () if out.fields else ("status_before", "status_after")
        self.result_columns = ("id", *shown, *after, "outcome", "error")

    def one(self, item: Any) -> None:
        from aitasker_cli.output import tables

        fields = checked_fields(self.out.fields or self.view.detail, self.view, item)
        target = tables.console(self.out.color)
        sink.out(tables.rendered(target, tables.detail_table(item, fields)))

    def many(self, items: Iterable[Any]) -> None:
        collected = list(items)
        if not collected:
            sink.err(f"No {self.view.plural} found.")
            return
        fields = checked_fields(self.out.fields or self.view.columns, self.view, collected[0])
        self.table(collected, fields)

    def result(self, result: Mapping[str, Any]) -> None:
        row = self.result_row(result)
        named_by = self.view.named_by
        if not result["ok"] and named_by in row and not row[named_by]:
            row[named_by] = _known_name(self.view.plural, str(result["id"]))
        self.kept.append(row)

    def finish(self) -> None:
        if self.kept:
            self.table(self.in_order(), self.result_columns, results=True)

    def table(self, items: Sequence[Any], fields: Sequence[str], *, results: bool = False) -> None:
        from aitasker_cli.output import tables

        target = tables.console(self.out.color)
        keep = ("outcome", "error", *self.view.keep) if results else self.view.keep
        wrap = ("error",) if results else self.view.wrap
        table, hidden = tables.list_table(items, fields, target.width, keep=keep, wrap=wrap)
        sink.out(tables.rendered(target, table))
        if hidden:
            sink.err(f"({', '.join(hidden)} left out to fit the terminal; see --fields)")


def writer_for(view: View, out: Output, order: Sequence[str] = ()) -> Writer:
    """The writer of `out.format`; mypy checks that no format is forgotten."""
    fmt = out.format
    if fmt is OutputFormat.table:
        return TableWriter(view, out, order)
    if fmt is OutputFormat.json:
        return JsonWriter(view, out, order)
    if fmt is OutputFormat.ndjson:
        return NdjsonWriter(view, out, order)
    if fmt is OutputFormat.csv:
        return CsvWriter(view, out, order)
    if fmt is OutputFormat.tsv:
        return TsvWriter(view, out, order)
    if fmt is OutputFormat.id:
        return IdWriter(view, out, order)
    if fmt is OutputFormat.markdown:
        return MarkdownWriter(view, out, order)
    assert_never(fmt)


def _known_name(kind: str, item_id: str) -> str:
    """The name an earlier listing showed for this agent, for a failed row that has none."""
    if kind != "agents":
        return ""
    from aitasker_cli.local import cache

    return cache.name_of("agents", item_id)


def markdown_header(fields: Sequence[str]) -> str:
    """A Markdown table's heading row and the line under it."""
    headings = " | ".join(_markdown(heading(field)) for field in fields)
    return f"| {headings} |\n|" + " --- |" * len(fields) + "\n"


def markdown_row(item: Any, fields: Sequence[str]) -> str:
    """One row of a Markdown table: `fields` of `item`."""
    return "| " + " | ".join(_markdown_value(item, field) for field in fields) + " |\n"


def _id_line(item_id: str) -> str:
    return inert_in_workflow(sink.escape(item_id)) + "\n"


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([inert(inert_in_workflow(cell)) for cell in cells])
    return buffer.getvalue()


def _markdown_value(item: Any, field: str) -> str:
    return _markdown(plain_cell(item, field, tsv=False))


def _markdown(text: str) -> str:
    return markdown_cell(text) or " "


def _indented(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest
