"""Waiting for an agent to reach a status (`--wait`): polls with backoff, within a deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.api.models import HiredAgent

WAIT_FIRST_INTERVAL = 0.5
WAIT_MAX_INTERVAL = 5.0


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
