"""`aitasker agents wait` and `aitasker tasks wait`: follow one agent or task until it gets
somewhere, within a deadline (exit 8 past it, 11 if it never can)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from aitasker_cli.cli.options import Common, api_command, cached_ids, completes, seconds_option
from aitasker_cli.cli.session import connect
from aitasker_cli.domain.statuses import AgentStatus, Status, TaskStatus, names

TIMEOUT = 600.0
"""How long a wait waits by default, polls included."""
INTERVAL = 3.0
"""Seconds between polls by default (gh's); never below what the rate-limit headers allow."""

WaitTimeoutOpt = Annotated[
    float,
    seconds_option("--wait-timeout", "How long to wait in all, polls included, before exit 8."),
]
IntervalOpt = Annotated[
    float,
    seconds_option(
        "--interval",
        "Seconds between polls (at least what the API's rate limit allows).",
        minimum=0.5,
    ),
]


@api_command
def wait_agent(
    common: Common,
    agent_id: Annotated[
        str,
        typer.Argument(
            metavar="AGENT_ID",
            help="The hired agent's ID, a unique start of it (4+ characters), or its exact name.",
            autocompletion=cached_ids("agents"),
        ),
    ],
    wanted: Annotated[
        list[str],
        typer.Option(
            "--for",
            metavar="STATUS",
            help=f"Wait until the agent has this status ({', '.join(names(AgentStatus))}); "
            "repeat for any of several.",
            autocompletion=completes("values:" + ",".join(names(AgentStatus))),
        ),
    ],
    wait_timeout: WaitTimeoutOpt = TIMEOUT,
    interval: IntervalOpt = INTERVAL,
) -> None:
    """Wait until a hired agent has a status, then print it; exit 11 if it never can."""
    from aitasker_cli.domain import views
    from aitasker_cli.ops.waiting import Awaited, wait_for_agent
    from aitasker_cli.output import render

    _warn_unknown(wanted, AgentStatus, "agent")
    awaited = Awaited(wanted, timeout=wait_timeout, interval=interval, exit_status=False)
    with connect(common) as session:
        agent = wait_for_agent(session.client, agent_id, awaited)
        render.show(agent, views.AGENTS, session.output)


@api_command
def wait_task(
    common: Common,
    task: Annotated[
        str,
        typer.Argument(
            metavar="TASK",
            help="The task's ID, a unique start of it (4+ characters), or WORKSPACE/TASK.",
            autocompletion=cached_ids("tasks"),
        ),
    ],
    wanted: Annotated[
        list[str] | None,
        typer.Option(
            "--for",
            metavar="STATUS",
            help="Wait until the task has this status; repeat for any of several "
            "[default: completed, failed or rejected].",
            show_default=False,
            autocompletion=completes("values:" + ",".join(names(TaskStatus))),
        ),
    ] = None,
    wait_timeout: WaitTimeoutOpt = TIMEOUT,
    interval: IntervalOpt = INTERVAL,
    exit_status: Annotated[
        bool,
        typer.Option("--exit-status", help="Exit 11 if the task failed or was rejected."),
    ] = False,
) -> None:
    """Wait until a task gets somewhere (by default: finished), then print it."""
    from aitasker_cli.core.errors import WaitEnded
    from aitasker_cli.domain import views
    from aitasker_cli.ops.waiting import TASK_FINAL, Awaited, wait_for_task
    from aitasker_cli.output import render

    _warn_unknown(wanted or (), TaskStatus, "task")
    statuses = wanted or list(TASK_FINAL)
    awaited = Awaited(statuses, timeout=wait_timeout, interval=interval, exit_status=exit_status)
    with connect(common) as session:
        found, unsuccessful = wait_for_task(session.client, task, awaited)
        render.show(found, views.TASKS, session.output)
        if unsuccessful:
            raise WaitEnded(unsuccessful, hint="It will not finish otherwise: see its output_data.")


def _warn_unknown(wanted: Sequence[str], statuses: type[Status], noun: str) -> None:
    """A warning for each --for status this CLI does not know (it may still come: the API
    documents no list of statuses)."""
    from aitasker_cli.domain.statuses import unknown
    from aitasker_cli.output import render

    for value in wanted:
        if warning := unknown(value, statuses, noun):
            render.warning(warning.replace("sent to the API as given", "waited for as given"))


AGENT_COMMANDS: dict[str, Callable[..., None]] = {"wait": wait_agent}
TASK_COMMANDS: dict[str, Callable[..., None]] = {"wait": wait_task}
