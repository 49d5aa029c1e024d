"""`aitasker agents`: list, show, pause, resume and cancel hired agents."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from aitasker_cli.cli import listing
from aitasker_cli.cli.following import INTERVAL, IntervalOpt, WatchOpt
from aitasker_cli.cli.options import (
    AllOpt,
    Common,
    LimitOpt,
    api_command,
    cached_ids,
    seconds_option,
    status_option,
)
from aitasker_cli.cli.session import connect
from aitasker_cli.cli.waiting import AGENT_COMMANDS
from aitasker_cli.domain.actions import ACTIONS, Action
from aitasker_cli.domain.statuses import AgentStatus

if TYPE_CHECKING:
    from aitasker_cli.ops.changes import Selection

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
    seconds_option(
        "--wait-timeout", "How long --wait waits in all, polls included, before exit 8."
    ),
]
SelectAllOpt = Annotated[
    bool,
    typer.Option(
        "--all",
        help="Every agent this acts on (pause: the active ones; resume: the paused ones; "
        "cancel: both); asks first on a terminal, needs --yes elsewhere.",
    ),
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="FIELD=VALUE",
        help="With --all, only agents whose FIELD (a.b for nested) is VALUE; repeat to narrow.",
        show_default=False,
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Show what would change (each agent's status now and after); send nothing.",
    ),
]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask before changing a selection (--all).")
]
DEFAULT_CONCURRENCY = 2
"""Measured (README, Benchmarks): on two cores each thread beyond two costs CPU (they contend
for the GIL) and gains no speed against a local server; against the API its rate limit, not
the connections, sets the pace. -j raises it for a fast server and many cores."""
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
    watch: WatchOpt = False,
    interval: IntervalOpt = INTERVAL,
) -> None:
    """List your hired agents."""
    if watch:
        from aitasker_cli.cli import following

        following.follow_listing(
            common,
            limit,
            listing.AGENTS.view,
            lambda client: client.list_agents(status=status, limit=None),
            interval=interval,
        )
        return
    listing.list_items(
        common,
        listing.AGENTS,
        lambda client, n: client.list_agents(status=status, limit=n),
        status=status,
        limit=limit,
        all_pages=all_pages,
    )


@api_command
def show_agent(common: Common, agent_id: AgentIdArg) -> None:
    """Show one hired agent with its workspace."""
    listing.show_item(common, listing.AGENTS, agent_id, lambda client, id_: client.get_agent(id_))


def _status_command(action: Action) -> Callable[..., None]:
    """`agents pause`, `agents resume`: one command per row of the actions table."""

    def command(
        common: Common,
        agent_ids: AgentIdsArg = None,
        stdin: StdinOpt = False,
        every: SelectAllOpt = False,
        where: WhereOpt = None,
        dry_run: DryRunOpt = False,
        yes: YesOpt = False,
        wait: WaitOpt = False,
        wait_timeout: WaitTimeoutOpt = 120,
        concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    ) -> None:
        from aitasker_cli.ops.changes import Selection

        chosen = Selection(agent_ids or [], stdin, every, where or [], dry_run, yes)
        _change(common, action, chosen, wait_timeout if wait else None, concurrency)

    return _with_row(command, action)


FinalYesOpt = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Do not ask first (a terminal asks for the agent's name; elsewhere --yes is needed).",
    ),
]


def _final_command(action: Action) -> Callable[..., None]:
    """`agents cancel`: a final action, which asks before anything and reports every agent."""

    def command(
        common: Common,
        agent_ids: AgentIdsArg = None,
        stdin: StdinOpt = False,
        every: SelectAllOpt = False,
        where: WhereOpt = None,
        dry_run: DryRunOpt = False,
        yes: FinalYesOpt = False,
        concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    ) -> None:
        from aitasker_cli.ops.changes import Selection

        chosen = Selection(agent_ids or [], stdin, every, where or [], dry_run, yes)
        _change(common, action, chosen, None, concurrency)

    return _with_row(command, action)


def _change(
    common: Common,
    action: Action,
    chosen: Selection,
    wait_timeout: float | None,
    concurrency: int,
) -> None:
    """Run a change command: check the selection, read stdin, send; one agent named on the
    command line is shown as `agents show` shows it (pause and resume)."""
    from aitasker_cli.cli.changing import engine_for, show_single, stdin_lines
    from aitasker_cli.ops.changes import change_agents

    with connect(common) as session:
        chosen.check(action.name)
        if chosen.stdin:
            chosen = chosen._replace(lines=stdin_lines())
        engine = engine_for(session)
        single = change_agents(
            engine, action, chosen, wait_timeout=wait_timeout, concurrency=concurrency
        )
        if single is not None:
            show_single(session, single, action.done, action.target)


def _with_row(command: Callable[..., None], action: Action) -> Callable[..., None]:
    """The row's help, and TAB offering the agents it acts on (pause: the active ones)."""
    command.__doc__ = action.summary
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


COMMANDS: dict[str, Callable[..., None]] = {
    "list": list_agents,
    "show": show_agent,
    **{
        name: (_final_command if action.final else _status_command)(action)
        for name, action in ACTIONS.items()
    },
    **AGENT_COMMANDS,
}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
