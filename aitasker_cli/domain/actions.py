"""The state-changing actions on a hired agent, each described once.

A command, its client call, its bulk run, `--wait` and its help all come from one row here,
so a new verb is a new row, never a new branch. Standard library only: completion reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.api.models import HiredAgent

WAIT_FIRST_INTERVAL = 0.5
WAIT_MAX_INTERVAL = 5.0


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


def performer(
    client: ApiClient, action: Action, wait_timeout: float | None
) -> Callable[[str], HiredAgent]:
    """Do `action` to one agent ID (and wait for its target status); returns the agent."""

    def perform(agent_id: str) -> HiredAgent:
        agent = client.change(action, agent_id)
        if wait_timeout is not None:
            agent = wait_for_status(client, agent, action.target, wait_timeout)
        return agent

    return perform


def wait_for_status(
    client: ApiClient, agent: HiredAgent, target: str, timeout: float
) -> HiredAgent:
    """Poll the agent, with backoff, until its status is `target`; WaitTimeout after `timeout`.

    `timeout` is a deadline for the whole wait: a poll that hangs or is retried is cut off
    when it comes. A cancelled agent will never get there, so that ends the wait at once.
    """
    from aitasker_cli.api import client as http
    from aitasker_cli.core.errors import RejectedError, WaitTimeout

    deadline = http.clock() + timeout
    interval = WAIT_FIRST_INTERVAL
    while agent.status != target:
        if agent.status == "cancelled":
            raise RejectedError(f"agent {agent.id} is cancelled; it will not become {target}")
        left = deadline - http.clock()
        if left > 0:
            http.sleep(min(interval, left))
            interval = min(interval * 1.5, WAIT_MAX_INTERVAL)
            try:
                with client.within(deadline):
                    agent = client.get_agent(str(agent.id))
                continue
            except http.OutOfTime:
                pass
        raise WaitTimeout(
            f"agent {agent.id} is still {agent.status} after {timeout:g} s",
            hint="Raise --wait-timeout, or check the agent with 'aitasker agents show'.",
        )
    return agent
