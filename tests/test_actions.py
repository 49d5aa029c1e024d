"""The table of actions: each row makes its command, its request and its wait."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.domain.actions import ACTIONS, Action
from aitasker_cli.domain.routes import ROUTES
from tests.conftest import AGENT_ID, FakeClock, agent


@pytest.mark.parametrize("action", ACTIONS.values(), ids=list(ACTIONS))
def test_each_action_sends_its_own_route_and_nothing_else(
    run: Any, api: respx.MockRouter, logged_in: str, action: Action
) -> None:
    route = ROUTES[action.route]
    path = route.path.format(agent_id=AGENT_ID)
    sent = api.route(method=route.method, path=path).mock(
        return_value=httpx.Response(200, json=agent(status=action.target))
    )
    shown = ROUTES["agents.show"].path.format(agent_id=AGENT_ID)
    looked_up = api.get(shown).mock(
        return_value=httpx.Response(200, json=agent(status=action.acts_on[0]))
    )
    anything_else = api.route().mock(return_value=httpx.Response(500))

    result = run("agents", action.name, AGENT_ID, "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert (looked_up.call_count, sent.call_count) == (1, 1)  # the status before, the change
    assert not anything_else.called


@pytest.mark.parametrize("action", ACTIONS.values(), ids=list(ACTIONS))
def test_the_help_comes_from_the_row(run: Any, action: Action) -> None:
    result = run("agents", action.name, "--help")

    assert action.summary in " ".join(result.stdout.split())


def test_every_row_names_a_route_and_statuses_it_leaves() -> None:
    for action in ACTIONS.values():
        assert action.route in ROUTES
        assert action.target not in action.acts_on


def test_wait_timeout_is_a_deadline_even_when_every_poll_hangs(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 8 at the deadline, not exit 7 after the polls' own timeouts and retries."""
    from aitasker_cli.api import client

    fake = FakeClock()
    monkeypatch.setattr(client, "sleep", fake.sleep)
    monkeypatch.setattr(client, "clock", fake.now)
    api.post(f"/api/v1/workspaces/agents/{AGENT_ID}/pause").mock(
        return_value=httpx.Response(200, json=agent(status="active"))
    )

    looked_up = False

    def hangs(request: httpx.Request) -> httpx.Response:
        nonlocal looked_up
        if not looked_up:  # the status before the change answers at once
            looked_up = True
            return httpx.Response(200, json=agent(status="active"))
        fake.time += 5.0  # each poll takes its whole --timeout, then fails
        raise httpx.ReadTimeout("timed out", request=request)

    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(side_effect=hangs)
    started = fake.time

    result = run("agents", "pause", AGENT_ID, "--wait", "--wait-timeout", "12", "--timeout", "5")

    assert result.exit_code == 8, result.stderr
    assert "still active after 12 s" in result.stderr
    assert fake.time - started <= 12 + 5  # at most one poll's timeout past the deadline
