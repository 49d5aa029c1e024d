"""The statuses this CLI knows for each resource (standard library only: help and TAB read it).

The API documents no list of statuses, so these are the ones seen; a value outside them is kept
as the server sent it, never refused.
"""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """A status that prints as the API writes it, in every Python version."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class AgentStatus(Status):
    active = "active"
    paused = "paused"
    cancelled = "cancelled"


class WorkspaceStatus(Status):
    active = "active"
    paused = "paused"
    archived = "archived"


class TaskStatus(Status):
    queued = "queued"
    running = "running"
    awaiting_approval = "awaiting_approval"
    review = "review"
    completed = "completed"
    failed = "failed"
    rejected = "rejected"
