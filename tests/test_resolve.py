"""Short IDs and names as arguments: one match is used, several are exit 2, none is exit 3."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tests.conftest import agent, workspace

AGENTS = "/api/v1/workspaces/agents"
FLEET = [
    agent(id="1888df20-5bd0-4521-be84-762b3b9be05d", display_name="Maya – Sales"),
    agent(id="1888df21-0000-4000-8000-000000000001", display_name="Zoë – SEO"),
    agent(id="60b6eb77-18a6-4e54-99bd-716f7e4fb065", display_name="beef"),
    agent(id="beef0000-0000-4000-8000-000000000002", display_name="Twin"),
    agent(id="c0ffee00-0000-4000-8000-000000000003", display_name="Twin"),
]


@pytest.fixture
def fleet(api: respx.MockRouter) -> respx.MockRouter:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=FLEET))
    for item in FLEET:
        api.get(f"{AGENTS}/{item['id']}").mock(return_value=httpx.Response(200, json=item))
        api.post(f"{AGENTS}/{item['id']}/pause").mock(
            return_value=httpx.Response(200, json={**item, "status": "paused"})
        )
    return api


def sent(api: respx.MockRouter) -> list[str]:
    return [f"{call.request.method} {call.request.url.path}" for call in api.calls]


def test_a_full_id_costs_no_extra_request(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "pause", FLEET[0]["id"], "-o", "id")

    assert result.exit_code == 0
    assert sent(fleet) == [  # the status before (for the journal), then the change
        f"GET {AGENTS}/{FLEET[0]['id']}",
        f"POST {AGENTS}/{FLEET[0]['id']}/pause",
    ]


def test_a_prefix_from_the_last_listing_is_confirmed_with_one_get(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    run("agents", "list", "-o", "id")
    before = len(fleet.calls)

    result = run("agents", "pause", "60b6eb", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{FLEET[2]['id']}\n"
    assert sent(fleet)[before:] == [
        f"GET {AGENTS}/{FLEET[2]['id']}",
        f"POST {AGENTS}/{FLEET[2]['id']}/pause",
    ]


def test_a_prefix_nobody_listed_is_found_in_the_api_listing(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "show", "C0FFEE", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{FLEET[4]['id']}\n"
    assert sent(fleet)[0] == f"GET {AGENTS}"


def test_an_exact_name_works(run: Any, fleet: respx.MockRouter, logged_in: str) -> None:
    result = run("agents", "pause", "Maya – Sales", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{FLEET[0]['id']}\n"


def test_hex_is_tried_as_a_prefix_first_then_as_a_name(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    as_prefix = run("agents", "show", "beef", "-o", "id")  # beef0000-… wins over the name
    as_name = run("agents", "show", "Twin", "-o", "id")

    assert as_prefix.stdout == f"{FLEET[3]['id']}\n"
    assert as_name.exit_code == 2


@pytest.mark.parametrize("typed", ["1888df2", "Twin"])
def test_several_matches_are_exit_2_naming_them_and_nothing_changes(
    run: Any, fleet: respx.MockRouter, logged_in: str, typed: str
) -> None:
    result = run("agents", "pause", typed)

    assert result.exit_code == 2
    assert "matches 2 agents" in result.stderr
    assert not any(line.startswith("POST") for line in sent(fleet))


def test_the_ambiguity_message_shows_short_ids_and_names(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "show", "1888df2")

    assert "1888df20 Maya – Sales" in result.stderr and "1888df21 Zoë – SEO" in result.stderr


@pytest.mark.parametrize("typed", ["nobody", "dead", "abc"])
def test_no_match_is_exit_3(run: Any, fleet: respx.MockRouter, logged_in: str, typed: str) -> None:
    result = run("agents", "pause", typed)

    assert result.exit_code == 3
    assert not any(line.startswith("POST") for line in sent(fleet))


def test_stdin_stays_strict(run: Any, fleet: respx.MockRouter, logged_in: str) -> None:
    result = run("agents", "pause", "--stdin", stdin="1888df20\n")

    assert result.exit_code == 2
    assert not fleet.calls


def test_a_workspace_by_name(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    item = workspace(name="Maya's workspace")
    api.get("/api/v1/workspaces").mock(return_value=httpx.Response(200, json=[item]))
    api.get(f"/api/v1/workspaces/{item['id']}").mock(return_value=httpx.Response(200, json=item))

    result = run("workspaces", "show", "Maya's workspace", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{item['id']}\n"
