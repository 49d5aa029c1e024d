"""What the change engine tells its front end, and asks it: the terminal, a watch loop or an
MCP server each give the engine a Reporter, and the engine never prints, prompts or reads
stdin itself.

The per-item result (ItemResult) is the contract's shape for pause, resume and undo results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypedDict


class ItemError(TypedDict):
    """Why an item failed: the HTTP status (if any), the exit code it would have alone, and
    the message."""

    status: int | None
    exit_code: int
    message: str


class ItemResult(TypedDict, total=False):
    """One item's result in a run of pause, resume, cancel, approve, reject or undo."""

    id: str
    ok: bool
    outcome: str
    """changed, unchanged, skipped, failed, interrupted; with --dry-run would_change or
    would_skip."""
    action: str
    name: str
    status_before: str | None
    status_after: str | None
    dry_run: bool
    agent: Any
    """The agent as the server sent it (after the change, or as it is when nothing was sent)."""
    task: Any
    """The same for a decision on a task (approve, reject)."""
    operation: str
    """The journal's operation ID of the run (not with --dry-run)."""
    workspace_id: str
    """A task's workspace."""
    fingerprint: str
    """A task's fingerprint as read right before the decision."""
    reason: str
    """Why it was skipped (or would be)."""
    error: ItemError


class Confirmation(NamedTuple):
    """What a run that needs a yes will do, for the front end to ask about."""

    verb: str
    """pause, resume, undo, cancel, approve, reject."""
    total: int
    names: Sequence[str]
    """The first few agents' names (or short IDs), in order."""
    where: str = ""
    """The API it acts on, when that needs saying (undo --from FILE)."""
    details: Sequence[str] = ()
    """What a final action will act on, a line each, shown before the question (server text:
    the front end shows it literally)."""
    answers: Sequence[str] = ()
    """What the person must type to go on (an agent's name or short ID, or the count); empty:
    a yes/no question."""
    noun: str = "agent"


@dataclass
class RunReport:
    """What a run did, as a whole: the counts of each outcome, and its journal entry."""

    verb: str
    total: int
    dry_run: bool
    where: str = ""
    noun: str = "agent"
    """What the run's items are: agent, task."""
    tally: Counter[str] = field(default_factory=Counter)
    complete: bool = False
    """False while it runs, and if a signal or a failure cut it short."""
    operation: str | None = None
    """The journal's operation ID, when the journal holds something of it to undo."""
    journal_problem: str | None = None
    """Why the journal could not be written (then the run cannot be undone from it)."""


class Reporter(Protocol):
    """A front end of the change engine."""

    def confirm(self, request: Confirmation) -> bool:
        """Whether to go on; may raise UsageError when no one can be asked."""

    def begin(self, ids: Sequence[str], label: str) -> AbstractContextManager[Callable[[], None]]:
        """A run of `ids` starts: a block around it, giving a callable to call as each item
        is done (a progress bar's step)."""

    def result(self, result: ItemResult) -> None:
        """One item's result, as soon as it is known (from a worker thread, one at a time)."""

    def finished(self, report: RunReport) -> None:
        """The run is over, whole or cut short: results held back can be written now."""
