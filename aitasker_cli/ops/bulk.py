"""Bulk pause and resume: reading the IDs, running them concurrently, and reporting every item.

Memory stays flat in the number of items: IDs are checked as a stream, a failure is kept as a
small record (never an exception with its traceback), and work is handed out a few items at
a time, never queued up front.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aitasker_cli.core import interrupts
from aitasker_cli.core.errors import AitaskerError, ExitCode, Terminated, UsageError
from aitasker_cli.domain.routes import parse_id

SHOWN_PROBLEMS = 5
LONGEST_LINE = 16 * 1024 * 1024
"""No input line that holds an ID or an -o ndjson object is longer (an object the CLI printed
came in one response body, whose cap is this size, api.responses.MAX_BODY_BYTES); a longer
line is bad. Lines are read one at a time, so this is also the most one line holds in memory."""
LARGEST_ARRAY = 64 * 1024 * 1024
"""A JSON array on stdin (what `-o json` writes) is read whole, but never more than this."""
KEPT_MESSAGE = 2000
"""Of a failure's message, what is kept; what is shown is shorter still (render cuts it)."""
_POLL_SECONDS = 0.1
"""How often the main thread wakes while waiting for results, so signals act at once."""


@dataclass(frozen=True)
class JsonArray:
    """Stdin that was one JSON array (what `-o json` writes): its items, read whole."""

    items: list[Any]


def read_ids(arguments: Sequence[str], lines: Iterable[str] | JsonArray | None) -> list[str]:
    """The agent IDs from arguments and stdin, checked, in order, each once.

    Blank lines and `#` comments are skipped; a line may be a bare ID, a TSV or CSV row whose
    first field is the ID (a CSV header `id,...` is skipped), or a JSON object with an `id`
    (what `-o ndjson` writes); a JSON array's items are objects with an `id`. One malformed
    entry stops everything before anything is sent. Lines are checked as they are read: only
    the IDs and the first few problems are kept.
    """
    found: dict[str, None] = {}
    problems: list[str] = []
    count = 0

    def take(where: str, value: str) -> None:
        nonlocal count
        try:
            found.setdefault(parse_id(value, "agent"))
        except UsageError:
            count += 1
            if len(problems) < SHOWN_PROBLEMS:
                problems.append(f"{where}: {value[:60]!r}")

    for number, value in enumerate(arguments, 1):
        take(f"argument {number}", value)
    if isinstance(lines, JsonArray):
        for number, item in enumerate(lines.items, 1):
            take(f"item {number}", _id_in(item))
    else:
        for number, line in enumerate(lines or (), 1):
            text = line.strip()
            if len(text) > LONGEST_LINE:
                take(f"line {number}", f"(too long: over {LONGEST_LINE} characters)")
            elif text and not text.startswith("#"):
                identifier = _id_of(text)
                if identifier is not None:
                    take(f"line {number}", identifier)
    if count:
        more = f" (and {count - len(problems)} more)" if count > len(problems) else ""
        raise UsageError(
            f"{count} input(s) are not agent IDs, so nothing was sent: "
            + "; ".join(problems)
            + more,
            hint="Pipe `aitasker agents list -o id` (one UUID a line); TSV or CSV rows whose "
            "first field is the ID, -o ndjson objects and a -o json array also work.",
        )
    if not found and lines is not None:
        raise UsageError(
            "no agent IDs came on stdin",
            hint="Pipe them in, one a line (from 'aitasker agents list -o id', say), or type "
            "them and end with Ctrl-D.",
        )
    if not found:
        raise UsageError("no agent IDs given", hint="Pass AGENT_ID arguments, or --stdin.")
    return list(found)


