"""Tasks that move on their own, so that `tasks wait` and `--watch` can be tried on the sandbox.

Every tick moves some tasks one step along their lifecycle: queued and approved tasks start
running, running ones end completed (or, less often, failed); and now and then a new task
appears awaiting approval in the workspace of an active agent. Agents and workspaces are never
touched: they stay as the user leaves them, and so do the decisions (awaiting tasks wait for
the user).

The moves are deterministic. Tick N draws from `random.Random("aitasker sandbox tick SEED N")`,
in this order:

1. one `random()` for each task that can move (queued, approved, running), in the order the
   tasks were added: under MOVE_CHANCE the task moves; a running one that moves fails if its
   draw is under FAIL_CHANCE, and completes otherwise;
2. one `random()`: under NEW_TASK_CHANCE, a new task awaiting approval, in a workspace picked
   with `choice` among the first MOST_CANDIDATES active workspaces (if its agent is active),
   its fields drawn next from the same generator.

Ticks are applied lazily: each request first catches up with the ticks that have fallen due
since the last one (at most MOST_TICKS_AT_ONCE; a longer absence catches up no further), in one
writing session, so no request sees a tick half applied. Each tick's timestamps are the time it
fell due.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from aitasker_cli.sandbox.seed import (
    DEFAULT_SEED,
    DESCRIPTIONS,
    PRIORITIES,
    ROLES,
    SCHEDULES,
    TOPICS,
    TRIGGERS,
    iso,
    seeded_uuid,
)
from aitasker_cli.sandbox.store import Clock, Record, Store, Tables

MOVABLE = ("queued", "approved", "running")
"""The statuses a tick moves a task out of."""
MOVE_CHANCE = 0.4
"""How likely each movable task is to move at a tick."""
FAIL_CHANCE = 0.08
"""How likely a running task is to move and fail at a tick (part of MOVE_CHANCE)."""
NEW_TASK_CHANCE = 0.25
"""How likely a tick is to bring a new task awaiting approval: one tick in four, on average."""
MOST_CANDIDATES = 1000
"""Active workspaces a new task may land in: the first ones listed."""
MOST_TICKS_AT_ONCE = 100
"""The most ticks one catch-up applies; after a longer absence the clock jumps to now."""
LONGEST_TICK_SECONDS = 86_400.0
CHANNELS = ["linkedin", "newsletter", "blog", "email"]
FALLBACK_ROLE = ("Custom", "custom-task", "Task about {topic}")
"""For an agent hired with a type the demo fleet does not have."""


@dataclass
class Moves:
    """What one tick did: each moved task's ID with its old and new status, and new tasks."""

    moved: dict[str, tuple[str, str]] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)


def tick_random(number: int, seed: int = DEFAULT_SEED) -> random.Random:
    """The generator tick `number` draws from (the first tick is number 1)."""
    return random.Random(f"aitasker sandbox tick {seed} {number}")


def tick(tables: Tables, number: int, at: float, seed: int = DEFAULT_SEED) -> Moves:
    """Apply tick `number`, due at `at` (seconds since the epoch), to `tables`.

    Records are replaced, never changed in place: a response being written from the old
    record in another thread keeps seeing the old one whole.
    """
    rng = tick_random(number, seed)
    moment = datetime.fromtimestamp(at, timezone.utc)
    stamp = iso(moment)
    moves = Moves()
    for task in tables.tasks_in(MOVABLE):
        draw = rng.random()
        if draw >= MOVE_CHANCE:
            continue
        moved = _moved(task, stamp, failed=draw < FAIL_CHANCE)
        tables.put("tasks", moved)
        moves.moved[task["id"]] = (task["status"], moved["status"])
    if rng.random() < NEW_TASK_CHANCE:
        candidates = tables.workspaces("active", slice(0, MOST_CANDIDATES))
        if candidates:
            workspace = rng.choice(candidates)
            agent = tables.agent(workspace["hired_agent_id"])
            if agent is not None and agent["status"] == "active":
                task = awaiting_task(rng, agent, workspace, moment)
                tables.put("tasks", task)
                moves.created.append(task["id"])
    return moves


