"""Everything aitasker writes: data on stdout in the chosen format, messages on stderr.

This is the face the commands use. The formats' writers are in aitasker_cli/output/writers.py;
every byte goes out through aitasker_cli/output/sink.py, which escapes what a terminal would
act on and blanks out secrets. Server strings are data, never markup: rich only ever receives
`Text` objects, and JSON is written with plain writes, never through rich.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from aitasker_cli.core.errors import AitaskerError, UsageError
from aitasker_cli.domain.formats import FORMAT_NAMES, Output, OutputFormat
from aitasker_cli.domain.views import View
from aitasker_cli.output import github, hints, sink
from aitasker_cli.output.cells import clip, relative_time, to_json

__all__ = ["FORMATS", "Output", "relative_time"]

FORMATS = FORMAT_NAMES


def output_options(fmt: str | None, fields: str | None, *, no_color: bool) -> Output:
    """Resolve the format (table on a terminal, tsv otherwise), `--fields` and colour."""
    from aitasker_cli.output.cells import parse_fields

    chosen = fmt or ("table" if sink.is_terminal(sys.stdout) else "tsv")
    if chosen not in FORMAT_NAMES:
        raise UsageError(
            f"'{chosen}' is not an output format", hint=f"Use one of: {', '.join(FORMATS)}."
        )
    selected = None if fields is None else parse_fields(fields)
    color = not no_color and not os.environ.get("NO_COLOR")
    return Output(OutputFormat(chosen), selected, color)


# --- data on stdout -------------------------------------------------------------------------


def show(item: Any, view: View, out: Output) -> None:
    """Write one object: a key/value table, a JSON object, or a single row."""
    from aitasker_cli.output.writers import writer_for

    writer_for(view, out).one(item)


def show_many(items: Iterable[Any], view: View, out: Output, *, summary: str = "") -> None:
    """Write a list; every format but table streams each item as it arrives.

    With `summary` (`"awaiting approval"`), in GitHub mode the list also goes to the job
    summary, as a Markdown table and a line: `3 tasks awaiting approval.`
    """
    from aitasker_cli.output.writers import writer_for

    if summary and github.active():
        from aitasker_cli.output import workflow

        items = workflow.listed(items, view, out, summary)
    writer_for(view, out).many(items)


class BulkResults:
    """One result per item of a bulk run, in the contract's shape.

    The streaming formats write each as it completes; json (an array in input order) and
    table wait for the last one. `--fields` applies to the agent in each result.
    """

    def __init__(self, view: View, out: Output, order: Sequence[str]) -> None:
        from aitasker_cli.output.cells import checked_fields
        from aitasker_cli.output.writers import writer_for

        self._writer = writer_for(view, out, order)
        checked_fields(self._writer.result_fields, view, {})
        self._github: Any = None
        if github.active():
            from aitasker_cli.output import workflow

            self._github = workflow.BulkAnnotations(view, out, order)

    def add(self, result: Mapping[str, Any]) -> None:
        """One result; in GitHub mode an item not done is also annotated (::error, ::warning)."""
        self._writer.result(result)
        if self._github is not None:
            self._github.result(result)

    def finish(self) -> None:
        """What the format held back; in GitHub mode, the run's job summary too."""
        try:
            self._writer.finish()
        finally:
            if self._github is not None:
                self._github.finish()


@contextlib.contextmanager
def progress(total: int, label: str, out: Output) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr, only for a person watching it; yields the step function.

    It stays off when stdout is the same terminal and results stream to it line by line.
    """
    streaming_to_terminal = sink.is_terminal(sys.stdout) and out.format.streams_results
    if not sink.is_terminal(sys.stderr) or streaming_to_terminal:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    # rich would otherwise catch what goes to stdout meanwhile and print it above the bar, on
    # stderr: results must stay on stdout.
    bar_console = Console(stderr=True)
    with Progress(console=bar_console, transient=True, redirect_stdout=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def response_body(value: Any) -> None:
    """What `aitasker api` got back: JSON pretty-printed, text with controls made visible."""
    if value is None:
        return
    if isinstance(value, str):
        lines = value.rstrip("\n").split("\n")
        sink.out("\n".join(sink.escape(text) for text in lines) + "\n")
    else:
        sink.out(to_json(value) + "\n")


def json_pages(pages: Iterable[list[Any]], out: Output) -> None:
    """Items of every page: one JSON array, or (with -o ndjson) each item as its page arrives."""
    if out.format is OutputFormat.ndjson:
        for page in pages:
            for item in page:
                sink.out(to_json(item, compact=True) + "\n")
    else:
        sink.out(to_json([item for page in pages for item in page]) + "\n")


def line(text: str) -> None:
    """One line of our own on stdout (such as the version)."""
    sink.out(text + "\n")


def write_secret(value: str) -> None:
    """Write a token to stdout: the one deliberate exception to redaction (`auth token`)."""
    sink.secret_out(value + "\n")


# --- messages on stderr ---------------------------------------------------------------------


def message(text: str) -> None:
    """A note for the person at the terminal (stderr, so stdout stays data)."""
    sink.err_lines([hints.with_flags(text)])


def warning(text: str) -> None:
    sink.err_lines([f"Warning: {hints.with_flags(text)}"])


def debug(text: str) -> None:
    """One line of the --debug log; secrets and token shapes are blanked out by the sink."""
    sink.err(f"debug: {text}")


def error(err: AitaskerError) -> None:
    """`Error: ...`, a hint where one helps, and the request id the server gave, on stderr."""
    text = clip(sink.redact_patterns(sink.redact_registered(hints.with_flags(err.message))))
    status = f" (HTTP {err.status})" if err.status and str(err.status) not in text else ""
    lines = [f"Error: {text}{status}"]
    if err.hint:
        lines.append(f"Hint: {hints.with_flags(err.hint)}")
    if err.request_id:
        lines.append(f"Request ID: {err.request_id}")
    sink.err_lines(lines)
    if github.active():  # the same, as an annotation: `::error title=aitasker …::message`
        sink.workflow_command("error", [line.removeprefix("Error: ") for line in lines])


def unexpected(exc: BaseException) -> None:
    text = f"unexpected {type(exc).__name__}: {exc}"
    sink.err(
        f"Error: {text}\nThis is a bug in aitasker; run again with --debug to see the traceback."
    )
    if github.active():
        sink.workflow_command("error", [clip(text)])


def summarize_count(count: int, view: View, what: str) -> None:
    """In GitHub mode, a line in the job summary: `3 tasks awaiting approval.` (`--count`)."""
    if github.active():
        from aitasker_cli.output import workflow

        workflow.Summary("").write(f"{workflow.counted(count, view)} {what}.")


def traceback_of(exc: BaseException) -> None:
    """The traceback, for --debug: plain, and without local variables."""
    import traceback

    sink.err("".join(traceback.format_exception(exc)).rstrip("\n"))


def interrupted() -> None:
    sink.err("Interrupted.")


def terminated() -> None:
    sink.err("Terminated.")


def prompt_secret(prompt: str) -> str:
    """Ask for a secret on the terminal without echoing it."""
    import getpass

    return getpass.getpass(prompt, stream=sys.stderr)


def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal (stderr, answer from stdin); only y or yes is yes."""
    sink.err_lines([f"{question} [y/N] "], end="")
    try:
        answer = sys.stdin.readline(64)
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def add_secret(value: str) -> None:
    """Never show `value`, if it can be a credential: it is replaced wherever it is written.

    The rule: stdout carries data, so there only a registered credential is replaced; stderr
    and the --debug log also lose anything shaped like a token. `auth token` bypasses both.
    """
    sink.add_secret(value)