def read_stdin(stream: Any) -> Iterable[str] | JsonArray:
    """What `--stdin` reads: the items of one JSON array if stdin starts with `[`, else lines.

    Lines come as a stream (see stdin_lines); an array is read whole, at most LARGEST_ARRAY.
    """
    blanks = 0
    while (first := stream.readline(LONGEST_LINE + 2)) and not first.strip():
        blanks += 1  # counted, not kept: endless blank input must not fill memory
        if _at_end(first):
            return []
    if not first:
        return []  # read no further: on a terminal, that would wait for a second Ctrl-D
    if first.lstrip().startswith("["):
        return _json_array(first + stream.read(LARGEST_ARRAY + 1 - len(first)))
    head = [_whole_line(stream, first)]
    rest = () if _at_end(first) else stdin_lines(stream)
    return itertools.chain(itertools.repeat("", blanks), head, rest)


def stdin_lines(stream: Any) -> Iterator[str]:
    """Lines of `stream`, each read with a bound, so one endless line cannot fill memory.

    A line longer than the bound comes out as one over-long piece (which read_ids rejects);
    the rest of it is skipped.
    """
    while line := stream.readline(LONGEST_LINE + 2):
        yield _whole_line(stream, line)
        if _at_end(line):
            return


def _at_end(line: str) -> bool:
    """Whether `line` ended at the end of input, not at a newline or the length bound.

    A terminal's Ctrl-D ends input once: reading on after it would wait for another.
    """
    return not line.endswith("\n") and len(line) <= LONGEST_LINE


def _whole_line(stream: Any, line: str) -> str:
    """`line`, having skipped the rest of it on `stream` if it was cut at the bound."""
    if len(line) > LONGEST_LINE and not line.endswith("\n"):
        while (rest := stream.readline(LONGEST_LINE)) and not rest.endswith("\n"):
            pass
    return line


def _json_array(text: str) -> JsonArray:
    hint = "Pipe `aitasker agents list -o json` unchanged, or use -o id (one UUID a line)."
    if len(text) > LARGEST_ARRAY:
        raise UsageError(
            f"the JSON array on stdin is over {LARGEST_ARRAY // (1024 * 1024)} MiB, "
            "so nothing was sent",
            hint="Use -o id or -o ndjson, which are read line by line.",
        )
    try:
        value = json.loads(text)
    except RecursionError:
        raise UsageError(
            "the JSON on stdin is nested too deeply, so nothing was sent", hint=hint
        ) from None
    except ValueError as exc:
        raise UsageError(
            f"stdin starts with '[' but is not valid JSON ({exc}), so nothing was sent",
            hint=hint,
        ) from None
    if not isinstance(value, list):  # pragma: no cover - text starting with [ parses to a list
        raise UsageError("stdin is not a JSON array, so nothing was sent", hint=hint)
    return JsonArray(value)


def _id_in(item: Any) -> str:
    """The `id` of one JSON array item, or a short text of the item (which read_ids rejects)."""
    identifier = item.get("id") if isinstance(item, dict) else None
    if isinstance(identifier, str):
        return identifier
    try:
        return json.dumps(item)[:80]
    except (ValueError, RecursionError):
        return repr(type(item))


def _id_of(line: str) -> str | None:
    """The ID a line gives: the `id` of a JSON object, a TSV/CSV row's first field, or the line.

    None for a CSV header row (`id,...`), which is skipped.
    """
    if line.startswith("{"):
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            return line
        identifier = value.get("id") if isinstance(value, dict) else None
        return identifier if isinstance(identifier, str) else line
    for separator in ("\t", ","):
        if separator in line:
            first = line.split(separator, 1)[0].strip()
            if separator == "," and first.lower() == "id":
                return None
            return first.strip('"') or line
    return line


