"""`aitasker agents`: list, show, pause and resume hired agents."""

from __future__ import annotations

from typing import Annotated

import typer

from aitasker_cli import render
from aitasker_cli.cli.common import (
    AllOpt,
    Common,
    LimitOpt,
    StatusOpt,
    api_command,
    connect,
    page_limit,
)

app = typer.Typer(help="List, inspect, pause and resume your hired agents.", no_args_is_help=True)

AGENTS = render.View(
    noun="agent",
    plural="agents",
    columns=("id", "display_name", "agent_type", "status", "tier", "updated_at"),
    detail=(
        "id",
        "display_name",
        "persona_name",
        "agent_type",
        "status",
        "tier",
        "workspace.id",
        "workspace.name",
        "team_id",
        "team_type",
        "hired_at",
        "paused_at",
        "cancelled_at",
        "created_at",
        "updated_at",
        "user_id",
        "stripe_subscription_id",
        "config",
    ),
)

AgentIdArg = Annotated[
    str, typer.Argument(metavar="AGENT_ID", help="The hired agent's ID (a UUID).")
]


@app.command("list")
@api_command
def list_agents(
    common: Common, status: StatusOpt = None, limit: LimitOpt = None, all_pages: AllOpt = False
) -> None:
    """List your hired agents."""
    with connect(common) as session:
        agents = session.client.list_agents(status=status, limit=page_limit(limit, all_pages))
        render.show_many((agent.raw for agent in agents), AGENTS, session.output)


@app.command("show")
@api_command
def show_agent(common: Common, agent_id: AgentIdArg) -> None:
    """Show one hired agent with its workspace."""
    with connect(common) as session:
        render.show(session.client.get_agent(agent_id).raw, AGENTS, session.output)


@app.command("pause")
@api_command
def pause_agent(common: Common, agent_id: AgentIdArg) -> None:
    """Pause a hired agent; prints the agent after the call."""
    with connect(common) as session:
        render.show(session.client.pause_agent(agent_id).raw, AGENTS, session.output)


@app.command("resume")
@api_command
def resume_agent(common: Common, agent_id: AgentIdArg) -> None:
    """Resume a paused hired agent; prints the agent after the call."""
    with connect(common) as session:
        render.show(session.client.resume_agent(agent_id).raw, AGENTS, session.output)
