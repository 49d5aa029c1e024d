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
    approved = "approved"
    review = "review"
    completed = "completed"
    failed = "failed"
    rejected = "rejected"


def names(statuses: type[Status]) -> list[str]:
    """The known values, in the order they are declared."""
    return [status.value for status in statuses]


def status_help(statuses: type[Status], noun: str) -> str:
    """The help of a `--status` option: what it filters and the values known for `noun`."""
    return f"Only {noun} in this status: {', '.join(names(statuses))}."


def unknown(value: str | None, statuses: type[Status], noun: str) -> str | None:
    """A warning for a value outside the known ones (it is still sent: the API may know it)."""
    if value is None or value in names(statuses):
        return None
    from aitasker_cli.core.suggest import close_matches

    close = close_matches(value, names(statuses))
    guess = f"did you mean {' or '.join(repr(name) for name in close)}? It is " if close else ""
    return (
        f"'{value}' is not a known {noun} status (known: {', '.join(names(statuses))}); "
        f"{guess}sent to the API as given."
    )
