"""The change tools: pause, resume and cancel agents, approve and reject tasks, undo.

Each runs the command line's own engine (ops.changes, ops.deciding, ops.undoing) with origin
`mcp`, so the journal records who made the change, `aitasker history` shows it and
`aitasker undo OP` reverses it. The engine asks its front end before a final action or a
selection; here nothing is ever selected by a filter (an assistant names every item), so the
answer is whether the person allowed that kind of change when they started the server.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from aitasker_cli.core.errors import PartialFailure, UsageError
from aitasker_cli.core.patterns import visible
from aitasker_cli.mcp.context import ORIGIN, Context
from aitasker_cli.mcp.results import jsonable

if TYPE_CHECKING:
    from aitasker_cli.domain.actions import Action
    from aitasker_cli.ops.changes import Engine
    from aitasker_cli.ops.reporting import Confirmation, ItemResult, RunReport

CONCURRENCY = 2
"""Requests in flight at once in a run (the command line's default, cli/agents.py)."""


class Collector:
    """The engine's front end for one tool call: it answers the engine's question from the
    server's permissions, and keeps every item's result and the run's report."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._lock = threading.Lock()
        self._order: dict[str, int] = {}
        self.results: list[ItemResult] = []
        self.report: RunReport | None = None

    def confirm(self, request: Confirmation) -> bool:
        from aitasker_cli.domain.actions import ROWS

        final = any(row.final for row in ROWS if row.name == request.verb)
        return self._context.allows(final=final)

    def begin(self, ids: Sequence[str], _label: str) -> AbstractContextManager[Callable[[], None]]:
        self._order = {item_id: place for place, item_id in enumerate(ids)}
        return contextlib.nullcontext(_no_step)

    def result(self, result: ItemResult) -> None:
        with self._lock:
            self.results.append(result)

    def finished(self, report: RunReport) -> None:
        self.report = report

    def outcome(self, action: str, dry_run: bool) -> dict[str, Any]:
        """The tool's result: every item's result, in the order asked for, and the run."""
        from aitasker_cli.ops.outcomes import NOT_DONE, summary_line

        report = self.report
        last = len(self._order)
        results = sorted(self.results, key=lambda item: self._order.get(item.get("id", ""), last))
        counts = dict(report.tally) if report else {}
        return {
            "action": action,
            "dry_run": dry_run,
            "operation": report.operation if report else None,
            "ok": not any(counts.get(outcome) for outcome in NOT_DONE),
            "summary": summary_line(report) if report else f"{action}: nothing to do.",
            "counts": counts,
            "journal_problem": report.journal_problem if report else None,
            "results": jsonable(results),
        }


def _no_step() -> None:
    """No progress bar: the assistant gets the results when the run is over."""


_CHANGING = threading.Lock()


def _one_at_a_time(tool: Callable[[Context, Mapping[str, Any]], dict[str, Any]]) -> Any:
    """Change tools run one after another, never side by side: an assistant may call two at
    once on the same agent or task, and the second must read what the first did (and report
    it unchanged or skipped) instead of sending a final action twice."""

    def run(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
        with _CHANGING:
            return tool(context, args)

    run.__name__, run.__doc__ = tool.__name__, tool.__doc__
    return run


@_one_at_a_time
def pause_agents(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    from aitasker_cli.domain.actions import PAUSE

    return _change_agents(context, PAUSE, args)


@_one_at_a_time
def resume_agents(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    from aitasker_cli.domain.actions import RESUME

    return _change_agents(context, RESUME, args)


@_one_at_a_time
def cancel_agents(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    from aitasker_cli.domain.actions import CANCEL

    return _change_agents(context, CANCEL, args)


@_one_at_a_time
def approve_tasks(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    from aitasker_cli.domain.actions import APPROVE

    return _decide(context, APPROVE, args)


@_one_at_a_time
def reject_tasks(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    from aitasker_cli.domain.actions import REJECT

    return _decide(context, REJECT, args)


@_one_at_a_time
def undo(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Put back what a pause, resume or undo changed (never a final operation: exit 2)."""
    from aitasker_cli.ops.undoing import undo as undo_operation

    dry_run = bool(args.get("dry_run", False))
    collector, engine = _engine(context)
    with _partial_failure_reported(collector):
        undo_operation(
            engine,
            str(args["operation"]),
            None,
            dry_run=dry_run,
            yes=False,
            concurrency=CONCURRENCY,
        )
    return collector.outcome("undo", dry_run)


def _change_agents(context: Context, action: Action, args: Mapping[str, Any]) -> dict[str, Any]:
    """Pause, resume or cancel the agents named, each resolved as the command line resolves
    it (an ambiguous or unknown one stops the call before anything is sent)."""
    from aitasker_cli.ops.changes import Selection, change_agents

    dry_run = bool(args.get("dry_run", False))
    collector, engine = _engine(context)
    # IDs, prefixes and names are resolved as typed arguments; `stdin` with nothing on it
    # keeps even a single agent on the per-item path, so every call reports item by item.
    selection = Selection(typed=list(args["agents"]), stdin=True, dry_run=dry_run, lines=[])
    with _partial_failure_reported(collector):
        change_agents(engine, action, selection, wait_timeout=None, concurrency=CONCURRENCY)
    return collector.outcome(action.name, dry_run)


def _decide(context: Context, action: Action, args: Mapping[str, Any]) -> dict[str, Any]:
    """Approve or reject the tasks named, each only while it awaits approval, and only if it
    still has the fingerprint `if_match` gives for it (else: skipped, with the reason)."""
    from aitasker_cli.ops.bulk import JsonArray
    from aitasker_cli.ops.deciding import Decision, decide_tasks
    from aitasker_cli.ops.task_refs import resolve_tasks

    typed = [str(task) for task in args["tasks"]]
    if_match = {str(key): str(value) for key, value in dict(args.get("if_match") or {}).items()}
    unknown = [key for key in if_match if key not in typed]
    if unknown:
        raise UsageError(
            f"if_match names {unknown[0]!r}, which is not one of `tasks`",
            hint="Key each fingerprint by the task exactly as it is written in `tasks`.",
        )
    reason = args.get("reason")
    if action.name == "reject" and not visible(str(reason or "")):
        raise UsageError(
            "a rejection needs a reason: the agent reads it as feedback",
            hint="Give `reason`.",
        )
    dry_run = bool(args.get("dry_run", False))
    collector, engine = _engine(context)
    refs = resolve_tasks(context.client, typed, awaiting_only=True)
    chosen = [
        {"id": ref.task_id, "workspace_id": ref.workspace_id}
        | ({"fingerprint": if_match[text].lower()} if text in if_match else {})
        for text, ref in zip(typed, refs, strict=True)
    ]
    decision = Decision(stdin=True, lines=JsonArray(chosen), dry_run=dry_run, reason=reason)
    with _partial_failure_reported(collector):
        decide_tasks(engine, action, decision, concurrency=CONCURRENCY)
    return collector.outcome(action.name, dry_run)


def _engine(context: Context) -> tuple[Collector, Engine]:
    from aitasker_cli.ops.changes import Engine

    collector = Collector(context)
    return collector, Engine(context.client, context.settings, collector, origin=ORIGIN)


@contextlib.contextmanager
def _partial_failure_reported(collector: Collector) -> Any:
    """A run whose items were all reported, some not done (exit 9 on the command line), is a
    result: each item says what became of it, and `ok` is false."""
    try:
        yield
    except PartialFailure:
        if collector.report is None:
            raise
