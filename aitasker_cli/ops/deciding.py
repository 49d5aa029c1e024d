"""Approving and rejecting tasks: choose them, ask, read each again, decide, report, journal.

A decision is final, so it goes only to what the person saw: right before it is sent, each
task is read again, and a task no longer awaiting approval (`now running`) or no longer the
one that was shown (its fingerprint differs from `--if-match`, from the fingerprint a `--stdin`
line carried, or from the task as the confirmation showed it: `changed since shown`) is
skipped with that reason. The run itself is the change engine's (ops.changes.apply), with
the task routes (ops.sending.task_calls) and the reason journaled with each task.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from aitasker_cli.core.errors import NotFoundError, UsageError
from aitasker_cli.ops.targets import Target, Targets

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.domain.actions import Action
    from aitasker_cli.ops.bulk import Failure, JsonArray
    from aitasker_cli.ops.changes import Engine
    from aitasker_cli.ops.reporting import RunReport


class Decision(NamedTuple):
    """What `tasks approve` or `tasks reject` was asked to decide on, and how."""

    typed: Sequence[str] = ()
    """Task IDs, unique prefixes (among awaiting tasks), or WORKSPACE/TASK, as typed."""
    stdin: bool = False
    every: bool = False
    """--all: every task awaiting approval (narrowed by `where`)."""
    where: Sequence[str] = ()
    if_match: str | None = None
    dry_run: bool = False
    yes: bool = False
    reason: str | None = None
    lines: Iterable[str] | JsonArray | None = None
    """With `stdin`: what was read there (ops.bulk.read_stdin)."""

    def check(self, verb: str) -> None:
        """Exit 2 for a combination that cannot mean one thing."""
        from aitasker_cli.ops.task_input import is_fingerprint

        if self.every and (self.typed or self.stdin):
            raise UsageError("task IDs, --stdin and --all do not mix", hint="Use one of them.")
        if self.where and not self.every:
            raise UsageError(
                "--where narrows --all", hint=f"Use: aitasker tasks {verb} --all --where F=V"
            )
        if not (self.typed or self.stdin or self.every):
            raise UsageError(f"nothing to {verb}", hint="Pass TASK arguments, --stdin, or --all.")
        if self.if_match is not None:
            if self.every or self.stdin or len(self.typed) != 1:
                raise UsageError(
                    "--if-match takes the fingerprint of one task",
                    hint="For several, pipe `aitasker tasks inbox -o ndjson` to --stdin: each "
                    "line carries its task's fingerprint.",
                )
            if not is_fingerprint(self.if_match):
                raise UsageError(
                    f"'{self.if_match}' is not a fingerprint",
                    hint="A fingerprint is 12 hex characters, as `aitasker tasks show` prints.",
                )


class Chosen(NamedTuple):
    """One task to decide on."""

    workspace_id: str
    task_id: str
    if_match: str | None = None
    """Decide only if the task still has this fingerprint."""
    seen: Any = None
    """The task as it was listed or read (shown in the question), if it was."""


def decide_tasks(
    engine: Engine, action: Action, decision: Decision, *, concurrency: int
) -> RunReport:
    """Approve or reject the chosen tasks, one result each; exit 9 if any was skipped,
    failed or cut off."""
    from aitasker_cli.ops.changes import apply
    from aitasker_cli.ops.sending import task_calls

    decision.check(action.name)
    client = engine.client
    chosen = _choose(client, decision)
    if not (decision.dry_run or decision.yes):
        chosen = _confirmed(engine, action, chosen, concurrency)
    targets = ReadAgain(client, action, chosen, dry_run=decision.dry_run)
    return apply(
        engine,
        [one.task_id for one in chosen],
        targets,
        dry_run=decision.dry_run,
        wait_timeout=None,
        concurrency=concurrency,
        operation=action.name,
        calls=task_calls(client, decision.reason),
        noun="task",
    )


def _choose(client: ApiClient, decision: Decision) -> list[Chosen]:
    """The tasks, in order, each once, with their workspace and any fingerprint to match."""
    from aitasker_cli.ops import task_refs

    found: dict[str, Chosen] = {}
    if decision.every:
        from aitasker_cli.ops.selection import parse_where

        where = parse_where(decision.where)
        for task in task_refs.awaiting_tasks(client):
            if all(condition.holds_for(task.raw) for condition in where):
                _add(found, Chosen(str(task.workspace_id), str(task.id), None, task))
    for ref in task_refs.resolve_tasks(client, decision.typed, awaiting_only=True):
        _add(found, Chosen(ref.workspace_id, ref.task_id, _lower(decision.if_match), ref.task))
    if decision.stdin:
        from aitasker_cli.ops.task_input import read_task_lines

        lines = read_task_lines(decision.lines or ())
        unplaced = [line.task_id for line in lines if line.workspace_id is None]
        placed = task_refs.workspaces_of(client, unplaced) if unplaced else {}
        missing = [task_id for task_id in unplaced if task_id not in placed]
        if missing:  # before anything is sent: a list with an unknown task is not what was meant
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise NotFoundError(
                f"no task has the ID {missing[0]}{more}, so nothing was sent",
                hint="List them with 'aitasker tasks list --all'.",
            )
        for line in lines:
            workspace = line.workspace_id or placed[line.task_id]
            _add(found, Chosen(workspace, line.task_id, line.fingerprint))
    return list(found.values())


def _add(found: dict[str, Chosen], one: Chosen) -> None:
    """Add a task; one given twice (an ID and a prefix of it, say) keeps what either said: a
    fingerprint to match is never dropped, and two different ones are exit 2."""
    known = found.get(one.task_id)
    if known is None:
        found[one.task_id] = one
        return
    if known.if_match and one.if_match and known.if_match != one.if_match:
        raise UsageError(
            f"task {one.task_id} is given with two fingerprints, {known.if_match} and "
            f"{one.if_match}, so nothing was sent",
            hint="Give each task once.",
        )
    found[one.task_id] = known._replace(
        if_match=known.if_match or one.if_match, seen=known.seen or one.seen
    )


def _confirmed(
    engine: Engine, action: Action, chosen: list[Chosen], concurrency: int
) -> list[Chosen]:
    """Ask about the tasks as they are now (each read if it was not listed); what the person
    saw becomes each task's fingerprint to match, so nothing else is decided on."""
    from aitasker_cli.ops import bulk
    from aitasker_cli.ops.final import confirm_final

    client = engine.client
    unread = [one for one in chosen if one.seen is None]
    read: dict[str, Any] = {}
    failures: dict[str, Failure] = {}

    def fetch(task_id: str) -> Any:
        one = by_id[task_id]
        return client.get_task(one.workspace_id, task_id)

    def got(outcome: Any) -> None:
        if outcome.ok:
            read[outcome.id] = outcome.agent
        elif outcome.failure is not None:
            failures[outcome.id] = outcome.failure

    by_id = {one.task_id: one for one in unread}
    bulk.run_all(list(by_id), fetch, concurrency, got)
    seen = [one._replace(seen=read.get(one.task_id, one.seen)) for one in chosen]
    targets = [
        task_target(action, one, one.seen, failure=failures.get(one.task_id), dry_run=True)
        for one in seen
    ]
    confirm_final(engine.reporter, targets, action, False, _agent_names(client, targets))
    return [
        one._replace(if_match=one.if_match or (one.seen.fingerprint if one.seen else None))
        for one in seen
    ]


