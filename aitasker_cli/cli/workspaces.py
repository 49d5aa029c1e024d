"""`aitasker workspaces`: list and show workspaces, and list a workspace's tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from aitasker_cli.cli import following, listing
from aitasker_cli.cli.following import INTERVAL, IntervalOpt, WatchOpt
from aitasker_cli.cli.options import (
    AllOpt,
    Common,
    LimitOpt,
    api_command,
    cached_ids,
    status_option,
)
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
    watch: WatchOpt = False,
    interval: IntervalOpt = INTERVAL,
) -> None:
    """List your workspaces."""
    if watch:
        following.follow_listing(
            common,
            limit,
            listing.WORKSPACES.view,
            lambda client: client.list_workspaces(status=status, limit=None),
            interval=interval,
        )
        return
    listing.list_items(
        common,
        listing.WORKSPACES,
        lambda client, n: client.list_workspaces(status=status, limit=n),
        status=status,
        limit=limit,
        all_pages=all_pages,
    )


@api_command
def show_workspace(common: Common, workspace_id: WorkspaceIdArg) -> None:
    """Show one workspace with its hired agent."""
    listing.show_item(
        common, listing.WORKSPACES, workspace_id, lambda client, id_: client.get_workspace(id_)
    )


@api_command
def list_tasks(
    common: Common,
    workspace_id: WorkspaceIdArg,
    status: TaskStatusOpt = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
) -> None:
    """List the tasks of a workspace."""
    listing.list_items_in(
        common,
        "workspace",
        workspace_id,
        listing.TASKS,
        lambda client, full_id, n: client.list_workspace_tasks(full_id, status=status, limit=n),
        status=status,
        limit=limit,
        all_pages=all_pages,
    )


COMMANDS: dict[str, Callable[..., None]] = {
    "list": list_workspaces,
    "show": show_workspace,
    "tasks": list_tasks,
}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
