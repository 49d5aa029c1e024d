"""The output formats, as one type used by options, config and rendering (standard library only)."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class OutputFormat(str, Enum):
    """What `-o` accepts; each has one writer in aitasker_cli/output/writers.py."""

    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"
    tsv = "tsv"
    id = "id"
    markdown = "markdown"

    @property
    def streams_results(self) -> bool:
        """Whether bulk results are written as they come (json and table hold them)."""
        return self not in (OutputFormat.table, OutputFormat.json)


FORMAT_NAMES = tuple(member.value for member in OutputFormat)


class Output(NamedTuple):
    """How this run writes its data: the format, `--fields`, and whether colour is wanted."""

    format: OutputFormat
    fields: tuple[str, ...] | None
    color: bool
