"""Every tool the server can offer: its name, description, input and output schemas, hints,
what the person must have allowed for it to be listed, and the function that runs it.

Descriptions and schemas are fixed text written here: nothing the API sends ever goes into
them (an agent's name is data in a result, never part of what tells the assistant what a tool
does). Read-only tools are always listed; change tools only with --allow-changes, final ones
(nothing can undo them) only with --allow-final.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, NamedTuple

from aitasker_cli.mcp import changing, reading, schemas
from aitasker_cli.mcp.context import Context


class Level(IntEnum):
    """What the person must allow (flags of `aitasker mcp`) for a tool to be offered."""

    READ = 0
    CHANGES = 1
    """--allow-changes (or --allow-final)"""
    FINAL = 2
    """--allow-final"""


class Tool(NamedTuple):
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: Callable[[], dict[str, Any]]
    """Built when the tools are listed (reading the schema files)."""
    hints: dict[str, bool]
    """readOnlyHint, destructiveHint, idempotentHint, openWorldHint."""
    level: Level
    run: Callable[[Context, Mapping[str, Any]], dict[str, Any]]


def offered(context: Context) -> list[Tool]:
    """The tools this server offers, in the order they are listed."""
    level = (
        Level.FINAL
        if context.allow_final
        else Level.CHANGES
        if context.allow_changes
        else Level.READ
    )
    return [tool for tool in TOOLS if tool.level <= level]


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


AGENT = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    "description": "A hired agent: its ID, a unique start of its ID (4+ hex characters), or its "
    "exact display name.",
}
AGENTS = {
    "type": "array",
    "items": AGENT,
    "minItems": 1,
    "maxItems": 100,
    "description": "The hired agents to act on, each named: IDs, unique starts of IDs or exact "
    "display names. There is no 'all': list the agents first (list_agents, with a status "
    "filter), then name each one.",
}
TASK = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    "description": "A task: its ID, a unique start of it (4+ hex characters), or WORKSPACE/TASK "
    "(the workspace's ID, start of ID or name, a slash, then the task's ID or start).",
}
TASKS = {
    "type": "array",
    "items": TASK,
    "minItems": 1,
    "maxItems": 100,
    "description": "The tasks to decide on, each named (a start of an ID matches among the "
    "tasks awaiting approval only). There is no 'all': list them first "
    "(list_tasks with status awaiting_approval).",
}
LIMIT = {
    "type": "integer",
    "minimum": 1,
    "maximum": 1000,
    "default": reading.DEFAULT_LIMIT,
    "description": "At most this many items; `more` in the result says whether others exist.",
}
DRY_RUN = {
    "type": "boolean",
    "default": False,
    "description": "Only say what would happen to each item (its status now and after); send "
    "nothing and journal nothing.",
}
IF_MATCH = {
    "type": "object",
    "additionalProperties": {"type": "string", "pattern": "^[0-9a-fA-F]{12}$"},
    "description": "Per task, the fingerprint it must still have (from list_tasks or "
    "show_task), keyed by the task as written in `tasks`: a task that changed since is "
    "skipped, not decided on. Without one, a task is decided on as it is read right before.",
}
REASON = {
    "type": "string",
    "maxLength": 100_000,
    "description": "Why: sent with the decision (the agent reads it as feedback) and journaled.",
}
READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "openWorldHint": True}

TOOLS: tuple[Tool, ...] = (
    Tool(
        "list_agents",
        "List hired agents",
        "List your hired agents on AITasker: each with its `id`, `display_name` and `status` "
        "(active, paused or cancelled), as the API sends them. Filter by `status`.",
        _object(
            {
                "status": {
                    "type": "string",
                    "description": "Only agents in this status: active, paused or cancelled.",
                },
                "limit": LIMIT,
            }
        ),
        lambda: schemas.listing("agents", "agent"),
        READ_ONLY,
        Level.READ,
        reading.list_agents,
    ),
    Tool(
        "show_agent",
        "Show a hired agent",
        "Show one hired agent with every field the API sends, its workspace included.",
        _object({"agent": AGENT}, ("agent",)),
        lambda: schemas.one("agent"),
        READ_ONLY,
        Level.READ,
        reading.show_agent,
    ),
    Tool(
        "list_workspaces",
        "List workspaces",
        "List your workspaces (each is where one hired agent works): `id`, `name`, `status`, "
        "`hired_agent_id`. Filter by `status`.",
        _object(
            {
                "status": {
                    "type": "string",
                    "description": "Only workspaces in this status: active, paused or archived.",
                },
                "limit": LIMIT,
            }
        ),
        lambda: schemas.listing("workspaces", "workspace"),
        READ_ONLY,
        Level.READ,
        reading.list_workspaces,
    ),
    Tool(
        "list_tasks",
        "List tasks",
        "List the tasks agents work on or propose, across all your workspaces (or one "
        "workspace's, or one agent's), oldest first, each with its `fingerprint`. The inbox "
        "of tasks waiting for your decision is `status` awaiting_approval.",
        _object(
            {
                "status": {
                    "type": "string",
                    "description": "Only tasks in this status: queued, running, "
                    "awaiting_approval, approved, review, completed, failed or rejected.",
                },
                "workspace": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Only this workspace's tasks: its ID, a unique start of "
                    "it, or its exact name.",
                },
                "agent": {
                    **AGENT,
                    "description": "Only this hired agent's tasks: " + "its "
                    "ID, a unique start of it, or its exact display name.",
                },
                "limit": LIMIT,
            }
        ),
        lambda: schemas.listing("tasks", "task"),
        READ_ONLY,
        Level.READ,
        reading.list_tasks,
    ),
    Tool(
        "show_task",
        "Show a task",
        "Show one task with every field, its proposed actions in full, and its `fingerprint` "
        "(pass it as `if_match` to decide on exactly this version of the task).",
        _object({"task": TASK}, ("task",)),
        lambda: schemas.one("task"),
        READ_ONLY,
        Level.READ,
        reading.show_task,
    ),
    Tool(
        "history",
        "Show the change history",
        "List recent changes and decisions from this machine's journal, newest first: who "
        "made each (`origin`: terminal, mcp or action), what, and on which API; or, given "
        "`operation`, that operation's items. Operation IDs are what `undo` takes.",
        _object(
            {
                "operation": {
                    "type": "string",
                    "minLength": 1,
                    "description": "An operation ID (or a unique start of one): show its items.",
                },
                "limit": LIMIT,
            }
        ),
        schemas.history,
        READ_ONLY,
        Level.READ,
        reading.history,
    ),
    Tool(
        "pause_agents",
        "Pause hired agents",
        "Pause the hired agents named (an agent already paused is left as it is). Returns a "
        "result per agent and the `operation` ID, which `undo` takes to resume them again.",
        _object({"agents": AGENTS, "dry_run": DRY_RUN}, ("agents",)),
        schemas.run,
        {
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": True,
            "openWorldHint": True,
        },
        Level.CHANGES,
        changing.pause_agents,
    ),
    Tool(
        "resume_agents",
        "Resume hired agents",
        "Resume the paused hired agents named (an agent already active is left as it is). "
        "Returns a result per agent and the `operation` ID, which `undo` takes.",
        _object({"agents": AGENTS, "dry_run": DRY_RUN}, ("agents",)),
        schemas.run,
        {
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": True,
            "openWorldHint": True,
        },
        Level.CHANGES,
        changing.resume_agents,
    ),
    Tool(
        "undo",
        "Undo an operation",
        "Put back the agents an operation (a pause, resume or undo; see `history`) changed, "
        "each only if nobody has changed it since. Undoing an undo redoes. Approvals, "
        "rejections and cancellations are final: undo refuses them.",
        _object(
            {
                "operation": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The operation ID a change tool returned (or a unique start "
                    "of it).",
                },
                "dry_run": DRY_RUN,
            },
            ("operation",),
        ),
        schemas.run,
        {
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": False,
            "openWorldHint": True,
        },
        Level.CHANGES,
        changing.undo,
    ),
    Tool(
        "approve_tasks",
        "Approve tasks",
        "Approve tasks awaiting approval, so their agents carry out what they propose. Final: "
        "nothing can undo it. A task no longer awaiting approval, or changed since its "
        "fingerprint in `if_match`, is skipped. Returns a result per task.",
        _object(
            {"tasks": TASKS, "reason": REASON, "if_match": IF_MATCH, "dry_run": DRY_RUN},
            ("tasks",),
        ),
        schemas.run,
        {
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": False,
            "openWorldHint": True,
        },
        Level.FINAL,
        changing.approve_tasks,
    ),
    Tool(
        "reject_tasks",
        "Reject tasks",
        "Reject tasks awaiting approval, with a `reason` the agent reads as feedback. Final: "
        "nothing can undo it. A task no longer awaiting approval, or changed since its "
        "fingerprint in `if_match`, is skipped. Returns a result per task.",
        _object(
            {
                "tasks": TASKS,
                "reason": {**REASON, "minLength": 1},
                "if_match": IF_MATCH,
                "dry_run": DRY_RUN,
            },
            ("tasks", "reason"),
        ),
        schemas.run,
        {
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": False,
            "openWorldHint": True,
        },
        Level.FINAL,
        changing.reject_tasks,
    ),
    Tool(
        "cancel_agents",
        "Cancel hired agents",
        "Cancel the hired agents named, for good: their subscriptions end and nothing can undo "
        "it. Returns a result per agent.",
        _object({"agents": AGENTS, "dry_run": DRY_RUN}, ("agents",)),
        schemas.run,
        {
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": False,
            "openWorldHint": True,
        },
        Level.FINAL,
        changing.cancel_agents,
    ),
)
"""Every tool, in the order they are listed."""
