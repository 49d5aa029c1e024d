"""`aitasker tasks`: list tasks across workspaces, the inbox, one task; decide on them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aitasker_cli.cli import following
from aitasker_cli.cli.deciding import COMMANDS as DECISIONS
from aitasker_cli.cli.following import INTERVAL, IntervalOpt, WatchOpt
from aitasker_cli.cli.options import (
    AllOpt,
    Common,
    LimitOpt,
    api_command,
    cached_ids,
    completes,
    page_limit,
)
from aitasker_cli.cli.session import Listing, connect
from aitasker_cli.cli.waiting import TASK_COMMANDS as WAITING
from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain import views
from aitasker_cli.domain.formats import OutputFormat
from aitasker_cli.domain.statuses import TaskStatus, names, status_help

if TYPE_CHECKING:
    from aitasker_cli.domain.formats import Output
    from aitasker_cli.ops.task_listing import TaskStream

AWAITING = TaskStatus.awaiting_approval.value
SORTED_FORMATS = (OutputFormat.table, OutputFormat.json, OutputFormat.csv, OutputFormat.markdown)
"""Formats printed oldest first, once every task is in; the others stream as tasks arrive."""
_UNNAMED_FORMATS = (OutputFormat.json, OutputFormat.ndjson, OutputFormat.id)
"""Formats that never show the agents' names (JSON keeps the server's objects as they are)."""

TaskArg = Annotated[
    str,
    typer.Argument(
        metavar="TASK",
        help="The task's ID, a unique start of it (4+ characters), or WORKSPACE/TASK (the "
        "workspace's ID, start or name, then the task's ID or start).",
        autocompletion=cached_ids("tasks"),
    ),
]
WorkspacesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--workspace",
        "-w",
        metavar="WORKSPACE",
        help="Only this workspace's tasks (ID, unique start of it, or exact name); repeat for "
        "several.",
        show_default=False,
        autocompletion=cached_ids("workspaces"),
    ),
]
AgentsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--agent",
        "-a",
        metavar="AGENT",
        help="Only the tasks of this hired agent (ID, unique start of it, or exact name); "
        "repeat for several.",
        show_default=False,
        autocompletion=cached_ids("agents"),
    ),
]
StatusesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help=status_help(TaskStatus, "tasks") + " Repeat for several.",
        show_default=False,
        autocompletion=completes("values:" + ",".join(names(TaskStatus))),
    ),
]
CountOpt = Annotated[
    bool,
    typer.Option("--count", help="Print only how many tasks await approval (for prompts and CI)."),
]


@api_command
def list_tasks(
    common: Common,
    workspace: WorkspacesOpt = None,
    agent: AgentsOpt = None,
    status: StatusesOpt = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
    watch: WatchOpt = False,
    interval: IntervalOpt = INTERVAL,
) -> None:
    """List tasks across your workspaces (or the named ones, or the named agents')."""
    from aitasker_cli.domain import statuses
    from aitasker_cli.local import cache
    from aitasker_cli.ops.task_listing import TaskStream, oldest_first
    from aitasker_cli.output import render

    for value in status or ():
        if warning := statuses.unknown(value, TaskStatus, "task"):
            render.warning(warning)
    live = following.check(common, limit) if watch else False
    wanted = page_limit(limit, all_pages)
    with connect(common) as session:

        def stream_of() -> TaskStream:
            return TaskStream(
                session.client,
                workspaces=workspace or (),
                agents=agent or (),
                statuses=status or (),
                named=live or (not watch and _names_shown(session.output)),
            )

        if watch:
            view = views.TASKS_ACROSS
            following.follow(session, view, lambda: stream_of().fetch(None), live=live,
                             interval=interval)  # fmt: skip
            return
        stream = stream_of()
        fetch: Callable[[int | None], Iterable[Any]] = stream.fetch
        if session.output.format in SORTED_FORMATS and wanted is not None:
            # The N oldest, as the sorted formats promise: which N came first is chance.
            fetch = lambda n: oldest_first(stream.fetch(None))[:n]  # noqa: E731
        found = Listing(fetch, wanted)
        _write(cache.remembering("tasks", found), views.TASKS_ACROSS, session.output)
        _tell_gone(stream)
        found.tell_if_cut("task")


@api_command
def inbox(
    common: Common,
    count: CountOpt = False,
    watch: WatchOpt = False,
    interval: IntervalOpt = INTERVAL,
) -> None:
    """List the tasks awaiting your approval in every workspace, oldest first."""
    from aitasker_cli.local import cache
    from aitasker_cli.ops.task_listing import TaskStream, oldest_first
    from aitasker_cli.output import render

    if watch and count:
        raise UsageError("--count and --watch do not mix", hint="Use one of them.")
    live = following.check(common, None) if watch else False
    with connect(common) as session:
        out = session.output
        if watch:

            def awaiting() -> Iterable[Any]:
                return TaskStream(session.client, statuses=(AWAITING,), named=live).fetch(None)

            following.follow(session, views.INBOX, awaiting, live=live, interval=interval)
            return
        stream = TaskStream(
            session.client, statuses=(AWAITING,), named=not count and _names_shown(out)
        )
        waiting = oldest_first(cache.remembering("tasks", stream.fetch(None)))
        _tell_gone(stream)
        if count:
            render.line(str(len(waiting)))
            render.summarize_count(len(waiting), views.INBOX, "awaiting approval")
            return
        if waiting or out.format is not OutputFormat.table:
            # An empty list still prints `[]`; in GitHub mode it also goes to the job summary.
            render.show_many(waiting, views.INBOX, out, summary="awaiting approval")
        if not waiting:
            render.message("Nothing awaits your approval: the inbox is empty.")


@api_command
def show_task(common: Common, task: TaskArg) -> None:
    """Show one task: every field, its proposed actions in full, and its fingerprint."""
    from aitasker_cli.local import cache
    from aitasker_cli.ops.task_refs import resolve_task
    from aitasker_cli.output import render

    with connect(common) as session:
        ref = resolve_task(session.client, task)
        found: Any = ref.task or session.client.get_task(ref.workspace_id, ref.task_id)
        cache.learn("tasks", [found])
        out = session.output
        actions = found.raw.get("proposed_actions")
        if out.format is OutputFormat.table and out.fields is None and actions:
            _show_with_actions(found, actions, out)
        else:
            render.show(found, views.TASKS, out)
        render.message(f"Fingerprint: {found.fingerprint}")


def _show_with_actions(task: Any, actions: Any, out: Output) -> None:
    """The table of one task, its proposed actions below it as indented JSON, in full."""
    from aitasker_cli.output import render
    from aitasker_cli.output.cells import heading, to_json

    fields = tuple(field for field in views.TASKS.detail if field != "proposed_actions")
    render.show(task, views.TASKS._replace(detail=fields), out)
    render.line(heading("proposed_actions"))
    for line in to_json(actions).splitlines():
        render.line("  " + line)


def _write(items: Iterable[Any], view: views.View, out: Output) -> None:
    """Oldest first in the formats that wait for every task; as they come in the others."""
    from aitasker_cli.output import render

    if out.format in SORTED_FORMATS:
        from aitasker_cli.ops.task_listing import oldest_first

        items = oldest_first(items)
    render.show_many(items, view, out)


def _names_shown(out: Output) -> bool:
    """Whether the agents' names are printed (they cost one listing of the agents)."""
    if out.format in _UNNAMED_FORMATS:
        return False
    return out.fields is None or any(field.split(".")[0] == "agent_name" for field in out.fields)


def _tell_gone(stream: TaskStream) -> None:
    from aitasker_cli.output import render

    for workspace_id in _sorted(stream.gone):
        name = stream.workspace_names.get(workspace_id) or ""
        shown = f"{name!r} ({workspace_id[:8]})" if name else workspace_id
        render.warning(f"workspace {shown} was not found when its tasks were listed; skipped")


def _sorted(values: Sequence[str]) -> list[str]:
    return sorted(set(values))


COMMANDS: dict[str, Callable[..., None]] = {
    "list": list_tasks,
    "inbox": inbox,
    "show": show_task,
    **WAITING,
    **DECISIONS,
}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