def _agent_names(client: ApiClient, targets: Sequence[Target]) -> dict[str, str]:
    """The names of the tasks' agents, from one listing of agents (for the question only)."""
    from aitasker_cli.core.errors import AitaskerError
    from aitasker_cli.ops.targets import name_of

    if not targets:
        return {}
    try:
        return {
            str(agent.id): name_of(agent) for agent in client.list_agents(status=None, limit=None)
        }
    except AitaskerError:
        return {}  # the question then shows short IDs


def task_target(
    action: Action, one: Chosen, task: Any, *, failure: Failure | None = None, dry_run: bool
) -> Target:
    """A task as it is now, and why it is skipped, if it is: no longer awaiting a decision
    (`now running`, `now approved`), or not the task that was shown (`changed since shown`)."""
    if task is None:
        return Target(one.task_id, action, within=one.workspace_id, failure=failure)
    before = str(task.status)
    fingerprint = str(task.fingerprint)
    reason = None
    # Even a task already decided the same way is skipped: someone else decided, not this run.
    if before not in action.acts_on:
        reason = f"now {before}"
    elif one.if_match not in (None, fingerprint):
        reason = "changed since shown"
    shown_as_is = dry_run or reason is not None
    return Target(
        one.task_id,
        action,
        name=str(task.title or ""),
        before=before,
        agent=task.raw if shown_as_is else None,
        reason=reason,
        within=one.workspace_id,
        fingerprint=fingerprint,
    )


class ReadAgain(Targets):
    """Each task read again as a worker reaches it, right before its decision is sent."""

    def __init__(
        self, client: ApiClient, action: Action, chosen: Sequence[Chosen], *, dry_run: bool
    ) -> None:
        super().__init__([])
        self._client = client
        self._action = action
        self._chosen = {one.task_id: one for one in chosen}
        self._dry_run = dry_run
        self._lock = threading.Lock()

    def __getitem__(self, task_id: str) -> Target:
        from aitasker_cli.ops.bulk import Failure

        one = self._chosen[task_id]
        try:
            task = self._client.get_task(one.workspace_id, task_id)
            found = task_target(self._action, one, task, dry_run=self._dry_run)
        except Exception as exc:  # this task's failure: nothing is sent to what was not read
            found = task_target(self._action, one, None, failure=Failure.of(exc), dry_run=True)
        with self._lock:
            self._found[task_id] = found
        return found

    def now(self, task_id: str) -> Target:
        with self._lock:
            known = self._found.get(task_id)
        one = self._chosen[task_id]
        return known or Target(task_id, self._action, within=one.workspace_id)


def _lower(fingerprint: str | None) -> str | None:
    """A fingerprint as computed (lower-case hex), whatever case it was typed in."""
    return None if fingerprint is None else fingerprint.lower()
