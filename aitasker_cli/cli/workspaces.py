"""`aitasker workspaces`: list and show workspaces, and list a workspace's tasks."""

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

app = typer.Typer(no_args_is_help=True)

WORKSPACES = render.View(
    noun="workspace",
    plural="workspaces",
    columns=("id", "name", "status", "hired_agent_id", "last_active_at"),
    detail=(
        "id",
        "name",
        "status",
        "hired_agent_id",
        "hired_agent.display_name",
        "hired_agent.status",
        "last_active_at",
        "created_at",
        "updated_at",
        "user_id",
        "settings",
        "metrics_cache",
        "integration_credentials",
    ),
)

TASKS = render.View(
    noun="task",
    plural="tasks",
    columns=("id", "title", "status", "priority", "skill_slug", "cost_usd", "created_at"),
    detail=(
        "id",
        "title",
        "description",
        "status",
        "priority",
        "skill_slug",
        "schedule_type",
        "trigger",
        "approval_level",
        "approved_by",
        "approved_at",
        "proposed_actions",
        "output_data",
        "cost_usd",
        "started_at",
        "completed_at",
        "created_at",
        "workspace_id",
        "hired_agent_id",
    ),
)


def _complete_workspace_id(incomplete: str) -> list[tuple[str, str]]:
    from aitasker_cli import cache

    return cache.candidates("workspaces", incomplete)


WorkspaceIdArg = Annotated[
    str,
    typer.Argument(
        metavar="WORKSPACE_ID",
        help="The workspace's ID (a UUID).",
        autocompletion=_complete_workspace_id,
    ),
]


@app.command("list")
@api_command
def list_workspaces(
    common: Common, status: StatusOpt = None, limit: LimitOpt = None, all_pages: AllOpt = False
) -> None:
    """List your workspaces."""
    from aitasker_cli import cache

    with connect(common) as session:
        found = session.client.list_workspaces(status=status, limit=page_limit(limit, all_pages))
        listed = cache.remembering("workspaces", (workspace.raw for workspace in found))
        render.show_many(listed, WORKSPACES, session.output)


@app.command("show")
@api_command
def show_workspace(common: Common, workspace_id: WorkspaceIdArg) -> None:
    """Show one workspace with its hired agent."""
    with connect(common) as session:
        render.show(session.client.get_workspace(workspace_id).raw, WORKSPACES, session.output)


@app.command("tasks")
@api_command
def list_tasks(
    common: Common,
    workspace_id: WorkspaceIdArg,
    status: StatusOpt = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
) -> None:
    """List the tasks of a workspace."""
    with connect(common) as session:
        tasks = session.client.list_workspace_tasks(
            workspace_id, status=status, limit=page_limit(limit, all_pages)
        )
        render.show_many((task.raw for task in tasks), TASKS, session.output)
