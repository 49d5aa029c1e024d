"""`aitasker agents`: list, show, pause and resume hired agents."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from aitasker_cli import views
from aitasker_cli.actions import ACTIONS, Action, performer
from aitasker_cli.cli.options import (
    AllOpt,
    Common,
    LimitOpt,
    api_command,
    cached_ids,
    finite_seconds,
    page_limit,
    status_option,
)
from aitasker_cli.cli.session import Listing, Session, connect
from aitasker_cli.errors import PartialFailure, UsageError
from aitasker_cli.statuses import AgentStatus

AgentIdArg = Annotated[
    str,
    typer.Argument(
        metavar="AGENT_ID",
        help="The hired agent's ID, a unique start of it (4+ characters), or its exact name.",
        autocompletion=cached_ids("agents"),
    ),
]
AgentIdsArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="AGENT_ID",
        help="Hired agents: IDs, unique starts of IDs (4+ characters), or exact names.",
        show_default=False,
        autocompletion=cached_ids("agents"),
    ),
]
AgentStatusOpt = Annotated[str | None, status_option(AgentStatus, "agents")]
StdinOpt = Annotated[
    bool,
    typer.Option(
        "--stdin",
        help="Also read IDs from stdin: one a line, or what `agents list` prints (tsv, csv, "
        "ndjson, json).",
    ),
]
WaitOpt = Annotated[
    bool, typer.Option("--wait", help="Wait until each agent has reached the new status.")
]
WaitTimeoutOpt = Annotated[
    float,
    typer.Option(
        "--wait-timeout",
        metavar="SECONDS",
        min=0,
        callback=finite_seconds,
        help="How long --wait waits in all, polls included, before exit 8.",
    ),
]
ConcurrencyOpt = Annotated[
    int,
    typer.Option(
        "--concurrency",
        "-j",
        min=1,
        max=64,
        metavar="N",
        help="Requests in flight at once in a bulk run.",
    ),
]


@api_command
def list_agents(
    common: Common,
    status: AgentStatusOpt = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
) -> None:
    """List your hired agents."""
    from aitasker_cli import cache, render, statuses

    if warning := statuses.unknown(status, AgentStatus, "agent"):
        render.warning(warning)
    with connect(common) as session:
        agents = Listing(
            lambda n: session.client.list_agents(status=status, limit=n),
            page_limit(limit, all_pages),
        )
        render.show_many(cache.remembering("agents", agents), views.AGENTS, session.output)
        agents.tell_if_cut("agent")


@api_command
def show_agent(common: Common, agent_id: AgentIdArg) -> None:
    """Show one hired agent with its workspace."""
    from aitasker_cli import render
    from aitasker_cli.resolve import Resolver

    with connect(common) as session:
        full_id = Resolver(session.client, "agent").id_of(agent_id)
        render.show(session.client.get_agent(full_id), views.AGENTS, session.output)


def _status_command(action: Action) -> Callable[..., None]:
    """`agents pause`, `agents resume`: one command per row of the actions table."""

    def command(
        common: Common,
        agent_ids: AgentIdsArg = None,
        stdin: StdinOpt = False,
        wait: WaitOpt = False,
        wait_timeout: WaitTimeoutOpt = 120,
        concurrency: ConcurrencyOpt = 8,
    ) -> None:
        with connect(common) as session:
            timeout = wait_timeout if wait else None
            change_status(session, action, agent_ids or [], stdin, timeout, concurrency)

    command.__doc__ = action.summary
    # TAB offers the agents this action acts on (pause: the active ones), as last listed.
    command.__annotations__["agent_ids"] = Annotated[
        list[str] | None,
        typer.Argument(
            metavar="AGENT_ID",
            help="Hired agents: IDs, unique starts of IDs (4+ characters), or exact names.",
            show_default=False,
            autocompletion=cached_ids("agents", action.acts_on),
        ),
    ]
    return api_command(command)


def change_status(
    session: Session,
    action: Action,
    agent_ids: list[str],
    stdin: bool,
    wait_timeout: float | None,
    concurrency: int,
) -> None:
    """Change one agent (its result, or its error) or many (a result per item)."""
    from aitasker_cli import bulk, cache, render
    from aitasker_cli.resolve import Resolver

    perform = performer(session.client, action, wait_timeout)
    resolver = Resolver(session.client, "agent")
    agent_ids = [resolver.id_of(typed) for typed in agent_ids]
    if len(agent_ids) == 1 and not stdin:
        agent = perform(agent_ids[0])
        render.show(agent, views.AGENTS, session.output)
        _tell_done(action, agent, agent_ids[0])
        cache.learn("agents", [agent])
        return
    if not agent_ids and not stdin:
        raise UsageError(f"nothing to {action.name}", hint="Pass AGENT_ID arguments, or --stdin.")
    if stdin and sys.stdin is not None and sys.stdin.isatty():
        render.message("Reading agent IDs from stdin, one a line; end with Ctrl-D.")
    ids = bulk.read_ids(agent_ids, bulk.read_stdin(sys.stdin) if stdin else None)
    results = render.BulkResults(views.AGENTS, session.output, ids)
    with render.progress(len(ids), f"{action.name} agents", session.output) as step:
        changed: list[Any] = []

        def report(outcome: bulk.Outcome) -> None:
            results.add(outcome.result())
            if outcome.ok and len(changed) < cache.KEEP:
                changed.append(outcome.agent)
            step()

        try:
            failed = bulk.run_all(ids, perform, concurrency, report)
        finally:
            results.finish()
            cache.learn("agents", changed)
    summary = f"{action.name}: {len(ids) - failed} of {len(ids)} agents done, {failed} failed"
    if failed:
        raise PartialFailure(summary, hint="Each failed item's result says why.")
    render.message(summary + ".")


def _tell_done(action: Action, agent: Any, agent_id: str) -> None:
    """`Paused Maya (1888df20)` on stderr, for a person watching (stdout is data)."""
    from aitasker_cli import render
    from aitasker_cli.output import sink

    if not sink.is_terminal(sys.stderr):
        return
    name = getattr(agent, "display_name", None) or getattr(agent, "persona_name", None)
    short = str(getattr(agent, "id", None) or agent_id)[:8]
    render.message(f"{action.done} {name} ({short})" if name else f"{action.done} agent {short}")


COMMANDS: dict[str, Callable[..., None]] = {
    "list": list_agents,
    "show": show_agent,
    **{name: _status_command(action) for name, action in ACTIONS.items()},
}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
