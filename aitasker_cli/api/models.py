"""Pydantic models of the documented response schemas.

They check that a response has the documented shape and keep every field, known or not, so a
newer server never breaks an older CLI. Tables and delimited output read typed values from them
(datetimes, statuses as enums, with the server's own text kept for a status this CLI does not
know); `raw` is the object exactly as the server sent it, and JSON output is written from it so
that nothing is reformatted or lost.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, model_validator
from typing_extensions import Self

from aitasker_cli.domain.fingerprint import fingerprint
from aitasker_cli.domain.statuses import AgentStatus, TaskStatus, WorkspaceStatus

# pydantic looks for plugins, in the entry points of every installed package, when it builds
# its first validator: 30-50 ms of each command, for plugins this CLI never uses and that
# would see every API response. None are loaded unless the user's environment asks for them.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

E = TypeVar("E", bound=Enum)


def _known(enum: type[E]) -> Callable[[Any], Any]:
    """A status this CLI knows becomes its enum member; any other is kept as the server's text."""

    def convert(value: Any) -> Any:
        if isinstance(value, str) and value in enum._value2member_map_:
            return enum(value)
        return value

    return convert


AgentStatusValue = Annotated[AgentStatus | str, BeforeValidator(_known(AgentStatus))]
WorkspaceStatusValue = Annotated[WorkspaceStatus | str, BeforeValidator(_known(WorkspaceStatus))]
TaskStatusValue = Annotated[TaskStatus | str, BeforeValidator(_known(TaskStatus))]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    id: UUID

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        model = cls.model_validate(data)
        model._raw = data
        return model

    @property
    def raw(self) -> dict[str, Any]:
        return self._raw


class Workspace(ApiModel):
    status: WorkspaceStatusValue
    hired_agent_id: UUID | None = None
    user_id: UUID | None = None
    name: str | None = None
    settings: dict[str, Any] | None = None
    metrics_cache: dict[str, Any] | None = None
    last_active_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class HiredAgent(ApiModel):
    status: AgentStatusValue
    user_id: UUID | None = None
    agent_type: str | None = None
    display_name: str | None = None
    tier: str | None = None
    stripe_subscription_id: str | None = None
    config: dict[str, Any] | None = None
    hired_at: datetime | None = None
    paused_at: datetime | None = None
    cancelled_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    persona_name: str | None = None
    workspace: Workspace | None = None
    team_id: UUID | None = None
    team_type: str | None = None


class WorkspaceDetail(Workspace):
    hired_agent: HiredAgent | None = None
    integration_credentials: list[dict[str, Any]] | None = None
    """Items are IntegrationStatusResponse, whose fields are undocumented: kept opaque."""


class WorkspaceTask(ApiModel):
    status: TaskStatusValue
    workspace_id: UUID | None = None
    hired_agent_id: UUID | None = None
    skill_slug: str | None = None
    title: str | None = None
    description: str | None = None
    schedule_type: str | None = None
    trigger: dict[str, Any] | None = None
    priority: str | None = None
    output_data: dict[str, Any] | None = None
    proposed_actions: dict[str, Any] | None = None
    approval_level: str | None = None
    approved_by: UUID | None = None
    approved_at: datetime | None = None
    cost_usd: float | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    fingerprint: str = ""
    """The task's fingerprint (domain/fingerprint.py), computed here, never the server's: a
    computed `fingerprint` key joins the object as sent (`raw`), so JSON output carries it
    and every format finds it as a field."""

    @model_validator(mode="before")
    @classmethod
    def _fingerprinted(cls, data: Any) -> Any:
        # From the fields as sent, not as parsed: a UUID or a float reformatted by parsing
        # would give another digest than a script computes from the same response.
        if isinstance(data, Mapping):
            return {**data, "fingerprint": fingerprint(data)}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        model = super().from_json(data)
        model._raw = {**data, "fingerprint": model.fingerprint}
        return model


class ListedTask(WorkspaceTask):
    """A task as `tasks list` and `tasks inbox` show it: what the people's columns add.

    The added fields are read by the table and delimited formats only: `raw` stays the task as
    the server sent it (with its fingerprint), so JSON output never carries them.
    """

    workspace_name: str | None = None
    agent_name: str | None = None
    actions: str | None = None
    """A one-line summary of `proposed_actions`."""

    @classmethod
    def of(
        cls,
        task: WorkspaceTask,
        *,
        workspace_name: str | None,
        agent_name: str | None,
        actions: str,
    ) -> ListedTask:
        """`task` with the names beside it, without validating it again."""
        values = {
            **(task.model_extra or {}),
            **dict(task),
            "workspace_name": workspace_name,
            "agent_name": agent_name,
            "actions": actions,
        }
        listed = cls.model_construct(
            task.model_fields_set | {"workspace_name", "agent_name", "actions"}, **values
        )
        listed._raw = task.raw
        return listed
