"""What a run tells GitHub Actions besides its output (GitHub mode only, see github.py): an
annotation for each item of a bulk run that was not done, and a Markdown summary (the
`-o markdown` table and a one-line count) appended to the step's job summary.

GitHub takes at most 1 MiB of job summary a step, and refuses the whole summary past it: the
file is never grown past SUMMARY_LIMIT by aitasker, whatever else the step wrote to it, and a
table that would go past it is cut, with a note saying so.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from aitasker_cli.domain.formats import Output, OutputFormat
from aitasker_cli.domain.views import View
from aitasker_cli.output import github, sink
from aitasker_cli.output.cells import clip, lookup, markdown_cell
from aitasker_cli.output.writers import Writer, markdown_header, markdown_row

SUMMARY_LIMIT = 512 * 1024
"""The size, in bytes, past which aitasker adds nothing to a job summary file: half of what
GitHub takes, so the other tools of the step keep room."""
OUTCOMES = (
    "changed", "would_change", "unchanged", "would_skip", "skipped", "failed", "interrupted"
)  # fmt: skip
"""The order of the one-line count."""
ANNOTATIONS = {"failed": "error", "interrupted": "error", "skipped": "warning"}
"""The workflow command for each outcome that is annotated."""


class BulkAnnotations:
    """A bulk run's results, for GitHub: annotations as they come, the summary at the end."""

    def __init__(self, view: View, out: Output, order: Sequence[str]) -> None:
        self._view = view
        self._rows = Writer(view, Output(OutputFormat.markdown, out.fields, False), order)
        self._rank = {item_id: n for n, item_id in enumerate(order)}
        self._summary = Summary(markdown_header(self._rows.result_columns))
        self._outcomes: Counter[str] = Counter()

    def result(self, result: Mapping[str, Any]) -> None:
        outcome = str(result.get("outcome") or ("changed" if result["ok"] else "failed"))
        self._outcomes[outcome] += 1
        kind = ANNOTATIONS.get(outcome) or (None if result["ok"] else "error")
        if kind is not None:
            sink.workflow_command(kind, [self._why(result, outcome)])
        row = markdown_row(self._rows.result_row(result), self._rows.result_columns)
        self._summary.add(row, self._rank.get(str(result["id"]), len(self._rank)))

    def finish(self) -> None:
        total = sum(self._outcomes.values())
        known = [o for o in OUTCOMES if self._outcomes[o]]
        known += sorted(o for o in self._outcomes if o not in OUTCOMES)
        told = ", ".join(f"{self._outcomes[o]} {o.replace('_', ' ')}" for o in known)
        self._summary.write(f"{counted(total, self._view)}" + (f": {told}." if told else "."))

    def _why(self, result: Mapping[str, Any], outcome: str) -> str:
        """`agent 1888df20-… (Maya) failed: Cancelled agents cannot be paused (HTTP 409)`."""
        noun = self._view.noun
        name = result.get("name") or lookup(result.get(noun) or {}, self._view.named_by)
        who = f"{noun} {result['id']}" + (f" ({name})" if name else "")
        error = result.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            message = clip(sink.redact_registered(str(error["message"])))
            status = error.get("status")
            if status and str(status) not in message:
                message += f" (HTTP {status})"
        else:
            message = str(result.get("reason") or "not done")
        return f"{who} {outcome.replace('_', ' ')}: {message}"


def listed(items: Iterable[Any], view: View, out: Output, what: str) -> Iterator[Any]:
    """`items`, passed on as they come, and summed up in the job summary once they are all
    through: their table and `3 tasks awaiting approval.` (`what` is the end of that line)."""
    fields = out.fields or view.columns
    summary = Summary(markdown_header(fields))
    count = 0
    for item in items:
        summary.add(markdown_row(item, fields), count)
        count += 1
        yield item
    summary.write(f"{counted(count, view)} {what}." if what else f"{counted(count, view)}.")


def counted(count: int, view: View) -> str:
    return f"{count:,} {view.noun if count == 1 else view.plural}"


class Summary:
    """One run's part of the job summary: a heading, a table and a line; rows in `rank` order."""

    def __init__(self, header: str) -> None:
        self._header = header
        self._rows: list[tuple[int, int, str]] = []

    def add(self, row: str, rank: int) -> None:
        self._rows.append((rank, len(self._rows), row))

    def write(self, line: str) -> None:
        """Append it to the job summary file, cut to fit; a warning on stderr if it cannot."""
        path = github.summary_path()
        if path is None:
            return
        try:
            used = os.path.getsize(path)
        except OSError:
            used = 0
        text = self.text(line, SUMMARY_LIMIT - used)
        if text is None:
            full = f"the job summary is over {_kib(SUMMARY_LIMIT)}; this run's summary is left out"
            sink.err_lines([f"Warning: {full}"])
            return
        try:
            with open(path, "a", encoding="utf-8") as file:
                file.write(text)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            sink.err_lines([f"Warning: cannot write the job summary ({path}): {reason}"])

    def text(self, line: str, room: int) -> str | None:
        """The Markdown, in at most `room` bytes (rows left out from the end); None when not
        even the heading and the line fit."""
        heading = f"### {markdown_cell(github.title())}\n\n"
        rows = [row for _rank, _n, row in sorted(self._rows)]
        longest_note = _note(max(len(rows) - 1, 0), len(rows))
        room -= _size(heading + self._header + "\n" + line + longest_note + "\n\n")
        if room < 0:
            return None
        shown = 0
        for row in rows:
            room -= _size(row)
            if room < 0:
                break
            shown += 1
        table = self._header + "".join(rows[:shown]) + "\n" if shown else ""
        return heading + table + line + _note(shown, len(rows)) + "\n\n"


def _note(shown: int, total: int) -> str:
    """What a cut table says; nothing for a whole one."""
    if shown == total:
        return ""
    return (
        f" The first {shown:,} of {total:,} rows are shown: the job summary is kept under "
        f"{_kib(SUMMARY_LIMIT)}; the command's output has them all."
    )


def _size(text: str) -> int:
    return len(text.encode("utf-8", errors="replace"))


def _kib(size: int) -> str:
    return f"{size // 1024} KiB"
