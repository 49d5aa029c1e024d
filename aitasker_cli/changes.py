"""Changing agents' status, one or many: decide, preview, confirm, send, report, journal.

`agents pause`, `agents resume` and `undo` all come here with a list of targets: each agent as
it is now (listed or fetched) and the action to do to it. Each target gets one result with an
`outcome`:

- changed: the action was sent and succeeded (with --dry-run: it would be sent);
- unchanged: the agent already has the status the action gives, so nothing was sent;
- skipped: undo only; someone changed the agent since, so it is left alone;
- failed: the lookup or the action failed (the result's error says why);
- interrupted: Ctrl-C or SIGTERM came first.

A run that changed something is written to the journal, so `undo` can reverse it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from aitasker_cli import views
from aitasker_cli.errors import (
    AitaskerError,
    ExitCode,
    LocalIOError,
    NotFoundError,
    PartialFailure,
    UsageError,
)

if TYPE_CHECKING:
    from aitasker_cli.actions import Action
    from aitasker_cli.bulk import Failure, Outcome
    from aitasker_cli.cli.session import Session
    from aitasker_cli.client import ApiClient
    from aitasker_cli.journal import Item

CONFIRM_NAMES = 5
"""How many names the confirmation question shows before "and N more"."""


class Target(NamedTuple):
    """One agent to change: its name and status now, and what to do to it.

    Small on purpose, since a bulk run holds one per agent: the agent itself (as the server
    sent it) is kept only when its result is known without sending anything, to be shown.
    """

    id: str
    action: Action
    name: str = ""
    before: str | None = None
    """Its status now (None if it could not be looked up)."""
    agent: Any = None
    failure: Failure | None = None
    expected: str | None = None
    """For undo: act only if the agent still has this status (the one the change left)."""


def target(
    agent_id: str,
    action: Action,
    agent: Any,
    *,
    failure: Failure | None = None,
    expected: str | None = None,
    dry_run: bool = False,
) -> Target:
    """The target for `agent` as it is now (a model, or None if it could not be had)."""
    before = None if agent is None else str(agent.status)
    shown_as_is = dry_run or before == action.target or (expected not in (None, before))
    kept = getattr(agent, "raw", agent) if shown_as_is else None
    return Target(agent_id, action, _name_of(agent), before, kept, failure, expected)


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


def change_agents(
    session: Session,
    action: Action,
    selection: Selection,
    *,
    wait_timeout: float | None,
    concurrency: int,
) -> None:
    """`agents pause` and `agents resume`: one agent, a list, or a filtered selection."""
    # Imported where used: a single agent's change needs neither the bulk runner nor filters.
    from aitasker_cli import render

    selection.check(action.name)
    if selection.every:
        from aitasker_cli.selection import parse_where, select_all

        where = parse_where(selection.where)

        def keep(agent: Any) -> Target:
            return target(str(agent.id), action, agent, dry_run=selection.dry_run)

        chosen = select_all(session.client, action, where, keep)
        if not selection.dry_run:
            confirm(chosen, action.name, selection.yes)
        ids = [chosen_target.id for chosen_target in chosen]
        targets = Targets(chosen)
    else:
        from aitasker_cli.resolve import Resolver

        resolver = Resolver(session.client, "agent")
        ids = [resolver.id_of(typed) for typed in selection.typed]
        if len(ids) == 1 and not selection.stdin and not selection.dry_run:
            _change_one(session, action, ids[0], wait_timeout, resolver.fetched.get(ids[0]))
            return
        from aitasker_cli import bulk

        if selection.stdin and sys.stdin is not None and sys.stdin.isatty():
            render.message("Reading agent IDs from stdin, one a line; end with Ctrl-D.")
        ids = bulk.read_ids(ids, bulk.read_stdin(sys.stdin) if selection.stdin else None)
        targets = LookedUp(
            session.client, ids, action, fetched=resolver.fetched, dry_run=selection.dry_run
        )
    apply(
        session,
        ids,
        targets,
        dry_run=selection.dry_run,
        wait_timeout=wait_timeout,
        concurrency=concurrency,
        operation=action.name,
    )


def current(
    session: Session,
    ids: Sequence[str],
    action_for: Callable[[str], Action],
    concurrency: int,
    *,
    fetched: Mapping[str, Any] | None = None,
    expected: Mapping[str, str] | None = None,
    dry_run: bool = False,
    statuses: Sequence[str] | None = None,
) -> list[Target]:
    """A target for each ID, in order, with the agent as it is now or why it could not be had.

    `fetched` holds agents this command fetched already (to resolve a typed prefix);
    `expected`, for undo, the status each agent must still have; `statuses`, the ones most
    of the agents are expected in (selection.look_up lists those first).
    """
    from aitasker_cli import bulk
    from aitasker_cli.selection import look_up

    found: dict[str, Target] = {}

    def note(agent_id: str, agent: Any, failure: Failure | None = None) -> None:
        wanted = expected.get(agent_id) if expected else None
        found[agent_id] = target(
            agent_id, action_for(agent_id), agent, failure=failure, expected=wanted, dry_run=dry_run
        )

    def fetch_each(rest: Sequence[str]) -> None:
        def fetched_one(outcome: Outcome) -> None:
            note(outcome.id, outcome.agent, outcome.failure)

        bulk.run_all(rest, session.client.get_agent, concurrency, fetched_one)

    for agent_id, agent in (fetched or {}).items():
        note(agent_id, agent)
    look_up(session.client, [i for i in ids if i not in found], fetch_each, note, statuses)
    return [found[agent_id] for agent_id in ids]


class Targets:
    """The target of each agent a bulk run changes, all found before the run (a selection to
    confirm, or undo's)."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self._found = {known.id: known for known in targets}

    def __getitem__(self, agent_id: str) -> Target:
        """The agent's target, when a worker reaches it."""
        return self._found[agent_id]

    def now(self, agent_id: str) -> Target:
        """The agent's target as far as it is known, without waiting."""
        return self._found[agent_id]


class LookedUp(Targets):
    """Targets found while the run goes: a look-up lists pages (selection.look_up) in a
    thread of its own, so the first changes are sent while later pages are still coming,
    instead of after the last one. A worker whose agent no page had fetches it itself.
    """

    def __init__(
        self,
        client: ApiClient,
        ids: Sequence[str],
        action: Action,
        *,
        fetched: Mapping[str, Any],
        dry_run: bool,
    ) -> None:
        """Start looking up the agents of `ids`, listing those `action` acts on.

        `fetched` holds agents this command fetched already (to resolve a typed prefix).
        """
        self._client = client
        self._action = action
        self._dry_run = dry_run
        super().__init__([self._target(i, agent) for i, agent in fetched.items()])
        self._changed = threading.Condition()
        self._listing = True
        rest = [agent_id for agent_id in ids if agent_id not in fetched]
        threading.Thread(target=self._list, args=(rest,), name="look-up", daemon=True).start()

    def __getitem__(self, agent_id: str) -> Target:
        """The agent's target; waits for the look-up, and fetches it if no page had it."""
        with self._changed:
            self._changed.wait_for(lambda: agent_id in self._found or not self._listing)
            found = self._found.get(agent_id)
        if found is not None:
            return found
        from aitasker_cli.bulk import Failure

        try:
            fetched = self._target(agent_id, self._client.get_agent(agent_id))
        except Exception as exc:  # this agent's failure, reported in its result
            fetched = self._target(agent_id, None, Failure.of(exc))
        with self._changed:
            self._found[agent_id] = fetched
        return fetched

    def now(self, agent_id: str) -> Target:
        """The agent's target as far as it is known, without waiting (its status may be None)."""
        with self._changed:
            return self._found.get(agent_id) or Target(agent_id, self._action)

    def _list(self, ids: Sequence[str]) -> None:
        from aitasker_cli.selection import look_up

        try:
            look_up(self._client, ids, lambda _missing: None, self._listed, self._action.acts_on)
        finally:
            with self._changed:
                self._listing = False
                self._changed.notify_all()

    def _listed(self, agent_id: str, agent: Any) -> None:
        with self._changed:
            self._found[agent_id] = self._target(agent_id, agent)
            self._changed.notify_all()

    def _target(self, agent_id: str, agent: Any, failure: Failure | None = None) -> Target:
        return target(agent_id, self._action, agent, failure=failure, dry_run=self._dry_run)


def _change_one(
    session: Session, action: Action, agent_id: str, wait_timeout: float | None, now: Any
) -> None:
    """One agent named on the command line: the agent afterwards, as `agents show` prints it.

    `now` is the agent if resolving what was typed fetched it already, else None.
    """
    from aitasker_cli import cache, render
    from aitasker_cli.actions import performer

    if now is None:
        # If it cannot be had, the change is sent anyway, with the status before unknown.
        with contextlib.suppress(AitaskerError):
            now = session.client.get_agent(agent_id)
    if now is not None and str(now.status) == action.target:
        render.show(now, views.AGENTS, session.output)
        _tell(f"{_name_of(now) or 'Agent'} ({agent_id[:8]}) is already {action.target}")
        return
    before = target(agent_id, action, now)
    agent = performer(session.client, action, wait_timeout)(agent_id)
    render.show(agent, views.AGENTS, session.output)
    cache.learn("agents", [agent])
    name = _name_of(agent)
    told = (
        f"{action.done} {name} ({agent_id[:8]})" if name else f"{action.done} agent {agent_id[:8]}"
    )
    _journal(session, action.name, [_item(before, "changed", str(agent.status))], None, told)


def _tell(text: str) -> None:
    """A line on stderr for a person watching; scripts have the data on stdout."""
    from aitasker_cli import render
    from aitasker_cli.output import sink

    if text and sink.is_terminal(sys.stderr):
        render.message(text)


def confirm(targets: Sequence[Target], verb: str, yes: bool) -> None:
    """Ask before changing a selection the user did not list one by one; exit 2 if we cannot.

    On a terminal (stdin and stderr), a [y/N] question with the count and the first names;
    elsewhere only --yes goes on, since a script must say that it means the whole selection.
    """
    from aitasker_cli import render
    from aitasker_cli.output import sink

    if yes or not targets:
        return
    if not (sink.is_terminal(sys.stdin) and sink.is_terminal(sys.stderr)):
        raise UsageError(
            f"refusing to {verb} {_agents(len(targets))} without confirmation",
            hint="Pass --yes to confirm, or --dry-run to see the selection first.",
        )
    names = [target.name or target.id[:8] for target in targets[:CONFIRM_NAMES]]
    more = len(targets) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    if not render.confirm(f"{verb.capitalize()} {_agents(len(targets))} ({listed})?"):
        raise UsageError("nothing was changed: not confirmed")


def apply(
    session: Session,
    ids: Sequence[str],
    targets: Targets,
    *,
    dry_run: bool,
    wait_timeout: float | None,
    concurrency: int,
    operation: str,
    undoes: str | None = None,
) -> None:
    """Change every agent of `ids` that needs it and print a result for each; exit 9 if any
    failed.

    Each worker takes an ID, gets its target from `targets` (which may still be looking it
    up), and sends the action unless the result is known without it. `operation` names the
    run in the journal (pause, resume, undo). With `dry_run` nothing that changes state is
    sent. On Ctrl-C or SIGTERM every item is still reported, and the journal records what was
    done before the signal goes on up.
    """
    from aitasker_cli import bulk, cache, interrupts, render
    from aitasker_cli.actions import performer

    results = render.BulkResults(views.AGENTS, session.output, ids)
    items: list[Item] = []
    changed_agents: list[Any] = []
    tally: Counter[str] = Counter()

    def report(target: Target, outcome: str, agent: Any = None, failure: Any = None) -> None:
        after = _after(target, outcome, agent, dry_run)
        # Whole or not at all: a Ctrl-C between the journal's note and the printed result
        # would make undo forget a change, or the output miss an item.
        with interrupts.held():
            if not dry_run:
                items.append(_item(target, outcome, after))
            if outcome == "changed" and not dry_run and len(changed_agents) < cache.KEEP:
                changed_agents.append(agent)
            tally[outcome] += 1
            results.add(_result(target, outcome, after, agent, failure, dry_run))

    def work(agent_id: str) -> _Done:
        target = targets[agent_id]
        settled = _settled(target, dry_run)
        if settled is not None:
            return _Done(target, settled, target.agent, target.failure)
        try:
            agent = performer(session.client, target.action, wait_timeout)(agent_id)
        except Exception as exc:  # this item's failure, with its status before kept
            return _Done(target, "failed", None, bulk.Failure.of(exc))
        return _Done(target, "changed", agent, None)

    def reported(outcome: Outcome) -> None:
        if outcome.ok:
            report(*outcome.agent)
        else:  # cut off by a signal before its work was done
            interrupted = outcome.failure is not None and outcome.failure.exit_code in (
                ExitCode.INTERRUPTED,
                ExitCode.TERMINATED,
            )
            outcome_name = "interrupted" if interrupted else "failed"
            report(targets.now(outcome.id), outcome_name, None, outcome.failure)
        step()

    try:
        with render.progress(len(ids), f"{operation} agents", session.output) as step:
            bulk.run_all(ids, work, concurrency, reported)
    finally:
        # After the progress bar is gone: a table written under it would be drawn over.
        results.finish()
        cache.learn("agents", changed_agents)
        _journal(session, operation, items, undoes)
    _summarise(operation, tally, dry_run)
    failed = tally["failed"] + tally["interrupted"]
    if failed:
        raise PartialFailure(
            f"{operation}: {failed} of {_agents(len(ids))} failed",
            hint="Each failed item's result says why.",
        )


class _Done(NamedTuple):
    """One item's work, as apply's report takes it."""

    target: Target
    outcome: str
    agent: Any
    failure: Failure | None


def _settled(target: Target, dry_run: bool) -> str | None:
    """The outcome known without sending anything, or None when the action must be sent.

    An agent that could not be looked up is still sent the action (the API has the last
    word, and the pause route is the one the platform documents), with its status before
    unknown; only undo and a dry run, which must know it, report it as failed.
    """
    if target.failure is not None:
        return "failed" if dry_run or target.expected is not None else None
    if target.expected is not None and target.before != target.expected:
        return "skipped"
    if target.before == target.action.target:
        return "unchanged"
    return "changed" if dry_run else None


def _after(target: Target, outcome: str, agent: Any, dry_run: bool) -> str | None:
    if outcome == "changed":
        return target.action.target if dry_run else str(agent.status)
    if outcome in ("unchanged", "skipped"):
        return target.before
    return None


def _result(
    target: Target,
    outcome: str,
    after: str | None,
    agent: Any,
    failure: Failure | None,
    dry_run: bool,
) -> dict[str, Any]:
    """One item's result: the contract's `id`, `ok`, `agent` or `error`, and what happened."""
    result: dict[str, Any] = {
        "id": target.id,
        "ok": outcome not in ("failed", "interrupted"),
        "outcome": outcome,
        "action": target.action.name,
        "name": target.name or _name_of(agent),
        "status_before": target.before,
        "status_after": after,
    }
    if dry_run:
        result["dry_run"] = True
    if agent is not None:
        result["agent"] = agent
    if outcome == "skipped":
        result["reason"] = f"changed since: now {target.before}, not {target.expected}"
    if failure is not None:
        result["error"] = {
            "status": failure.status,
            "exit_code": failure.exit_code,
            "message": failure.message,
        }
    return result


def _item(target: Target, outcome: str, after: str | None) -> Item:
    from aitasker_cli.journal import Item

    return Item(id=target.id, name=target.name, before=target.before, after=after, outcome=outcome)


def _journal(
    session: Session, operation: str, items: list[Item], undoes: str | None, told: str = ""
) -> None:
    """Record the run if it changed something, and say its ID; a failure is only a warning.

    `told` is what a person watching is told first (`Paused Maya (1888df20)`): on a terminal
    it shares the line with the operation ID.
    """
    from aitasker_cli import journal, render

    if not any(item.outcome == "changed" for item in items):
        return
    record = journal.Operation(
        id=journal.new_operation_id(),
        time=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        profile=session.settings.profile,
        host=session.settings.api_host,
        action=operation,
        items=tuple(items),
        undoes=undoes,
    )
    from aitasker_cli.output import sink

    try:
        journal.record(record)
    except (LocalIOError, ValueError) as exc:  # ValueError: what the server sent cannot be kept
        _tell(told)
        reason = exc.message if isinstance(exc, LocalIOError) else f"cannot journal this run: {exc}"
        render.warning(f"{reason}; this run cannot be undone with 'aitasker undo'")
        return
    if told and sink.is_terminal(sys.stderr):
        render.message(f"{told}. Operation: {record.id}")
    else:
        render.message(f"Operation: {record.id}")


def _summarise(operation: str, tally: Counter[str], dry_run: bool) -> None:
    """One line on stderr: how many were done, and how many needed nothing."""
    from aitasker_cli import render

    total = sum(tally.values())
    others = ", ".join(f"{tally[o]} {o}" for o in ("unchanged", "skipped") if tally[o])
    if dry_run:
        would = f"{tally['changed']} would change" + (f", {others}" if others else "")
        render.message(f"Dry run of {operation}: {_agents(total)}, {would}; nothing was sent.")
        return
    failed = tally["failed"] + tally["interrupted"]
    done = f"{operation}: {total - failed} of {_agents(total)} done, {failed} failed"
    render.message(done + (f" ({tally['changed']} changed, {others})" if others else "") + ".")


def _agents(count: int) -> str:
    return f"{count} agent" + ("" if count == 1 else "s")


def _name_of(agent: Any) -> str:
    if agent is None:
        return ""
    name = getattr(agent, "display_name", None) or getattr(agent, "persona_name", None)
    return str(name or "")


class Restorable(NamedTuple):
    """An agent a change moved from `before` to `after`, which undo moves back."""

    id: str
    before: str
    after: str


def undo(
    session: Session,
    wanted: str | None,
    results_file: str | None,
    *,
    dry_run: bool,
    yes: bool,
    concurrency: int,
) -> None:
    """Put back what an operation changed, agent by agent, if nobody has changed it since.

    The operation is `wanted` (an ID or unique start of one), else the newest of this
    profile and API host; or, with `results_file`, the `-o ndjson` results of an earlier run.
    """
    from aitasker_cli import journal

    if wanted and results_file:
        raise UsageError("give an OPERATION_ID or --from FILE, not both")
    undoes = None
    if results_file is not None:
        restorable = _restorable_in(results_file)
    else:
        settings = session.settings
        if wanted:
            operation = journal.find(wanted)
        else:
            found = journal.last(settings.profile, settings.api_host)
            if found is None:
                raise NotFoundError(
                    f"the journal has no operation of profile '{settings.profile}' on "
                    f"{settings.api_host}",
                    hint="See 'aitasker history'; name an operation, or use --from FILE.",
                )
            operation = found
        if operation.host != settings.api_host:
            raise UsageError(
                f"operation {operation.id} was made on {operation.host}, not {settings.api_host}",
                hint=f"Use the same API as it did (its profile was '{operation.profile}').",
            )
        restorable = [
            Restorable(item.id, item.before, after)
            for item in operation.items
            if item.before and (after := _left_by(item.outcome, item.before, item.after))
        ]
        undoes = operation.id
    back = {item.id: item for item in restorable}
    ids = list(back)
    expected = {agent_id: item.after for agent_id, item in back.items()}

    def action_for(agent_id: str) -> Action:
        return _action_back_to(back[agent_id].before)

    targets = current(
        session,
        ids,
        action_for,
        concurrency,
        expected=expected,
        dry_run=dry_run,
        statuses=sorted(set(expected.values())),
    )
    if not dry_run:
        confirm(targets, "undo", yes)
    apply(
        session,
        ids,
        Targets(targets),
        dry_run=dry_run,
        wait_timeout=None,
        concurrency=concurrency,
        operation="undo",
        undoes=undoes,
    )


def _left_by(outcome: str, before: str, after: str | None) -> str | None:
    """The status a journaled item may have been left in, which undo looks for.

    A change cut off by Ctrl-C while in flight may have been made: if the agent now has the
    status that change gives, undo puts it back too.
    """
    from aitasker_cli.actions import ACTIONS

    if outcome == "changed":
        return after
    if outcome == "interrupted":
        return next((a.target for a in ACTIONS.values() if before in a.acts_on), None)
    return None


def _action_back_to(status: str) -> Action:
    """The action whose result is `status` (resume for active, pause for paused)."""
    from aitasker_cli.actions import ACTIONS

    for action in ACTIONS.values():
        if action.target == status:
            return action
    raise UsageError(f"no command brings an agent back to '{status}'")


RESULTS_FILE = 64 * 1024 * 1024


def _restorable_in(path: str) -> list[Restorable]:
    """The changed items of earlier per-item results (`-o ndjson` lines, or `-o json`).

    A dry run's results changed nothing, and failed items were not changed: both are left
    out. Anything that is not such a result stops undo before anything is sent.
    """
    import json

    from aitasker_cli.cache import is_uuid

    text = _read_results(path)
    try:
        if text.lstrip().startswith("["):
            records = json.loads(text)
        else:
            records = [
                json.loads(line)
                for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")
            ]
    except (ValueError, RecursionError) as exc:
        raise UsageError(
            f"{path} does not hold per-item results: {exc}",
            hint="Give it what 'agents pause' or 'resume' printed with -o ndjson (or -o json).",
        ) from None
    found: dict[str, Restorable] = {}
    for number, record in enumerate(records if isinstance(records, list) else [records], 1):
        if not (isinstance(record, dict) and is_uuid(str(record.get("id", "")))):
            raise UsageError(
                f"{path}: item {number} is not a per-item result with an agent ID",
                hint="Give it what 'agents pause' or 'resume' printed with -o ndjson.",
            )
        before, after = record.get("status_before"), record.get("status_after")
        if (
            record.get("outcome") == "changed"
            and not record.get("dry_run")
            and isinstance(before, str)
            and isinstance(after, str)
        ):
            found[str(record["id"]).lower()] = Restorable(str(record["id"]).lower(), before, after)
    return list(found.values())


def _read_results(path: str) -> str:
    """The file's text (`-` is stdin), at most RESULTS_FILE bytes."""
    try:
        if path == "-":
            text = sys.stdin.read(RESULTS_FILE + 1) if sys.stdin is not None else ""
        else:
            with open(path, encoding="utf-8", errors="replace") as file:
                text = file.read(RESULTS_FILE + 1)
    except OSError as exc:
        raise LocalIOError(f"cannot read {path}: {exc.strerror}") from None
    if len(text) > RESULTS_FILE:
        raise UsageError(f"{path} is over {RESULTS_FILE // (1024 * 1024)} MiB")
    return text
