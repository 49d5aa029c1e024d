"""`aitasker undo`: put back what an operation changed, agent by agent, if nobody has changed
it since. The operation comes from the journal (by ID, or the newest made with this profile on
this API) or from the per-item results an earlier run printed (`--from FILE`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from aitasker_cli.core.errors import NotFoundError, UsageError
from aitasker_cli.domain.actions import reversible
from aitasker_cli.ops.targets import Target, Targets, current

if TYPE_CHECKING:
    from aitasker_cli.domain.actions import Action
    from aitasker_cli.local.config import Settings
    from aitasker_cli.local.journal_records import Item, Operation
    from aitasker_cli.ops.changes import Engine

UNKNOWN_BEFORE = "its status before the operation is unknown, so there is nothing to put back"


class Restorable(NamedTuple):
    """An agent a change moved from `before` to `after`, which undo moves back.

    `before` is None when the change's look-up failed (undo then skips it, saying why);
    `in_doubt` when the change was cut off in flight and may not have been made.
    """

    id: str
    name: str
    before: str | None
    after: str
    in_doubt: bool = False


class Results(NamedTuple):
    """Per-item results an earlier run printed (`--from FILE`): where they came from, and the
    text."""

    name: str
    text: str


def undo(
    engine: Engine,
    wanted: str | None,
    results: Results | None,
    *,
    dry_run: bool,
    yes: bool,
    concurrency: int,
) -> None:
    """Put back what an operation changed, agent by agent, if nobody has changed it since.

    The operation is `wanted` (an ID or unique start of one), else the newest of this
    profile and API; or, with `results`, the `-o ndjson` results of an earlier run.
    """
    from aitasker_cli.ops.changes import apply, confirm

    if wanted is not None and not wanted.strip():
        raise UsageError("an empty operation ID was given", hint="See 'aitasker history'.")
    if wanted and results:
        raise UsageError("give an OPERATION_ID or --from FILE, not both")
    undoes = None
    where = ""
    if results is not None:
        restorable = _restorable_in(results)
        where = _api_named(engine.settings)
    else:
        operation = _operation(engine.settings, wanted)
        restorable = [found for item in operation.items if (found := _restorable(item))]
        undoes = operation.id
    ready = [item for item in restorable if _reason_to_skip(item) is None]
    expected = {item.id: item.after for item in ready}
    back = {item.id: item for item in ready}

    def action_for(agent_id: str) -> Action:
        return _action_back_to(str(back[agent_id].before)) or _action_from(back[agent_id].after)

    targets = current(
        engine.client,
        list(back),
        action_for,
        concurrency,
        expected=expected,
        in_doubt={item.id for item in ready if item.in_doubt},
        dry_run=dry_run,
        statuses=sorted(set(expected.values())),
    )
    targets += [
        Target(item.id, _action_from(item.after), item.name, reason=reason)
        for item in restorable
        if (reason := _reason_to_skip(item))
    ]
    if not dry_run:
        confirm(engine.reporter, targets, "undo", yes, where)
    apply(
        engine,
        [known.id for known in targets],
        Targets(targets),
        dry_run=dry_run,
        wait_timeout=None,
        concurrency=concurrency,
        operation="undo",
        undoes=undoes,
        where=where,
    )


def _operation(settings: Settings, wanted: str | None) -> Operation:
    """The journal's operation to undo: `wanted`, or the newest made with this profile on this
    API; exit 2 if it was made elsewhere, naming the flags that select its API."""
    from aitasker_cli.local import journal_reading

    if wanted:
        operation = journal_reading.find(wanted)
    else:
        found = journal_reading.last(settings.profile, settings.api_url)
        if found is None:
            raise _none_here(
                settings, journal_reading.elsewhere(settings.profile, settings.api_url)
            )
        operation = found
    if operation.action != "undo" and not reversible(operation.action):
        # Named or the newest: never a fall-back to an older operation behind a final one.
        raise UsageError(
            f"operation {operation.id} ({operation.action}) cannot be undone: approvals, "
            "rejections and cancellations are final",
            hint="See 'aitasker history'; name an earlier operation to undo it.",
        )
    if not operation.acted_on(settings.profile, settings.api_url):
        made_on = operation.api_url or operation.host
        raise UsageError(
            f"operation {operation.id} was made on {made_on} with profile "
            f"'{operation.profile}', not on {settings.api_url} with profile '{settings.profile}'",
            hint=f"Undo it with the same API and profile: aitasker undo {operation.id} "
            + _flags_for(operation),
        )
    return operation


def _none_here(settings: Settings, others: list[Operation]) -> Exception:
    """No operation of this profile on this API: say how many there are elsewhere, and how to
    get at the newest of them."""
    here = f"profile '{settings.profile}' on {settings.api_url}"
    if not others:
        return NotFoundError(
            f"the journal has no operation of {here}",
            hint="See 'aitasker history'; name an operation, or use --from FILE.",
        )
    newest = others[0]
    same = [op for op in others if _flags_for(op) == _flags_for(newest)]
    count = f"{len(same)} operation" + (" was" if len(same) == 1 else "s were")
    return NotFoundError(
        f"the journal has no operation of {here}; {count} made with {_flags_for(newest)}",
        hint=f"Undo the newest of them with: aitasker undo {_flags_for(newest)}",
    )


def _flags_for(operation: Operation) -> str:
    """The flags that select the API and profile `operation` was made with, all named, so the
    command they go into means the same whatever the flags in effect."""
    import shlex

    from aitasker_cli.local.config import SANDBOX_API_URL

    url = operation.api_url or f"https://{operation.host}"
    api = "--sandbox" if url == SANDBOX_API_URL else f"--api-url {shlex.quote(url)}"
    return f"{api} --profile {shlex.quote(operation.profile)}"


def _api_named(settings: Settings) -> str:
    """How the summary and the question name the API undo acts on."""
    return "the sandbox" if settings.sandbox else settings.api_url


def _restorable(item: Item) -> Restorable | None:
    """What undo may put back of a journaled item, if anything.

    A change cut off by Ctrl-C (or a kill) while in flight may have been made: if the agent
    now has the status that change gives, undo puts it back too. One whose status before is
    unknown, or that no action puts back, is kept too, to be reported skipped with the reason.
    """
    if item.outcome == "changed" and item.after is not None:
        return Restorable(item.id, item.name, item.before, item.after)
    if item.outcome == "interrupted" and item.sent:
        before = item.before or ""
        after = next((a.target for a in _reversible() if before in a.acts_on), "")
        return Restorable(item.id, item.name, item.before, after, True)
    return None


def _reason_to_skip(item: Restorable) -> str | None:
    """Why undo cannot put `item` back, if it cannot."""
    if item.before is None:
        return UNKNOWN_BEFORE
    if _action_back_to(item.before) is None:
        return f"no command brings an agent back to {item.before!r}"
    return None


def _action_back_to(status: str) -> Action | None:
    """The action whose result is `status` (resume for active, pause for paused)."""
    return next((action for action in _reversible() if action.target == status), None)


def _action_from(status: str) -> Action:
    """The action that would move an agent out of `status` (for a result's `action`)."""
    from aitasker_cli.domain.actions import RESUME

    return next((a for a in _reversible() if status in a.acts_on), RESUME)


def _reversible() -> list[Action]:
    """The agents' actions undo may send: never a final one (cancel)."""
    from aitasker_cli.domain.actions import ROWS

    return [row for row in ROWS if row.resource == "agents" and not row.final]


def _restorable_in(results: Results) -> list[Restorable]:
    """The changed items of earlier per-item results (`-o ndjson` lines, or `-o json`).

    A dry run's results changed nothing, and failed items were not changed: both are left
    out. Anything that is not such a result stops undo before anything is sent.
    """
    import json

    from aitasker_cli.local.cache import is_uuid

    path, text = results
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
        action = record.get("action")
        if isinstance(action, str) and action != "undo" and not reversible(action):
            raise UsageError(
                f"{path}: item {number} is a {action}, which cannot be undone: approvals, "
                "rejections and cancellations are final",
                hint="Give it what 'agents pause', 'resume' or 'undo' printed.",
            )
        if "task" in record or "workspace_id" in record:
            raise UsageError(
                f"{path}: item {number} is a task's result; undo puts back agents only",
                hint="Give it what 'agents pause', 'resume' or 'undo' printed.",
            )
        before, after = record.get("status_before"), record.get("status_after")
        if (
            record.get("outcome") == "changed"
            and not record.get("dry_run")
            and isinstance(before, str)
            and isinstance(after, str)
        ):
            agent_id = str(record["id"]).lower()
            name = record.get("name")
            found[agent_id] = Restorable(
                agent_id, name if isinstance(name, str) else "", before, after
            )
    return list(found.values())
