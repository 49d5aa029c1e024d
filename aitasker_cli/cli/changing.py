"""The terminal's side of a change (pause, resume, undo): the question before a selection, the
results as they come, a progress bar, and the lines a person reads on stderr.

The engine (ops.changes) decides and sends; this module is its Reporter for the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from aitasker_cli.core.errors import LocalIOError, OutputClosed, UsageError
from aitasker_cli.domain import views
from aitasker_cli.ops.outcomes import count_of, summary_line

if TYPE_CHECKING:
    from aitasker_cli.cli.session import Session
    from aitasker_cli.ops.changes import Engine, Single
    from aitasker_cli.ops.reporting import Confirmation, ItemResult, RunReport
    from aitasker_cli.ops.undoing import Results

RESULTS_FILE = 64 * 1024 * 1024
"""The most of earlier results `undo --from` reads."""
ANSWER_LENGTH = 1024
"""The most of a typed answer read (an agent's name is far shorter)."""


class TerminalReporter:
    """Results on stdout in the chosen format, everything else on stderr."""

    def __init__(self, session: Session, view: views.View = views.AGENTS) -> None:
        self._output = session.output
        self._view = view
        self._results: Any = None
        self._lost: OutputClosed | LocalIOError | None = None
        """Why stdout took no more results: the run still goes on to the end (each item the
        person confirmed is sent and journaled), then ends with it (0 for a reader that left,
        10 for a full disk)."""

    def confirm(self, request: Confirmation) -> bool:
        """A [y/N] question when stdin and stderr are terminals; elsewhere only --yes goes on,
        since a script must say that it means the whole selection."""
        from aitasker_cli.output import render, sink

        count = count_of(request.total, request.noun)
        if not (sink.is_terminal(sys.stdin) and sink.is_terminal(sys.stderr)):
            raise UsageError(
                f"refusing to {request.verb} {count} without confirmation",
                hint="Pass --yes to confirm, or --dry-run to see the selection first.",
            )
        if request.details:
            return _confirm_final(request)
        more = request.total - len(request.names)
        listed = ", ".join(request.names) + (f" and {more} more" if more else "")
        on = f" on {request.where}" if request.where else ""
        return render.confirm(f"{request.verb.capitalize()} {count} ({listed}){on}?")

    def begin(self, ids: Sequence[str], label: str) -> AbstractContextManager[Callable[[], None]]:
        from aitasker_cli.output import render

        self._results = render.BulkResults(self._view, self._output, ids)
        return render.progress(len(ids), label, self._output)

    def result(self, result: ItemResult) -> None:
        if self._lost is not None:
            return
        try:
            self._results.add(result)
        except (OutputClosed, LocalIOError) as exc:
            from aitasker_cli.output import streams

            self._lost = exc
            streams.discard_stdout()

    def finished(self, report: RunReport) -> None:
        """Write what the format held back, then the operation and the summary lines."""
        from aitasker_cli.output import render

        try:
            # After the progress bar is gone: a table written under it would be drawn over.
            if self._results is not None and self._lost is None:
                self._results.finish()
        finally:
            say_operation(report)
        if report.complete:
            render.message(summary_line(report))
            if self._lost is not None:
                raise self._lost


def _confirm_final(request: Confirmation) -> bool:
    """What a final action will be sent to, then the question: [y/N], or the agent's name,
    short ID or count to type. Server text (names, titles, proposed actions) is shown as it
    is, its controls made visible; an answer is compared after NFC normalisation only."""
    import unicodedata

    from aitasker_cli.ops.final import question
    from aitasker_cli.output import render, sink

    sink.err_lines(request.details)
    if not request.answers:
        return render.confirm(question(request))
    sink.err_lines([question(request) + " "], end="")
    try:
        typed = sys.stdin.readline(ANSWER_LENGTH).strip()
    except (OSError, ValueError):
        return False

    def same(text: str) -> str:
        return unicodedata.normalize("NFC", text.strip())

    return typed != "" and same(typed) in {same(answer) for answer in request.answers}


def say_operation(report: RunReport, told: str = "") -> None:
    """Say the run's operation ID if the journal holds something of it to undo, or warn that
    it could not be written (the changes themselves still count).

    `told` is what a person watching is told first (`Paused Maya (1888df20)`): on a terminal
    it shares the line with the operation ID.
    """
    from aitasker_cli.output import render, sink

    if report.journal_problem:
        tell(told)
        render.warning(f"{report.journal_problem}; this run cannot be undone with 'aitasker undo'")
    elif report.operation is None:
        tell(told)
    elif told and sink.is_terminal(sys.stderr):
        render.message(f"{told}. Operation: {report.operation}")
    else:
        render.message(f"Operation: {report.operation}")


def tell(text: str) -> None:
    """A line on stderr for a person watching; scripts have the data on stdout."""
    from aitasker_cli.output import render, sink

    if text and sink.is_terminal(sys.stderr):
        render.message(text)


def engine_for(session: Session, view: views.View = views.AGENTS) -> Engine:
    """The change engine for a command: its API, its journal's settings, this terminal, and
    who runs it for the journal (`action` in a GitHub Actions step, else `terminal`)."""
    from aitasker_cli.ops.changes import Engine
    from aitasker_cli.output import github

    origin = "action" if github.active() else "terminal"
    return Engine(session.client, session.settings, TerminalReporter(session, view), origin)


def show_single(session: Session, single: Single, done: str, target: str) -> None:
    """One agent named on the command line: the agent afterwards, as `agents show` prints it,
    and on a terminal what happened (`Paused Maya (1888df20)`)."""
    from aitasker_cli.ops.targets import name_of
    from aitasker_cli.output import render

    if single.error is not None:
        if single.report is not None and single.report.operation is not None:
            say_operation(single.report)  # the change may have been made: undo can check
        raise single.error
    render.show(single.agent, views.AGENTS, session.output)
    name, short = name_of(single.agent), str(single.agent.id)[:8]
    if not single.changed:
        tell(f"{name or 'Agent'} ({short}) is already {target}")
        return
    told = f"{done} {name} ({short})" if name else f"{done} agent {short}"
    if single.report is not None:
        say_operation(single.report, told)


def stdin_lines(kind: str = "agents") -> Any:
    """What `--stdin` gives: lines, or one JSON array; on a terminal, say how to end it."""
    from aitasker_cli.ops import bulk
    from aitasker_cli.output import render

    if sys.stdin is not None and sys.stdin.isatty():
        noun = "agent IDs" if kind == "agents" else "tasks"
        render.message(f"Reading {noun} from stdin, one a line; end with Ctrl-D.")
    return bulk.read_stdin(sys.stdin)


def read_results(path: str) -> Results:
    """Earlier per-item results for `undo --from`: the file's text (`-` is stdin), at most
    RESULTS_FILE bytes."""
    from aitasker_cli.ops.undoing import Results

    return Results(path, read_bounded(path, RESULTS_FILE, "results"))


def read_bounded(path: str, limit: int, what: str) -> str:
    """A file's text (`-` is stdin), undecodable bytes replaced; exit 10 if it cannot be read,
    exit 2 if it holds more than `limit` characters (`what` it should hold says why)."""
    try:
        if path == "-":
            text = sys.stdin.read(limit + 1) if sys.stdin is not None else ""
        else:
            with open(path, encoding="utf-8", errors="replace") as file:
                text = file.read(limit + 1)
    except OSError as exc:
        raise LocalIOError(f"cannot read {path}: {exc.strerror}") from None
    if len(text) > limit:
        size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
        raise UsageError(f"{path} is over {size}, too long for {what}")
    return text