def _moved(task: Record, stamp: str, *, failed: bool) -> Record:
    """The task one step further: running if it was not, else completed or failed."""
    if task["status"] != "running":
        # A tick that fell due a moment before an approval is applied after it: never earlier.
        started = max(stamp, task["approved_at"] or stamp)
        return {**task, "status": "running", "started_at": started, "completed_at": None}
    started = task["started_at"] or stamp
    ended = {**task, "started_at": started, "completed_at": max(stamp, started)}
    if failed:
        error = "The agent could not finish: the service it publishes to did not answer."
        return {**ended, "status": "failed", "output_data": {**task["output_data"], "error": error}}
    output = task["output_data"] or {"summary": "Done."}
    return {**ended, "status": "completed", "output_data": output}


def awaiting_task(rng: random.Random, agent: Record, workspace: Record, moment: datetime) -> Record:
    """A new task of `agent` in `workspace`, its draft ready at `moment`, awaiting approval:
    the shape of the seed's awaiting tasks (seed.py), with proposed actions and a level."""
    _label, skill, title = ROLES.get(agent["agent_type"], FALLBACK_ROLE)
    created = moment - timedelta(seconds=rng.randrange(10, 60))
    started = created + timedelta(seconds=rng.randrange(2, 8))
    return {
        "id": seeded_uuid(rng),
        "workspace_id": workspace["id"],
        "hired_agent_id": agent["id"],
        "skill_slug": skill,
        "title": title.format(topic=rng.choice(TOPICS)),
        "description": rng.choice(DESCRIPTIONS),
        "schedule_type": rng.choice(SCHEDULES),
        "trigger": {"type": rng.choice(TRIGGERS)},
        "status": "awaiting_approval",
        "priority": rng.choice(PRIORITIES),
        "output_data": {"summary": "Draft ready for review."},
        "proposed_actions": {"publish": {"channel": rng.choice(CHANNELS)}},
        "approval_level": rng.choice(["required", "optional"]),
        "approved_by": None,
        "approved_at": None,
        "cost_usd": round(rng.uniform(0.002, 0.9), 4),
        "started_at": iso(started),
        "completed_at": iso(moment),
        "created_at": iso(created),
    }


class Lifecycle:
    """A tick every `every` seconds, applied to a store when a request comes."""

    def __init__(
        self,
        every: float,
        *,
        seed: int = DEFAULT_SEED,
        most: int = MOST_TICKS_AT_ONCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not (0 < every <= LONGEST_TICK_SECONDS):  # also refuses NaN
            raise ValueError(f"a tick of {every} seconds")
        self.every = every
        self.seed = seed
        self.most = most
        self._now = clock

    def due(self, clock: Clock | None, now: float) -> tuple[list[float], Clock]:
        """When each tick due by `now` falls due, and the clock once they are applied."""
        if clock is None or now < clock.at or not math.isfinite(clock.at):
            # First use starts the clock; a system clock set back starts it again.
            return [], Clock(clock.tick if clock else 0, now)
        count = int((now - clock.at) // self.every)
        if count <= self.most:
            times = [clock.at + k * self.every for k in range(1, count + 1)]
            return times, Clock(clock.tick + count, clock.at + count * self.every)
        # Too long away: the last `most` ticks, ending now, and no further back.
        times = [now - (self.most - k) * self.every for k in range(1, self.most + 1)]
        return times, Clock(clock.tick + self.most, now)

    def catch_up(self, store: Store) -> int:
        """Apply the ticks due by now to `store`, in one writing session; how many."""
        now = self._now()
        with store.session(write=False) as tables:
            clock = tables.clock()
            if self.due(clock, now)[1] == clock:
                return 0  # the usual case: a read, and nothing to write
        with store.session(write=True) as tables:
            clock = tables.clock()  # another request may have caught up meanwhile
            times, after = self.due(clock, now)
            if after == clock:
                return 0
            first = clock.tick + 1 if clock else 1
            for number, at in enumerate(times, start=first):
                tick(tables, number, at, self.seed)
            tables.set_clock(after)
        return len(times)
