"""The read-only tools: agents, workspaces, tasks (the inbox among them) and the journal.

Each is the command line's own listing or look-up (an ID, a unique start of one or an exact
name, resolved as `aitasker agents show` resolves it), returning the objects as the API sent
them: the same JSON as `-o json`, tasks with their fingerprint.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from aitasker_cli.mcp.context import Context
from aitasker_cli.mcp.results import jsonable

DEFAULT_LIMIT = 50
"""Items a listing returns unless `limit` says otherwise (one page of the API)."""
AWAITING = "awaiting_approval"


def list_agents(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    limit = _limit(args)
    found = context.client.list_agents(status=args.get("status"), limit=limit + 1)
    return _listed("agents", found, limit)


def show_agent(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    from aitasker_cli.ops.resolve import Resolver

    agent_id = Resolver(context.client, "agent").id_of(str(args["agent"]))
    shown: dict[str, Any] = jsonable(context.client.get_agent(agent_id))
    return shown


def list_workspaces(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    limit = _limit(args)
    found = context.client.list_workspaces(status=args.get("status"), limit=limit + 1)
    return _listed("workspaces", found, limit)


def list_tasks(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """Tasks across workspaces (or one workspace's, or one agent's), oldest first; with
    `status=awaiting_approval`, the inbox."""
    from aitasker_cli.ops.task_listing import TaskStream, oldest_first

    limit = _limit(args)
    stream = TaskStream(
        context.client,
        workspaces=_one_or_none(args.get("workspace")),
        agents=_one_or_none(args.get("agent")),
        statuses=_one_or_none(args.get("status")),
        named=False,
    )
    if args.get("status") == AWAITING:
        # The inbox, as `aitasker tasks inbox`: every awaiting task, then the oldest first.
        found = oldest_first(stream.fetch(None))
    else:
        found = list(itertools.islice(stream.fetch(limit + 1), limit + 1))
    return {"tasks": jsonable(oldest_first(found[:limit])), "more": len(found) > limit}


def show_task(context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """One task, every field, with the fingerprint to pass as `if_match` when deciding."""
    from aitasker_cli.ops.task_refs import resolve_task

    ref = resolve_task(context.client, str(args["task"]))
    task = ref.task or context.client.get_task(ref.workspace_id, ref.task_id)
    shown: dict[str, Any] = jsonable(task)
    return shown


def history(_context: Context, args: Mapping[str, Any]) -> dict[str, Any]:
    """This machine's journal, newest first, as `aitasker history -o json` prints it; with
    `operation`, that operation and its items."""
    from aitasker_cli.local import journal_reading

    limit = _limit(args)
    wanted = args.get("operation")
    if wanted is not None:
        operation = journal_reading.find(str(wanted))
        items = [item.as_dict() for item in operation.items]
        return {
            "operations": jsonable([operation.summary()]),
            "items": jsonable(items[:limit]),
            "more": len(items) > limit,
        }
    operations = journal_reading.operations()
    shown = [operation.summary() for operation in operations[:limit]]
    return {"operations": jsonable(shown), "more": len(operations) > limit}


def _limit(args: Mapping[str, Any]) -> int:
    return int(args.get("limit") or DEFAULT_LIMIT)


def _one_or_none(value: Any) -> tuple[str, ...]:
    return () if value is None else (str(value),)


def _listed(key: str, found: Iterable[Any], limit: int) -> dict[str, Any]:
    """At most `limit` items (one more was asked for, to know whether more exist)."""
    items = list(itertools.islice(found, limit + 1))
    return {key: jsonable(items[:limit]), "more": len(items) > limit}
