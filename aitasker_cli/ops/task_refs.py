"""What a person types for a task: a full ID, a unique ID prefix, or WORKSPACE/TASK.

A task's routes need its workspace, which a bare task ID does not say. A task never moves, so
the completion cache may remember each task's workspace (local/cache.py); otherwise one
listing across workspaces finds it. `WORKSPACE/TASK` is split at the last `/`: the workspace
is an ID, a unique prefix or an exact name (ops/resolve.py), the task an ID or a prefix. As
for agents, a prefix must be unique in a complete listing (never the cache): of the one
workspace named, or of every workspace, read once for all the arguments that need it. With
`awaiting_only` (approve, reject) a prefix matches among the tasks awaiting approval only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from aitasker_cli.core.errors import NotFoundError, UsageError
from aitasker_cli.core.patterns import UUID
from aitasker_cli.ops.resolve import SHOWN_MATCHES, Resolver, _hex_prefix, _shown

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.api.models import WorkspaceTask

AWAITING = "awaiting_approval"
SHORT = 8


class TaskRef(NamedTuple):
    """One task, as its routes address it; `task` is the task when a listing already had it."""

    workspace_id: str
    task_id: str
    task: WorkspaceTask | None = None


class _Typed(NamedTuple):
    """One argument, parsed: the workspace as typed (if any), and the full ID or prefix."""

    text: str
    workspace: str | None
    task_id: str | None
    prefix: str | None


def resolve_task(client: ApiClient, typed: str, *, awaiting_only: bool = False) -> TaskRef:
    """The one task `typed` stands for; exit 2 when it is malformed or several, 3 when none."""
    return resolve_tasks(client, [typed], awaiting_only=awaiting_only)[0]


def resolve_tasks(
    client: ApiClient, typed: Sequence[str], *, awaiting_only: bool = False
) -> list[TaskRef]:
    """The task each argument stands for, in order. Every argument is checked before any
    listing is read; the listings needed are read once for all of them."""
    parsed = [_parse(text) for text in typed]
    workspaces = Resolver(client, "workspace")
    statuses = (AWAITING,) if awaiting_only else ()
    by_workspace: dict[str, list[WorkspaceTask]] = {}
    across: list[WorkspaceTask] | None = None
    every: list[WorkspaceTask] | None = None
    found: list[TaskRef] = []
    for item in parsed:
        if item.workspace is not None:
            workspace_id = workspaces.id_of(item.workspace)
            if item.task_id is not None:
                found.append(TaskRef(workspace_id, item.task_id))
                continue
            if workspace_id not in by_workspace:
                by_workspace[workspace_id] = _remembered(
                    client.list_tasks(workspace_id, statuses=statuses, limit=None)
                )
            found.append(_one(item, by_workspace[workspace_id], awaiting_only, workspace_id))
        elif item.task_id is not None:
            known = _cached_workspace(item.task_id)
            if known is not None:
                found.append(TaskRef(known, item.task_id))
                continue
            if across is None:
                across = _across(client, statuses)
            task = _with_id(across, item.task_id)
            if task is None and awaiting_only:
                # Not awaiting any more, perhaps: its workspace is still wanted, to say so.
                every = _across(client, ()) if every is None else every
                task = _with_id(every, item.task_id)
            if task is None:
                raise NotFoundError(
                    f"no task has the ID {item.task_id}",
                    hint="List them with 'aitasker tasks list --all'.",
                )
            found.append(_ref(task))
        else:
            across = _across(client, statuses) if across is None else across
            found.append(_one(item, across, awaiting_only, None))
    return found


def awaiting_tasks(client: ApiClient, *, named: bool = False) -> list[WorkspaceTask]:
    """Every task awaiting approval, across workspaces, oldest first. `named`: as ListedTask,
    with workspace and agent names (one more listing, of the agents)."""
    from aitasker_cli.ops.task_listing import TaskStream, oldest_first

    stream = TaskStream(client, statuses=(AWAITING,), named=named)
    return oldest_first(_remembered(stream.fetch(None)))


def workspaces_of(client: ApiClient, task_ids: Sequence[str]) -> dict[str, str]:
    """Task ID → workspace ID for full task IDs: from the cache, else from one listing across
    workspaces (every status). IDs found in neither are left out."""
    wanted = [task_id.strip().lower() for task_id in task_ids]
    found: dict[str, str] = {}
    for task_id in wanted:
        known = _cached_workspace(task_id)
        if known is not None:
            found[task_id] = known
    missing = {task_id for task_id in wanted if task_id not in found}
    if missing:
        for task in _across(client, ()):
            if str(task.id) in missing and task.workspace_id is not None:
                found[str(task.id)] = str(task.workspace_id)
    return found


def _parse(text: str) -> _Typed:
    if not text.strip():
        raise UsageError("an empty task ID was given")
    workspace: str | None = None
    task = text.strip()
    if "/" in text:
        workspace, _, task = text.rpartition("/")
        task = task.strip()
        if not workspace.strip() or not task:
            raise UsageError(
                f"{_shown(text)} is not WORKSPACE/TASK",
                hint="Give the workspace (ID, start of it, or name), a /, and the task's ID or "
                "its start: ws-name/3c90c3cc.",
            )
    if re.fullmatch(UUID, task):
        return _Typed(text, workspace, task.lower(), None)
    prefix = _hex_prefix(task)
    if prefix is None:
        raise UsageError(
            f"{_shown(task)} is not a task ID or the start of one",
            hint="A task is its ID (a UUID), 4 or more of its first hex characters, or "
            "WORKSPACE/TASK; 'aitasker tasks list' shows them.",
        )
    return _Typed(text, workspace, None, prefix)


def _one(
    item: _Typed, tasks: Sequence[WorkspaceTask], awaiting_only: bool, workspace_id: str | None
) -> TaskRef:
    """The one task in `tasks` whose ID starts with the prefix typed."""
    assert item.prefix is not None
    matches = [task for task in tasks if str(task.id).startswith(item.prefix)]
    if len(matches) == 1:
        return _ref(matches[0])
    which = "task awaiting approval" if awaiting_only else "task"
    plural = "tasks awaiting approval" if awaiting_only else "tasks"
    where = f" in workspace {workspace_id[:SHORT]}" if workspace_id else ""
    if not matches:
        raise NotFoundError(
            f"no {which}{where} has an ID starting with {_shown(item.prefix)}",
            hint="List them with "
            + ("'aitasker tasks inbox'." if awaiting_only else "'aitasker tasks list --all'."),
        )
    matches = sorted(matches, key=lambda task: str(task.id))  # the same order every time
    listed = "; ".join(
        f"{str(task.id)[:SHORT]} {_shown(task.title or '')}" for task in matches[:SHOWN_MATCHES]
    )
    more = f" and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
    raise UsageError(
        f"{_shown(item.text)} matches {len(matches)} {plural}{where}: {listed}{more}",
        hint="Give more of the ID, or the full ID.",
    )


def _ref(task: WorkspaceTask) -> TaskRef:
    if task.workspace_id is None:  # every listed task carries it; a malformed one cannot be used
        raise NotFoundError(f"task {task.id} came without its workspace ID")
    return TaskRef(str(task.workspace_id), str(task.id), task)


def _with_id(tasks: Iterable[WorkspaceTask], task_id: str) -> WorkspaceTask | None:
    return next((task for task in tasks if str(task.id) == task_id), None)


def _across(client: ApiClient, statuses: Sequence[str]) -> list[WorkspaceTask]:
    """Every task (in `statuses`) of every workspace, from one complete listing."""
    from aitasker_cli.ops.task_listing import TaskStream

    return _remembered(TaskStream(client, statuses=statuses, named=False).fetch(None))


def _remembered(tasks: Iterable[WorkspaceTask]) -> list[WorkspaceTask]:
    """The tasks, with each one's workspace (and status, for TAB) noted in the cache."""
    from aitasker_cli.local import cache

    return list(cache.remembering("tasks", tasks))


def _cached_workspace(task_id: str) -> str | None:
    from aitasker_cli.local import cache

    return cache.parent_of("tasks", task_id)
