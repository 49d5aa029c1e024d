"""The table of actions: each row makes its command, its request and its wait."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.api.client import ApiClient
from aitasker_cli.cli.completion import table_text
from aitasker_cli.core.errors import UnavailableError
from aitasker_cli.domain import actions, routes
from aitasker_cli.domain.actions import ACTIONS, ROWS, Action
from aitasker_cli.domain.routes import ROUTES
from aitasker_cli.local.config import Settings
from tests.conftest import AGENT_ID, API, TOKEN, FakeClock, agent

AGENT_ROWS = [row for row in ROWS if row.resource == "agents"]


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
    confirmed = ["--yes"] if action.final else []  # a final action asks first

    result = run("agents", action.name, AGENT_ID, "-o", "json", *confirmed)

    assert result.exit_code == 0, result.stderr
    assert (looked_up.call_count, sent.call_count) == (1, 1)  # the status before, the change
    assert not anything_else.called


@pytest.mark.parametrize("action", ACTIONS.values(), ids=list(ACTIONS))
def test_the_help_comes_from_the_row(run: Any, action: Action) -> None:
    result = run("agents", action.name, "--help")

    assert action.summary in " ".join(result.stdout.split())


def test_every_row_names_a_route_and_statuses_it_leaves() -> None:
    for action in ROWS:
        assert action.route in ROUTES
        assert action.target not in action.acts_on


@pytest.mark.parametrize(
    ("resource", "verb", "route", "acts_on", "target", "final"),
    [
        ("agents", "pause", "agents.pause", ("active",), "paused", False),
        ("agents", "resume", "agents.resume", ("paused",), "active", False),
        ("agents", "cancel", "agents.cancel", ("active", "paused"), "cancelled", True),
        ("tasks", "approve", "tasks.approve", ("awaiting_approval",), "approved", True),
        ("tasks", "reject", "tasks.reject", ("awaiting_approval",), "rejected", True),
    ],
)
def test_a_row_for_every_verb_found_by_resource_and_verb(
    resource: str, verb: str, route: str, acts_on: tuple[str, ...], target: str, final: bool
) -> None:
    row = actions.find(resource, verb)

    assert (row.resource, row.name, row.route) == (resource, verb, route)
    assert (row.acts_on, row.target, row.final) == (acts_on, target, final)
    assert actions.reversible(verb) is not final
    assert row.retry_safe is not final  # a final action is never blindly sent twice


def test_a_verb_is_found_only_under_its_own_resource() -> None:
    with pytest.raises(KeyError):
        actions.find("tasks", "pause")
    with pytest.raises(KeyError):
        actions.find("agents", "approve")


def test_no_two_rows_share_a_verb_so_the_journal_can_name_them_by_verb() -> None:
    verbs = [row.name for row in ROWS]

    assert len(verbs) == len(set(verbs))


def test_a_verb_no_row_knows_is_not_reversible() -> None:
    assert not actions.reversible("archive")
    assert not actions.reversible("undo")  # the journal's own verb: undo decides, not the table


def test_the_routes_of_the_new_rows_are_the_api_descriptions_inferred_ones() -> None:
    assert ROUTES["agents.cancel"] == routes.Route(
        "POST", "/api/v1/workspaces/agents/{agent_id}/cancel", confirmed=False
    )
    assert routes.build_path(
        "tasks.approve", {"workspace_id": AGENT_ID.upper(), "task_id": AGENT_ID}
    ) == ("POST", f"/api/v1/workspaces/{AGENT_ID}/tasks/{AGENT_ID}/approve")
    assert ROUTES["tasks.reject"].path.endswith("/tasks/{task_id}/reject")
    assert not ROUTES["tasks.approve"].confirmed and not ROUTES["tasks.reject"].confirmed


def test_only_rows_with_a_command_are_commands() -> None:
    commands = json.loads(table_text())["commands"]

    assert list(ACTIONS) == ["pause", "resume", "cancel"]
    assert actions.commands_of("agents") == ACTIONS
    assert list(actions.commands_of("tasks")) == ["approve", "reject"]
    for row in ROWS:
        assert (f"{row.resource} {row.name}" in commands) is row.has_command


def test_a_row_without_a_command_is_not_one(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aitasker_cli.cli import agents

    row = actions.CANCEL._replace(name="archive", has_command=False)
    monkeypatch.setattr(actions, "ROWS", (*ROWS, row))

    assert "archive" not in actions.commands_of("agents")
    assert "archive" not in agents.COMMANDS
    result = run("agents", "archive", AGENT_ID)
    assert result.exit_code == 2
    assert "No such command 'archive'" in result.stderr


@pytest.fixture
def api_client(api: respx.MockRouter) -> Iterator[ApiClient]:
    settings = Settings("default", API, None, timeout=5.0, retries=3, debug=False)
    made = ApiClient(settings, token=lambda: TOKEN)
    yield made
    made.close()


@pytest.mark.parametrize("row", AGENT_ROWS, ids=[row.name for row in AGENT_ROWS])
def test_the_client_sends_each_agent_row_to_its_route(
    api: respx.MockRouter, api_client: ApiClient, row: Action
) -> None:
    route = ROUTES[row.route]
    sent = api.route(method=route.method, path=route.path.format(agent_id=AGENT_ID)).mock(
        return_value=httpx.Response(200, json=agent(status=row.target))
    )
    anything_else = api.route().mock(return_value=httpx.Response(500))

    changed = api_client.change(row, AGENT_ID)

    assert sent.call_count == 1
    assert not anything_else.called
    assert str(changed.status) == row.target


def test_a_new_row_is_all_the_client_needs(
    api: respx.MockRouter, api_client: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/api/v1/workspaces/agents/{agent_id}/archive"
    monkeypatch.setitem(ROUTES, "agents.archive", routes.Route("POST", path, confirmed=False))
    archive = actions.PAUSE._replace(name="archive", route="agents.archive", target="archived")
    sent = api.post(path.format(agent_id=AGENT_ID)).mock(
        return_value=httpx.Response(200, json=agent(status="archived"))
    )

    api_client.change(archive, AGENT_ID)

    assert sent.call_count == 1


def test_a_final_row_is_sent_once_even_when_the_api_is_unavailable(
    api: respx.MockRouter, api_client: ApiClient, sleeps: list[float]
) -> None:
    sent = api.post(f"/api/v1/workspaces/agents/{AGENT_ID}/cancel").mock(
        return_value=httpx.Response(503, json={"detail": "busy"})
    )

    with pytest.raises(UnavailableError):
        api_client.change(actions.CANCEL, AGENT_ID)

    assert sent.call_count == 1  # the cancel may have happened: never blindly repeated


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
    assert "still active after 1" in result.stderr  # 12 s, or the time it really took
    assert fake.time - started <= 12 + 5  # at most one poll's timeout past the deadline
