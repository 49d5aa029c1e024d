"""The state-changing actions on each kind of resource, each described once.

A command, its client call, its bulk run, `--wait`, its journal entry and its help all come
from one row here, so a new verb is a new row, never a new branch. Standard library only:
completion reads it.
"""

from __future__ import annotations

from typing import NamedTuple


class Action(NamedTuple):
    """One thing that can be done to a resource: `aitasker RESOURCE NAME`."""

    resource: str
    """The command group it belongs to, as typed: 'agents', 'tasks'."""
    name: str
    """The verb, as typed: `aitasker agents NAME`; no two rows share one (journals name it)."""
    route: str
    """Its entry in routes.ROUTES."""
    acts_on: tuple[str, ...]
    """The statuses it changes; a resource in another status is left as it is or refused."""
    target: str
    """The status the resource has afterwards."""
    final: bool
    """Whether nothing can undo it: `undo` refuses it, and a terminal asks before it."""
    retry_safe: bool
    """Whether sending it twice does no more than sending it once (so it may be retried)."""
    has_command: bool
    """Whether `aitasker RESOURCE NAME` exists yet; without one only the client can send it."""
    summary: str
    """The command's help, one line."""
    done: str
    """What a person is told afterwards: 'Paused'."""


PAUSE = Action(
    resource="agents",
    name="pause",
    route="agents.pause",
    acts_on=("active",),
    target="paused",
    final=False,
    retry_safe=True,
    has_command=True,
    summary="Pause hired agents; prints each agent after the call.",
    done="Paused",
)
RESUME = Action(
    resource="agents",
    name="resume",
    route="agents.resume",
    acts_on=("paused",),
    target="active",
    final=False,
    retry_safe=True,
    has_command=True,
    summary="Resume paused hired agents; prints each agent after the call.",
    done="Resumed",
)
# The contract's third round: final actions are never blindly retried after a timeout.
CANCEL = Action(
    resource="agents",
    name="cancel",
    route="agents.cancel",
    acts_on=("active", "paused"),
    target="cancelled",
    final=True,
    retry_safe=False,
    has_command=True,
    summary="Cancel hired agents for good; prints a result for each agent.",
    done="Cancelled",
)
APPROVE = Action(
    resource="tasks",
    name="approve",
    route="tasks.approve",
    acts_on=("awaiting_approval",),
    target="approved",
    final=True,
    retry_safe=False,
    has_command=True,
    summary="Approve tasks awaiting approval; prints a result for each task.",
    done="Approved",
)
REJECT = Action(
    resource="tasks",
    name="reject",
    route="tasks.reject",
    acts_on=("awaiting_approval",),
    target="rejected",
    final=True,
    retry_safe=False,
    has_command=True,
    summary="Reject tasks awaiting approval; prints a result for each task.",
    done="Rejected",
)

ROWS: tuple[Action, ...] = (PAUSE, RESUME, CANCEL, APPROVE, REJECT)
"""Every action on every resource, commands or not yet."""

_BY_KEY: dict[tuple[str, str], Action] = {(row.resource, row.name): row for row in ROWS}
_BY_VERB: dict[str, Action] = {row.name: row for row in ROWS}


def find(resource: str, verb: str) -> Action:
    """The row of `aitasker RESOURCE VERB`; KeyError if there is none."""
    return _BY_KEY[resource, verb]


def commands_of(resource: str) -> dict[str, Action]:
    """The rows of `resource` that are commands, by verb, in the table's order."""
    return {row.name: row for row in ROWS if row.resource == resource and row.has_command}


def reversible(verb: str) -> bool:
    """Whether undo may put back what `verb` did: a row's verb that is not final.

    A verb no row knows is not: what cannot be named cannot be put back. (`undo` is the
    journal's own verb, not a row: undoing an undo replays pause and resume rows.)
    """
    row = _BY_VERB.get(verb)
    return row is not None and not row.final


ACTIONS: dict[str, Action] = commands_of("agents")
"""The agent commands, by verb (pause, resume, cancel): each is an `aitasker agents` command."""
