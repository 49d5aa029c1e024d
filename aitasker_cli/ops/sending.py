"""Sending one item's action, written ahead to the journal, and what came of it.

An agent is sent its action by its own route; a task's decision goes to its workspace's route
with the reason given. An action that is not retry-safe (approve, reject, cancel) is never sent
twice: when its answer is lost (a timeout, a dropped connection, a 5xx), the item is read
again, and it is `changed` if it got there, `interrupted` if not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from aitasker_cli.core.errors import AitaskerError
from aitasker_cli.ops.targets import Target, name_of

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.local.journal import Run
    from aitasker_cli.local.journal_records import Item
    from aitasker_cli.ops.bulk import Failure


class Calls(NamedTuple):
    """How a run sends an item its action, and reads the item again."""

    send: Callable[[Target], Any]
    read: Callable[[Target], Any]
    reason: str | None = None
    """The reason a decision carries (approve, reject); journaled with each item."""
    wait: Callable[[Any, str, float], Any] | None = None
    """`--wait`: poll the item until it has a status, within a deadline (agents only)."""


def agent_calls(client: ApiClient) -> Calls:
    """Each target's own action (undo mixes pause and resume) on agents."""
    from aitasker_cli.ops.waiting import wait_for_status

    return Calls(
        send=lambda now: client.change(now.action, now.id),
        read=lambda now: client.get_agent(now.id),
        wait=lambda agent, status, timeout: wait_for_status(client, agent, status, timeout),
    )


def task_calls(client: ApiClient, reason: str | None) -> Calls:
    """A decision on tasks, each in its workspace, with `reason` as the body's."""

    def send(now: Target) -> Any:
        return client.decide(now.action, _workspace(now), now.id, reason)

    return Calls(send, read=lambda now: client.get_task(_workspace(now), now.id), reason=reason)


def _workspace(now: Target) -> str:
    if now.within is None:
        raise ValueError(f"task {now.id} has no workspace")  # a bug: refs always carry one
    return now.within


class Done(NamedTuple):
    """One item's work, as a run's report takes it."""

    target: Target
    outcome: str
    agent: Any
    """The object afterwards (an agent or a task), as the server sent it."""
    failure: Failure | None
    journaled: bool = False
    """Whether its outcome is in the journal already (written as soon as the API answered)."""
    error: Exception | None = None
    """What the failure was, for a single change to end with (a bulk run keeps `failure`)."""


def send(calls: Calls, run: Run, now: Target, wait_timeout: float | None) -> Done:
    """Send `now.action` to the item, journaled ahead: its intent first, its outcome as soon as
    the API answers, before anything is printed; then wait for its status if asked to. A
    failure comes back in `error` (see `kept_small`).

    Only a refusal (a 4xx) means nothing was changed. After a timeout, a dropped connection, a
    5xx (a gateway may answer after the backend made the change) or a 2xx whose body cannot be
    read, the change may have been made: a retry-safe change keeps its intent as it is, for
    `undo` to check; a final one is read again (`_read_again`).
    """
    run.intend(now.id, now.name, now.before, calls.reason)
    try:
        item = calls.send(now)
    except Exception as exc:  # this item's failure, with its status before kept
        if isinstance(exc, AitaskerError) and exc.status is not None and 400 <= exc.status < 500:
            run.note(journal_item(now, "failed", None, reason=calls.reason))
        elif not now.action.retry_safe:
            return _read_again(calls, run, now, exc)
        return Done(now, "failed", None, None, journaled=True, error=exc)
    name = now.name or name_of(item) or str(getattr(item, "title", None) or "")
    run.note(journal_item(now, "changed", str(item.status), name=name, reason=calls.reason))
    if wait_timeout is not None and calls.wait is not None:
        try:
            item = calls.wait(item, now.action.target, wait_timeout)
        except Exception as exc:  # changed, but not (yet) to the status waited for
            return Done(now, "failed", None, None, journaled=True, error=exc)
    return Done(now, "changed", item, None, journaled=True)


def _read_again(calls: Calls, run: Run, now: Target, lost: Exception) -> Done:
    """A final action whose answer was lost: `changed` if the item got there, else
    `interrupted` (with the item as it is now, if it could be read); never a second send."""
    try:
        item = calls.read(now)
    except Exception:  # still unreachable: what happened cannot be known
        run.note(journal_item(now, "interrupted", None, reason=calls.reason))
        return Done(now, "interrupted", None, None, journaled=True, error=lost)
    status = str(item.status)
    if status == now.action.target:
        run.note(journal_item(now, "changed", status, reason=calls.reason))
        return Done(now, "changed", item, None, journaled=True)
    run.note(journal_item(now, "interrupted", status, reason=calls.reason))
    return Done(now, "interrupted", item, None, journaled=True, error=lost)


def kept_small(done: Done) -> Done:
    """A bulk item's failure as a small record: a run keeps no exception with its traceback."""
    from aitasker_cli.ops.bulk import Failure

    if done.error is None:
        return done
    return done._replace(failure=Failure.of(done.error), error=None)


def journal_item(
    target: Target, outcome: str, after: str | None, *, name: str = "", reason: str | None = None
) -> Item:
    from aitasker_cli.local.journal_records import Item

    return Item(target.id, name or target.name, target.before, after, outcome, reason=reason)
