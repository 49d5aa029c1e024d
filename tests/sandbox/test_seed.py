"""The demo fleet is realistic and the same for the same seed."""

from __future__ import annotations

import json
from collections import Counter

from aitasker_cli.sandbox.seed import DEFAULT_AGENTS, seed_state


def test_same_seed_same_fleet() -> None:
    assert json.dumps(seed_state()) == json.dumps(seed_state())
    assert json.dumps(seed_state(seed=1)) != json.dumps(seed_state(seed=2))


def test_demo_fleet_is_varied() -> None:
    state = seed_state()
    agents = list(state["agents"].values())
    tasks = list(state["tasks"].values())

    assert len(agents) == DEFAULT_AGENTS == len(state["workspaces"])
    statuses = Counter(agent["status"] for agent in agents)
    assert {"active", "paused", "cancelled"} <= set(statuses)
    assert len({task["status"] for task in tasks}) >= 4
    assert any(not agent["display_name"].isascii() for agent in agents)
    assert any(agent["team_id"] for agent in agents) and any(not a["team_id"] for a in agents)
    assert all(
        (agent["status"] == "paused") == (agent["paused_at"] is not None) for agent in agents
    )


def test_every_workspace_belongs_to_one_agent_and_tasks_to_a_workspace() -> None:
    state = seed_state(agents=200)

    owners = [workspace["hired_agent_id"] for workspace in state["workspaces"].values()]
    assert sorted(owners) == sorted(state["agents"])
    assert all(task["workspace_id"] in state["workspaces"] for task in state["tasks"].values())


def test_ten_thousand_agents_have_distinct_ids() -> None:
    state = seed_state(agents=10_000)

    assert len(state["agents"]) == 10_000
    assert len({agent["display_name"] for agent in state["agents"].values()}) > 1_000
