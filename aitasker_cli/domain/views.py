"""How each kind of resource is shown: its list columns and its detail fields.

Kept apart from render so that command modules can name their views without loading the
output machinery, which --help and TAB never need.
"""

from __future__ import annotations

from typing import NamedTuple


class View(NamedTuple):
    """How one kind of resource is shown."""

    noun: str
    plural: str
    columns: tuple[str, ...]
    """Default fields of list rows (and of a single item in tsv/csv)."""
    detail: tuple[str, ...]
    """Default fields of a single item in a table; with `columns`, the fields known to exist."""
    keep: tuple[str, ...] = ()
    """Columns a narrow table never leaves out (besides IDs): what a person looks for."""
    wrap: tuple[str, ...] = ()
    """Columns of long text that wrap in a table instead of being cut."""
    named_by: str = "display_name"
    """The field that names one to a person: a bulk result shows it beside the ID."""

    @property
    def result_fields(self) -> tuple[str, str]:
        """The fields a bulk result shows by default, beside its ID, outcome and error."""
        return (self.named_by, "status")


AGENTS = View(
    noun="agent",
    plural="agents",
    columns=("id", "display_name", "agent_type", "status", "tier", "updated_at"),
    keep=("display_name", "status"),
    detail=(
        "id", "display_name", "persona_name", "agent_type", "status", "tier",
        "workspace.id", "workspace.name", "team_id", "team_type", "hired_at", "paused_at",
        "cancelled_at", "created_at", "updated_at", "user_id", "stripe_subscription_id", "config",
    ),
)  # fmt: skip

WORKSPACES = View(
    noun="workspace",
    plural="workspaces",
    columns=("id", "name", "status", "hired_agent_id", "last_active_at"),
    keep=("name", "status"),
    named_by="name",
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

TASKS = View(
    noun="task",
    plural="tasks",
    # The fingerprint comes last, so the columns scripts read by position keep their place.
    columns=(
        "id",
        "title",
        "status",
        "priority",
        "skill_slug",
        "cost_usd",
        "created_at",
        "fingerprint",
    ),
    keep=("title", "status"),
    named_by="title",
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
        "fingerprint",
    ),
)
"""A workspace's tasks (`workspaces tasks`), and one task (`tasks show`)."""

_ACROSS = ("workspace_name", "agent_name", "actions")
"""What `tasks list` and `tasks inbox` add to a task, for people (never to its JSON)."""

TASKS_ACROSS = TASKS._replace(
    columns=(
        "id", "workspace_name", "agent_name", "status", "approval_level", "title", "created_at",
        "fingerprint",
    ),
    detail=(*TASKS.detail, *_ACROSS),
    keep=("title", "status"),
    wrap=("title",),
)  # fmt: skip
"""Tasks across workspaces (`tasks list`); a title wraps rather than being cut: it is what
a person decides on."""

INBOX = TASKS_ACROSS._replace(
    columns=(
        "id", "workspace_name", "agent_name", "approval_level", "title", "actions",
        "created_at", "fingerprint",
    ),
    keep=("title", "actions"),
    wrap=("title", "actions"),
)  # fmt: skip
"""The tasks awaiting approval (`tasks inbox`): a summary of what each proposes, no status."""

LOGIN_STATUS = View(
    noun="login",
    plural="logins",
    columns=("profile", "api_url", "source", "location", "kind", "expires_at", "verified"),
    detail=("profile", "api_url", "source", "location", "kind", "expires_at", "verified"),
)

CHECKS = View(
    noun="check",
    plural="checks",
    columns=("check", "status", "detail", "fix"),
    detail=("check", "status", "detail", "fix"),
    keep=("check", "status", "detail", "fix"),
    wrap=("detail", "fix"),
)

OPERATIONS = View(
    noun="operation",
    plural="operations",
    columns=("id", "time", "action", "changed", "failed", "profile", "host", "origin", "final"),
    keep=("id", "action", "changed", "host"),
    detail=(
        "id",
        "time",
        "action",
        "final",
        "undoes",
        "changed",
        "failed",
        "total",
        "profile",
        "host",
        "api_url",
        "origin",
    ),
)
"""The journal's operations, as `aitasker history` lists them."""

OPERATION_ITEMS = View(
    noun="item",
    plural="items",
    columns=("id", "name", "before", "after", "outcome", "reason"),
    keep=("name", "outcome"),
    wrap=("reason",),
    detail=("id", "name", "before", "after", "outcome", "reason"),
)
"""One operation's agents or tasks (with the reason given for a decision), as `aitasker history
OPERATION_ID` lists them."""
