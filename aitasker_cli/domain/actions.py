"""The state-changing actions on a hired agent, each described once.

A command, its client call, its bulk run, `--wait` and its help all come from one row here,
so a new verb is a new row, never a new branch. Standard library only: completion reads it.
"""

from __future__ import annotations

from typing import NamedTuple


class Action(NamedTuple):
    """One thing that can be done to a hired agent."""

    name: str
    """The verb, as typed: `aitasker agents NAME`."""
    route: str
    """Its entry in routes.ROUTES."""
    acts_on: tuple[str, ...]
    """The statuses it changes; an agent in another status is left as it is or refused."""
    target: str
    """The status the agent has afterwards."""
    retry_safe: bool
    """Whether sending it twice does no more than sending it once (so it may be retried)."""
    destructive: bool
    """Whether it loses something that undoing cannot bring back."""
    summary: str
    """The command's help, one line."""
    done: str
    """What a person is told afterwards: 'Paused'."""


PAUSE = Action(
    name="pause",
    route="agents.pause",
    acts_on=("active",),
    target="paused",
    retry_safe=True,
    destructive=False,
    summary="Pause hired agents; prints each agent after the call.",
    done="Paused",
)
RESUME = Action(
    name="resume",
    route="agents.resume",
    acts_on=("paused",),
    target="active",
    retry_safe=True,
    destructive=False,
    summary="Resume paused hired agents; prints each agent after the call.",
    done="Resumed",
)

ACTIONS: dict[str, Action] = {action.name: action for action in (PAUSE, RESUME)}
