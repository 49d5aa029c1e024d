"""The agents a change acts on, each as it is now: looked up from listings or fetched, all
before a run (a confirmed selection, undo) or while it goes (pause and resume of given IDs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.domain.actions import Action
    from aitasker_cli.ops.bulk import Failure, Outcome


class Target(NamedTuple):
    """One agent to change: its name and status now, and what to do to it.

    Small on purpose, since a bulk run holds one per agent: the agent itself (as the server
    sent it) is kept only when its result is known without sending anything, to be shown.
    """

    id: str
    action: Action
    name: str = ""
    before: str | None = None
    """Its status now (None if it could not be looked up)."""
    agent: Any = None
    failure: Failure | None = None
    expected: str | None = None
    """For undo: act only if the agent still has this status (the one the change left)."""
    in_doubt: bool = False
    """For undo: the change may not have been made (it was cut off in flight), so an agent
    not in `expected` was simply left as it was."""
    reason: str | None = None
    """Why it is skipped without looking, e.g. its status before the change is unknown."""
    within: str | None = None
    """The workspace a task is in (its routes need it); None for an agent."""
    fingerprint: str | None = None
    """A task's fingerprint as read right before the decision: what was decided on."""


def target(
    agent_id: str,
    action: Action,
    agent: Any,
    *,
    failure: Failure | None = None,
    expected: str | None = None,
    in_doubt: bool = False,
    dry_run: bool = False,
) -> Target:
    """The target for `agent` as it is now (a model, or None if it could not be had)."""
    before = None if agent is None else str(agent.status)
    shown_as_is = dry_run or before == action.target or (expected not in (None, before))
    kept = getattr(agent, "raw", agent) if shown_as_is else None
    return Target(agent_id, action, name_of(agent), before, kept, failure, expected, in_doubt)


def current(
    client: ApiClient,
    ids: Sequence[str],
    action_for: Callable[[str], Action],
    concurrency: int,
    *,
    expected: Mapping[str, str] | None = None,
    in_doubt: Collection[str] = (),
    dry_run: bool = False,
    statuses: Sequence[str] | None = None,
) -> list[Target]:
    """A target for each ID, in order, with the agent as it is now or why it could not be had.

    `expected`, for undo, the status each agent must still have (`in_doubt`: those whose
    change may not have been made); `statuses`, the ones most
    of the agents are expected in (selection.look_up lists those first).
    """
    from aitasker_cli.ops import bulk
    from aitasker_cli.ops.selection import look_up

    found: dict[str, Target] = {}

    def note(agent_id: str, agent: Any, failure: Failure | None = None) -> None:
        wanted = expected.get(agent_id) if expected else None
        found[agent_id] = target(
            agent_id,
            action_for(agent_id),
            agent,
            failure=failure,
            expected=wanted,
            in_doubt=agent_id in in_doubt,
            dry_run=dry_run,
        )

    def fetch_each(rest: Sequence[str]) -> None:
        def fetched_one(outcome: Outcome) -> None:
            note(outcome.id, outcome.agent, outcome.failure)

        bulk.run_all(rest, client.get_agent, concurrency, fetched_one)

    look_up(client, [i for i in ids if i not in found], fetch_each, note, statuses)
    return [found[agent_id] for agent_id in ids]


class Targets:
    """The target of each agent a bulk run changes, all found before the run (a selection to
    confirm, or undo's)."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self._found = {known.id: known for known in targets}

    def __getitem__(self, agent_id: str) -> Target:
        """The agent's target, when a worker reaches it."""
        return self._found[agent_id]

    def now(self, agent_id: str) -> Target:
        """The agent's target as far as it is known, without waiting."""
        return self._found[agent_id]


class LookedUp(Targets):
    """Targets found while the run goes: a look-up lists pages (selection.look_up) in a
    thread of its own, so the first changes are sent while later pages are still coming,
    instead of after the last one. A worker whose agent no page had fetches it itself.
    """

    def __init__(
        self,
        client: ApiClient,
        ids: Sequence[str],
        action: Action,
        *,
        dry_run: bool,
    ) -> None:
        """Start looking up the agents of `ids`, listing those `action` acts on."""
        self._client = client
        self._action = action
        self._dry_run = dry_run
        super().__init__([])
        self._changed = threading.Condition()
        self._listing = True
        threading.Thread(target=self._list, args=(ids,), name="look-up", daemon=True).start()

    def __getitem__(self, agent_id: str) -> Target:
        """The agent's target; waits for the look-up, and fetches it if no page had it."""
        with self._changed:
            self._changed.wait_for(lambda: agent_id in self._found or not self._listing)
            found = self._found.get(agent_id)
        if found is not None:
            return found
        from aitasker_cli.ops.bulk import Failure

        try:
            fetched = self._target(agent_id, self._client.get_agent(agent_id))
        except Exception as exc:  # this agent's failure, reported in its result
            fetched = self._target(agent_id, None, Failure.of(exc))
        with self._changed:
            self._found[agent_id] = fetched
        return fetched

    def now(self, agent_id: str) -> Target:
        """The agent's target as far as it is known, without waiting (its status may be None)."""
        with self._changed:
            return self._found.get(agent_id) or Target(agent_id, self._action)

    def _list(self, ids: Sequence[str]) -> None:
        from aitasker_cli.ops.selection import look_up

        try:
            look_up(self._client, ids, lambda _missing: None, self._listed, self._action.acts_on)
        finally:
            with self._changed:
                self._listing = False
                self._changed.notify_all()

    def _listed(self, agent_id: str, agent: Any) -> None:
        with self._changed:
            self._found[agent_id] = self._target(agent_id, agent)
            self._changed.notify_all()

    def _target(self, agent_id: str, agent: Any, failure: Failure | None = None) -> Target:
        return target(agent_id, self._action, agent, failure=failure, dry_run=self._dry_run)


def name_of(agent: Any) -> str:
    """The agent's display name, else its persona name, else ''."""
    if agent is None:
        return ""
    name = getattr(agent, "display_name", None) or getattr(agent, "persona_name", None)
    return str(name or "")
