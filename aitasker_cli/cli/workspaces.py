"""`aitasker workspaces`: list and show workspaces, and list a workspace's tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from aitasker_cli.cli.options import (
    AllOpt,
    Common,
    LimitOpt,
    api_command,
    cached_ids,
    page_limit,
    status_option,
)
from aitasker_cli.cli.session import Listing, connect
from aitasker_cli.domain import views
from aitasker_cli.domain.statuses import TaskStatus, WorkspaceStatus

WorkspaceIdArg = Annotated[
    str,
    typer.Argument(
        metavar="WORKSPACE_ID",
        help="The workspace's ID, a unique start of it (4+ characters), or its exact name.",
        autocompletion=cached_ids("workspaces"),
    ),
]

WorkspaceStatusOpt = Annotated[str | None, status_option(WorkspaceStatus, "workspaces")]
TaskStatusOpt = Annotated[str | None, status_option(TaskStatus, "tasks")]


@api_command
def list_workspaces(
    common: Common,
    status: WorkspaceStatusOpt = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
) -> None:
    """List your workspaces."""
    from aitasker_cli.domain import statuses
    from aitasker_cli.local import cache
    from aitasker_cli.output import render

    if warning := statuses.unknown(status, WorkspaceStatus, "workspace"):
        render.warning(warning)
    with connect(common) as session:
        found = Listing(
            lambda n: session.client.list_workspaces(status=status, limit=n),
            page_limit(limit, all_pages),
        )
        render.show_many(cache.remembering("workspaces", found), views.WORKSPACES, session.output)
        found.tell_if_cut("workspace")


@api_command
def show_workspace(common: Common, workspace_id: WorkspaceIdArg) -> None:
    """Show one workspace with its hired agent."""
    from aitasker_cli.ops.resolve import Resolver
    from aitasker_cli.output import render

    with connect(common) as session:
        full_id = Resolver(session.client, "workspace").id_of(workspace_id)
        render.show(session.client.get_workspace(full_id), views.WORKSPACES, session.output)


@api_command
def list_tasks(
    common: Common,
    workspace_id: WorkspaceIdArg,
    status: TaskStatusOpt = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
) -> None:
    """List the tasks of a workspace."""
    from aitasker_cli.domain import statuses
    from aitasker_cli.output import render

    if warning := statuses.unknown(status, TaskStatus, "task"):
        render.warning(warning)
    from aitasker_cli.ops.resolve import Resolver

    with connect(common) as session:
        full_id = Resolver(session.client, "workspace").id_of(workspace_id)
        tasks = Listing(
            lambda n: session.client.list_workspace_tasks(full_id, status=status, limit=n),
            page_limit(limit, all_pages),
        )
        render.show_many(tasks, views.TASKS, session.output)
        tasks.tell_if_cut("task")


COMMANDS: dict[str, Callable[..., None]] = {
    "list": list_workspaces,
    "show": show_workspace,
    "tasks": list_tasks,
}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
