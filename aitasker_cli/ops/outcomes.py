"""What each item of a change came to: its outcome when known without sending anything, its
per-item result in the contract's shape, and the one-line summary of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aitasker_cli.ops.reporting import ItemResult, RunReport
from aitasker_cli.ops.targets import Target, name_of

if TYPE_CHECKING:
    from aitasker_cli.ops.bulk import Failure

NOT_DONE = ("failed", "interrupted", "skipped")
"""Outcomes that make a run exit 9; `unchanged` is success."""


def settled(target: Target, dry_run: bool) -> str | None:
    """The outcome known without sending anything, or None when the action must be sent.

    An agent that could not be looked up is still sent the action (the API has the last
    word, and the pause route is the one the platform documents), with its status before
    unknown; only undo and a dry run, which must know it, report it as failed.
    """
    if target.reason is not None:
        return "would_skip" if dry_run else "skipped"
    if target.failure is not None:
        # A final action is never sent to what could not be read: it must act on what it saw.
        known_needed = dry_run or target.expected is not None or target.action.final
        return "failed" if known_needed else None
    if target.expected is not None and target.before != target.expected:
        if target.in_doubt:
            return "unchanged"  # the change cut off in flight was not made: nothing to undo
        return "would_skip" if dry_run else "skipped"
    if target.before == target.action.target:
        return "unchanged"
    return "would_change" if dry_run else None


def after_of(target: Target, outcome: str, agent: Any) -> str | None:
    if outcome == "changed" or (outcome == "interrupted" and agent is not None):
        return str(agent.status)  # an interrupted final action was read again: as it is now
    if outcome == "would_change":
        return target.action.target
    if outcome in ("unchanged", "skipped", "would_skip"):
        return target.before
    return None


def result_of(
    target: Target,
    outcome: str,
    after: str | None,
    agent: Any,
    failure: Failure | None,
    dry_run: bool,
    operation: str | None = None,
) -> ItemResult:
    """One item's result: the contract's `id`, `ok`, the object (`agent`, `task`) or `error`,
    what happened, and the run's operation ID."""
    result: ItemResult = {
        "id": target.id,
        "ok": outcome not in ("failed", "interrupted", "skipped"),
        "outcome": outcome,
        "action": target.action.name,
        "name": target.name or name_of(agent),
        "status_before": target.before,
        "status_after": after,
    }
    if operation is not None:
        result["operation"] = operation
    if target.within is not None:
        result["workspace_id"] = target.within
    if target.fingerprint is not None:
        result["fingerprint"] = target.fingerprint
    if dry_run:
        result["dry_run"] = True
    if agent is not None:
        # The object after the call, under its kind's name.
        if target.action.resource == "tasks":
            result["task"] = agent
        else:
            result["agent"] = agent
    if outcome in ("skipped", "would_skip"):
        result["reason"] = target.reason or (
            f"changed since: now {target.before}, not {target.expected}"
        )
    elif outcome == "interrupted" and target.action.final:
        result["reason"] = "cut off in flight, and not done when read again: not resent"
    if failure is not None:
        result["error"] = {
            "status": failure.status,
            "exit_code": failure.exit_code,
            "message": failure.message,
        }
    return result


def summary_line(report: RunReport) -> str:
    """How many were done, and how many needed nothing: `pause: 3 of 4 agents done, 1 failed.`"""
    tally, total = report.tally, sum(report.tally.values())
    on = f" on {report.where}" if report.where else ""
    others = ", ".join(f"{tally[o]} {o}" for o in ("unchanged", "skipped") if tally[o])
    if report.dry_run:
        would = [f"{tally['would_change']} would change"]
        would += [
            f"{tally[o]} {o.replace('_', ' ')}" for o in ("unchanged", "would_skip") if tally[o]
        ]
        listed = ", ".join(would)
        counted = count_of(total, report.noun)
        return f"Dry run of {report.verb}{on}: {counted}, {listed}; nothing was sent."
    failed = tally["failed"] + tally["interrupted"]
    counted = count_of(total, report.noun)
    done = f"{report.verb}{on}: {total - failed - tally['skipped']} of {counted} done"
    done += f", {failed} failed"
    return done + (f" ({tally['changed']} changed, {others})" if others else "") + "."


def count_of(count: int, noun: str) -> str:
    """`1 task`, `3 tasks`."""
    return f"{count} {noun}" + ("" if count == 1 else "s")
