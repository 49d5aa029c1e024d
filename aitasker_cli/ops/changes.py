"""Changing agents' status, one or many: decide, preview, confirm, send, report, journal.

`agents pause`, `agents resume` and `undo` all come here with a list of targets: each agent as
it is now (listed or fetched) and the action to do to it. Each target gets one result with an
`outcome`:

- changed: the action was sent and succeeded;
- unchanged: the agent already has the status the action gives, so nothing was sent;
- skipped: left alone for a reason the result gives (undo: someone changed the agent since,
  or its status before is unknown);
- failed: the lookup or the action failed (the result's error says why);
- interrupted: Ctrl-C or SIGTERM came first;
- would_change, would_skip: what a --dry-run would do (nothing is sent).

Every run writes ahead to the journal (journal.Run): each agent's intent before its change is
sent, its outcome as soon as the API answered, before anything is printed, so `undo` can reverse
whatever the API accepted whatever happens to the output or the process.

Nothing here prints, prompts or reads stdin: a front end (ops.reporting.Reporter) is asked to
confirm, and told each result and the run's report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from aitasker_cli.core.errors import AitaskerError, ExitCode, PartialFailure, UsageError
from aitasker_cli.ops.final import confirm_final
from aitasker_cli.ops.outcomes import NOT_DONE, after_of, count_of, result_of, settled
from aitasker_cli.ops.reporting import Confirmation, Reporter, RunReport
from aitasker_cli.ops.sending import Calls, Done, agent_calls, journal_item, kept_small, send
from aitasker_cli.ops.targets import LookedUp, Target, Targets, target

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.domain.actions import Action
    from aitasker_cli.local.config import Settings
    from aitasker_cli.local.journal import Run
    from aitasker_cli.ops.bulk import JsonArray, Outcome

CONFIRM_NAMES = 5
"""How many names the confirmation question shows before "and N more"."""


class Selection(NamedTuple):
    """What a pause or resume command was asked to act on."""

    typed: Sequence[str] = ()
    """IDs, unique starts of IDs, or names, as typed."""
    stdin: bool = False
    every: bool = False
    """--all: every agent the action acts on."""
    where: Sequence[str] = ()
    dry_run: bool = False
    yes: bool = False
    lines: Iterable[str] | JsonArray | None = None
    """With `stdin`: what was read there (ops.bulk.read_stdin), as lines or one JSON array."""

    def check(self, verb: str) -> None:
        """Exit 2 for a combination that cannot mean one thing."""
        if self.every and (self.typed or self.stdin):
            raise UsageError("agent IDs, --stdin and --all do not mix", hint="Use one of them.")
        if self.where and not self.every:
            raise UsageError(
                "--where narrows --all",
                hint=f"Use: aitasker agents {verb} --all --where FIELD=VALUE",
            )
        if not (self.typed or self.stdin or self.every):
            raise UsageError(
                f"nothing to {verb}", hint="Pass AGENT_ID arguments, --stdin, or --all."
            )


class Engine(NamedTuple):
    """What a change talks to: the API, the settings that chose it (for the journal), the
    front end, and who is running it (the journal's origin: terminal, action, mcp)."""

    client: ApiClient
    settings: Settings
    reporter: Reporter
    origin: str = "terminal"


class Single(NamedTuple):
    """A single agent's change, for the front end to show: the agent afterwards, and whether
    anything was sent."""

    agent: Any
    changed: bool
    report: RunReport | None = None
    """The run's report, when something was sent (with its operation ID)."""
    error: Exception | None = None
    """Why it did not end well (a refusal, or a --wait that gave up after the change): the
    front end says the operation first, if the journal holds one, then ends with it."""


def change_agents(
    engine: Engine,
    action: Action,
    selection: Selection,
    *,
    wait_timeout: float | None,
    concurrency: int,
) -> Single | None:
    """`agents pause`, `resume` and `cancel`: one agent, a list, or a filtered selection.

    A single agent named on the command line comes back as a Single (not for a final action,
    which always reports item by item); anything else is reported item by item to the engine's
    reporter.
    """
    selection.check(action.name)
    client = engine.client
    if selection.every:
        # Imported where used: a single agent's change needs neither the bulk runner nor filters.
        from aitasker_cli.ops.selection import parse_where, select_all

        where = parse_where(selection.where)

        def keep(agent: Any) -> Target:
            return target(str(agent.id), action, agent, dry_run=selection.dry_run)

        chosen = select_all(client, action, where, keep)
        if selection.dry_run:
            pass
        elif action.final:
            confirm_final(engine.reporter, chosen, action, selection.yes)
        else:
            confirm(engine.reporter, chosen, action.name, selection.yes)
        ids = [chosen_target.id for chosen_target in chosen]
        targets: Targets = Targets(chosen)
    else:
        from aitasker_cli.ops.resolve import Resolver

        resolver = Resolver(client, "agent")
        ids = [resolver.id_of(typed) for typed in selection.typed]
        one = len(ids) == 1 and not selection.stdin and not selection.dry_run
        if one and not action.final:  # a final action always reports per item
            return _change_one(engine, action, ids[0], wait_timeout)
        from aitasker_cli.ops import bulk

        ids = bulk.read_ids(ids, selection.lines if selection.stdin else None)
        if action.final:
            # What the person confirms is what is sent to: every agent is read first.
            from aitasker_cli.ops.targets import current

            found = current(client, ids, lambda _id: action, concurrency, dry_run=True)
            if not selection.dry_run:
                confirm_final(engine.reporter, found, action, selection.yes)
            # Each agent is kept only where it is shown as it is (a dry run, nothing to send).
            targets = Targets(
                [
                    known
                    if selection.dry_run or settled(known, False) is not None
                    else known._replace(agent=None)
                    for known in found
                ]
            )
        else:
            targets = LookedUp(client, ids, action, dry_run=selection.dry_run)
    apply(
        engine,
        ids,
        targets,
        dry_run=selection.dry_run,
        wait_timeout=wait_timeout,
        concurrency=concurrency,
        operation=action.name,
    )
    return None


def _change_one(
    engine: Engine, action: Action, agent_id: str, wait_timeout: float | None
) -> Single:
    """One agent named on the command line: the agent afterwards, and the run's report."""
    from aitasker_cli.local import cache

    now = None
    # If it cannot be had, the change is sent anyway, with the status before unknown.
    with contextlib.suppress(AitaskerError):
        now = engine.client.get_agent(agent_id)
    if now is not None and str(now.status) == action.target:
        return Single(now, changed=False)
    run = _new_run(engine, action.name)
    try:
        done = send(agent_calls(engine.client), run, target(agent_id, action, now), wait_timeout)
    finally:
        run.close()
    report = RunReport(action.name, 1, dry_run=False, complete=True)
    report.tally[done.outcome] = 1
    _journal_of(run, report)
    if done.error is not None:
        return Single(None, changed=False, report=report, error=done.error)
    cache.learn("agents", [done.agent])
    return Single(done.agent, changed=True, report=report)


def confirm(
    reporter: Reporter, targets: Sequence[Target], verb: str, yes: bool, where: str = ""
) -> None:
    """Ask before changing a selection the user did not list one by one (unless `yes`); exit 2
    when the answer is no. (A final action asks before anything: ops.final.confirm_final.)"""
    if yes or not targets:
        return
    names = [target.name or target.id[:8] for target in targets[:CONFIRM_NAMES]]
    if not reporter.confirm(Confirmation(verb, len(targets), names, where)):
        raise UsageError("nothing was changed: not confirmed")


def apply(
    engine: Engine,
    ids: Sequence[str],
    targets: Targets,
    *,
    dry_run: bool,
    wait_timeout: float | None,
    concurrency: int,
    operation: str,
    undoes: str | None = None,
    where: str = "",
    calls: Calls | None = None,
    noun: str = "agent",
) -> RunReport:
    """Change every agent of `ids` that needs it and report a result for each; exit 9 if any
    was skipped, failed or was interrupted.

    Each worker takes an ID, gets its target from `targets` (which may still be looking it
    up), and sends the action unless the result is known without it. `operation` names the
    run in the journal (pause, resume, undo); `where`, if given, the API in the summary. With
    `dry_run` nothing that changes state is sent. `calls` sends to other items than agents
    (tasks: ops.sending.task_calls), `noun` names them. On Ctrl-C or SIGTERM every item is
    still reported, and the journal holds what was done before the signal goes on up.
    """
    from aitasker_cli.core import interrupts
    from aitasker_cli.local import cache
    from aitasker_cli.ops import bulk

    reporter = engine.reporter
    calls = calls or agent_calls(engine.client)
    run = None if dry_run else _new_run(engine, operation, undoes)
    report = RunReport(operation, len(ids), dry_run, where, noun)
    changed_agents: list[Any] = []

    def report_item(done: Done) -> None:
        target, outcome, agent, failure = done.target, done.outcome, done.agent, done.failure
        after = after_of(target, outcome, agent)
        # Whole or not at all: a Ctrl-C between the journal's note and the reported result
        # would make undo forget a change, or the output miss an item.
        with interrupts.held():
            if run is not None and not done.journaled:
                run.note(journal_item(target, outcome, after, reason=target.reason))
            if outcome == "changed" and len(changed_agents) < cache.KEEP:
                changed_agents.append(agent)
            report.tally[outcome] += 1
            result = result_of(
                target, outcome, after, agent, failure, dry_run, _operation_of(run, done)
            )
            reporter.result(result)

    def work(agent_id: str) -> Done:
        target = targets[agent_id]
        known = settled(target, dry_run)
        if known is not None or run is None:
            return Done(target, known or "would_change", target.agent, target.failure)
        return kept_small(send(calls, run, target, wait_timeout))

    def reported(outcome: Outcome) -> None:
        if outcome.ok:
            report_item(outcome.agent)
        else:  # cut off by a signal before its work was done
            interrupted = outcome.failure is not None and outcome.failure.exit_code in (
                ExitCode.INTERRUPTED,
                ExitCode.TERMINATED,
            )
            name = "interrupted" if interrupted else "failed"
            report_item(Done(targets.now(outcome.id), name, None, outcome.failure))
        step()

    try:
        with reporter.begin(ids, f"{operation} {noun}s") as step:
            bulk.run_all(ids, work, concurrency, reported)
        report.complete = True
    finally:
        cache.learn(f"{noun}s", changed_agents)
        if run is not None:
            run.close()
            _journal_of(run, report)
        reporter.finished(report)
    failed = sum(report.tally[outcome] for outcome in NOT_DONE)
    if failed:
        raise PartialFailure(
            f"{operation}: {failed} of {count_of(len(ids), noun)} not done",
            hint="Each item's result says why.",
        )
    return report


def _operation_of(run: Run | None, done: Done) -> str | None:
    """The operation an item's result names: the run's, when the journal keeps the item for
    `history` and `undo` (it was changed, or may have been); an item nothing was sent for, or
    that the API refused, is in no operation one could look up."""
    if run is None or not done.journaled:
        return None
    refused = done.failure is not None and 400 <= (done.failure.status or 0) < 500
    maybe_made = done.outcome == "changed" or done.outcome in ("failed", "interrupted")
    return run.id if maybe_made and not refused else None


def _new_run(engine: Engine, action: str, undoes: str | None = None) -> Run:
    from aitasker_cli.local.journal import Run

    settings = engine.settings
    return Run(
        profile=settings.profile,
        api_url=settings.api_url,
        action=action,
        undoes=undoes,
        origin=engine.origin,
    )


def _journal_of(run: Run, report: RunReport) -> None:
    """Put what the journal holds of `run` in its report."""
    report.journal_problem = run.problem
    report.operation = run.id if run.undoable else None