@dataclass(frozen=True)
class Failure:
    """Why one item failed: no exception, no traceback, only what its result shows."""

    status: int | None
    exit_code: int
    message: str

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        if isinstance(exc, AitaskerError):
            return cls(exc.status, int(exc.exit_code), exc.message[:KEPT_MESSAGE])
        # A bug for this item must not lose the others' results.
        text = f"unexpected {type(exc).__name__}: {exc}"
        return cls(None, int(ExitCode.UNEXPECTED), text[:KEPT_MESSAGE])


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: the agent after the call, or why it failed."""

    id: str
    agent: Any = None
    """The agent after the call (a model, or the server's object)."""
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def result(self) -> dict[str, Any]:
        """The contract's per-item shape."""
        if self.failure is None:
            return {"id": self.id, "ok": True, "agent": self.agent}
        return {
            "id": self.id,
            "ok": False,
            "error": {
                "status": self.failure.status,
                "exit_code": self.failure.exit_code,
                "message": self.failure.message,
            },
        }


class BulkRun:
    """Runs `action` on every ID with `concurrency` worker threads sharing one client.

    A worker takes the next ID when it is free and reports that item's outcome itself, under
    the run's lock, while the main thread only waits: handing each result over to the main
    thread cost more CPU than our own code spends on a request. Nothing is queued, so memory
    stays flat. Workers are daemon threads: after Ctrl-C or SIGTERM the process need not wait
    for a request that hangs, and `interrupt` reports every item not yet reported.
    """

    def __init__(
        self,
        ids: Sequence[str],
        action: Callable[[str], Any],
        concurrency: int,
        report: Callable[[Outcome], None],
    ) -> None:
        self._ids = ids
        self._action = action
        self._report = report
        self._concurrency = max(1, min(concurrency, len(ids)))
        self._reported = bytearray(len(ids))
        self._lock = threading.Lock()
        self._next = 0
        self._stopped = False
        self._error: BaseException | None = None
        self.failed = 0

    def run(self) -> None:
        """Run every item; returns when all are reported, or raises what a report raised."""
        workers = [
            threading.Thread(target=self._work, name=f"bulk-{number}", daemon=True)
            for number in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            while worker.is_alive():
                worker.join(_POLL_SECONDS)  # a bounded wait, so a signal acts at once
        if self._error is not None:
            raise self._error

    def interrupt(self, exit_code: ExitCode = ExitCode.INTERRUPTED) -> None:
        """After a signal: no worker sends or reports another item; the rest are reported.

        Items already reported keep their real outcome; the others say whether they were sent.
        A worker inside a report finishes it first (it holds the lock), so none is cut in two.
        """
        with self._lock:
            self._stopped = True
            handed_out = self._next
            for index, agent_id in enumerate(self._ids):
                if self._reported[index]:
                    continue
                self._reported[index] = 1
                message = (
                    "interrupted while in flight; the change may or may not have been made"
                    if index < handed_out
                    else "interrupted before it was sent"
                )
                self.failed += 1
                self._report(Outcome(agent_id, failure=Failure(None, int(exit_code), message)))

    def _work(self) -> None:
        while True:
            with self._lock:
                index = self._next
                if index >= len(self._ids) or self._stopped:
                    return
                self._next += 1
            agent_id = self._ids[index]
            try:
                outcome = Outcome(agent_id, agent=self._action(agent_id))
            except Exception as exc:
                outcome = Outcome(agent_id, failure=Failure.of(exc))
            with self._lock:
                if self._stopped:
                    return
                self._reported[index] = 1
                self.failed += not outcome.ok
                try:
                    self._report(outcome)
                except BaseException as exc:  # e.g. stdout closed: the main thread raises it
                    self._error, self._stopped = exc, True
                    return


def run_all(
    ids: Sequence[str],
    action: Callable[[str], Any],
    concurrency: int,
    report: Callable[[Outcome], None],
) -> int:
    """Run `action` on every ID, `report` each outcome as it comes; returns how many failed.

    `report` is called from the worker threads, one call at a time. On Ctrl-C or SIGTERM the
    items not yet reported are reported as interrupted before the signal goes on up, so every
    item always has its outcome.
    """
    run = BulkRun(ids, action, concurrency, report)
    try:
        run.run()
    except (KeyboardInterrupt, Terminated) as signalled:
        ctrl_c = isinstance(signalled, KeyboardInterrupt)
        with interrupts.held():  # a second signal waits until every item is reported
            run.interrupt(ExitCode.INTERRUPTED if ctrl_c else ExitCode.TERMINATED)
        raise
    return run.failed
