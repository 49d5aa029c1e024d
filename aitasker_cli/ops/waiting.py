"""Waiting for an agent or a task to reach a status: `pause --wait`, `agents wait`,
`tasks wait`. Polls within a deadline; the world's faults along the way are retried until it.

Every poll goes through the client, so pacing and 429 back-off hold as for any request; the
interval never goes below what the API's rate-limit headers allow (60 s / X-RateLimit-Limit).
A transient failure (network, 5xx, 429 after the client's retries) does not end the wait; an
answer that cannot change by waiting (401, 403, 404) does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.api.models import HiredAgent

WAIT_FIRST_INTERVAL = 0.5
WAIT_MAX_INTERVAL = 5.0
AGENT_FINAL = ("cancelled",)
"""An agent in these statuses never leaves them."""
TASK_FINAL = ("completed", "failed", "rejected")
"""A task in these statuses never leaves them; `tasks wait` waits for one by default."""
TASK_UNSUCCESSFUL = ("failed", "rejected")
"""What `tasks wait --exit-status` counts as ending without success (exit 11)."""


class Poll:
    """How often to ask: a fixed interval, or a backoff from a short first one."""

    def __init__(self, interval: float | None) -> None:
        self._fixed = interval
        self._next = WAIT_FIRST_INTERVAL

    def next(self, floor: float) -> float:
        if self._fixed is not None:
            return max(self._fixed, floor)
        now, self._next = self._next, min(self._next * 1.5, WAIT_MAX_INTERVAL)
        return max(now, floor)


def wait_until(
    client: ApiClient,
    read: Callable[[], Any],
    first: Any,
    wanted: Collection[str],
    *,
    final: Collection[str],
    timeout: float,
    interval: float | None,
    noun: str,
    look: str,
) -> Any:
    """Poll `read()` from `first` until its status is in `wanted`; the item then.

    WaitEnded (exit 11) if it reaches a status in `final` that is not wanted; WaitTimeout
    (exit 8) at the deadline, `timeout` seconds from now, which also cuts off a poll in flight.
    `look` is the command that shows the item, for the hints.
    """
    from aitasker_cli.api import client as http
    from aitasker_cli.core.errors import UnavailableError, WaitEnded, WaitTimeout

    started = http.clock()
    deadline = started + timeout
    poll = Poll(interval)
    cut_short = False
    item, failing = first, None
    read_yet = first is not None
    while item is None or str(item.status) not in wanted:
        if item is not None and str(item.status) in final:
            raise WaitEnded(
                f"{noun} is {item.status}: it will not become {_either(wanted)}",
                hint=f"Nothing more happens to it; see '{look}'.",
            )
        left = deadline - http.clock()
        if left > 0 or not read_yet:
            if read_yet:  # the first look is at once: it may be there already
                http.sleep(min(poll.next(client.polling_floor), left))
            read_yet = True
            # The first look is made even with no time left (--wait-timeout 0: is it there
            # now?), bounded then by --timeout alone.
            bound = client.within(deadline) if left > 0 else contextlib.nullcontext()
            try:
                with bound:
                    item, failing = read(), None
                continue
            except http.OutOfTime:
                # Before the deadline: the API asked to wait (Retry-After, its rate limit)
                # past it, so no poll can come in time.
                cut_short = http.clock() < deadline
            except UnavailableError as exc:  # the world's fault: poll again until the deadline
                failing = exc
                continue
        now = "could not be read" if item is None else f"is still {item.status}"
        spent = http.clock() - started
        after = f"after {timeout:g} s" if spent <= timeout + 1 else f"after {spent:.1f} s"
        if cut_short:
            after = f"and the API asks to wait past the {timeout:g} s of --wait-timeout"
        why = f" (the last poll failed: {failing.message})" if failing is not None else ""
        raise WaitTimeout(
            f"{noun} {now} {after}{why}",
            hint=f"Raise --wait-timeout, or check it with '{look}'.",
        )
    return item


def wait_for_status(
    client: ApiClient, agent: HiredAgent, target: str, timeout: float
) -> HiredAgent:
    """`--wait`: poll the agent, with backoff, until its status is `target`; WaitTimeout after
    `timeout`, WaitEnded if it is cancelled (it never gets anywhere after that)."""
    found: HiredAgent = wait_until(
        client,
        lambda: client.get_agent(str(agent.id)),
        agent,
        (target,),
        final=AGENT_FINAL,
        timeout=timeout,
        interval=None,
        noun=f"agent {agent.id}",
        look=f"aitasker agents show {agent.id}",
    )
    return found


def _either(statuses: Collection[str]) -> str:
    listed = list(statuses)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]


class Awaited:
    """What `agents wait` and `tasks wait` wait for, and how."""

    def __init__(
        self, wanted: Collection[str], *, timeout: float, interval: float, exit_status: bool
    ) -> None:
        self.wanted = tuple(wanted)
        self.timeout = timeout
        self.interval = interval
        self.exit_status = exit_status


def wait_for_agent(client: ApiClient, typed: str, awaited: Awaited) -> HiredAgent:
    """`agents wait`: the agent once it has one of the wanted statuses."""
    from aitasker_cli.ops.resolve import Resolver

    agent_id = Resolver(client, "agent").id_of(typed)
    found: HiredAgent = wait_until(
        client,
        lambda: client.get_agent(agent_id),
        None,
        awaited.wanted,
        final=[status for status in AGENT_FINAL if status not in awaited.wanted],
        timeout=awaited.timeout,
        interval=awaited.interval,
        noun=f"agent {agent_id}",
        look=f"aitasker agents show {agent_id}",
    )
    return found


def wait_for_task(client: ApiClient, typed: str, awaited: Awaited) -> tuple[Any, str | None]:
    """`tasks wait`: the task once it has one of the wanted statuses, and why it counts as
    not successful (`--exit-status` and it failed or was rejected), if it does."""
    from aitasker_cli.ops.task_refs import resolve_task

    ref = resolve_task(client, typed)
    task = wait_until(
        client,
        lambda: client.get_task(ref.workspace_id, ref.task_id),
        None,
        awaited.wanted,
        final=[status for status in TASK_FINAL if status not in awaited.wanted],
        timeout=awaited.timeout,
        interval=awaited.interval,
        noun=f"task {ref.task_id}",
        look=f"aitasker tasks show {ref.workspace_id}/{ref.task_id}",
    )
    status = str(task.status)
    unsuccessful = awaited.exit_status and status in TASK_UNSUCCESSFUL
    return task, (f"task {ref.task_id} {status}" if unsuccessful else None)
