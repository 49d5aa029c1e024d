"""Short IDs and names as arguments: one match is used, several are exit 2, none is exit 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.conftest import TOKEN, agent, uuid_n, workspace
from tests.loopback import serve
from tests.processes import aitasker, clean_env

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


def test_hex_that_is_a_name_and_a_prefix_is_exit_2_naming_both(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "pause", "beef")  # the agent named beef, and beef0000-…

    assert result.exit_code == 2
    assert "matches 2 agents" in result.stderr
    assert "60b6eb77 beef" in result.stderr and "beef0000 Twin" in result.stderr
    assert not any(line.startswith("POST") for line in sent(fleet))


def test_more_of_the_id_settles_a_hex_name(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "show", "beef0", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{FLEET[3]['id']}\n"


def test_a_full_id_is_never_ambiguous(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    target, namesake = uuid_n(1), uuid_n(2)
    listing = [agent(id=target, display_name="Ann"), agent(id=namesake, display_name=target)]
    listed = api.get(AGENTS).mock(return_value=httpx.Response(200, json=listing))
    api.get(f"{AGENTS}/{target}").mock(return_value=httpx.Response(200, json=listing[0]))

    result = run("agents", "show", target, "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{target}\n"
    assert not listed.called


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


def listing(api: respx.MockRouter, path: str, items: list[dict[str, Any]]) -> respx.Route:
    """Serve `items` a page at a time, by the request's limit and offset, and each by ID."""

    def page(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        limit = int(request.url.params.get("limit", "50"))
        return httpx.Response(200, json=items[offset : offset + limit])

    for item in items:
        api.get(f"{path}/{item['id']}").mock(return_value=httpx.Response(200, json=item))
        api.post(f"{path}/{item['id']}/pause").mock(
            return_value=httpx.Response(200, json={**item, "status": "paused"})
        )
    return api.get(path).mock(side_effect=page)


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("Maya ", 1), ("Maya", 0), ("Bob\n", 3), ("Bob", 2), ("Zoe\u0301", 4), ("René", 5)],
)
def test_a_name_matches_only_as_typed_whitespace_included(
    run: Any, api: respx.MockRouter, logged_in: str, typed: str, chosen: int
) -> None:
    names = ["Maya", "Maya ", "Bob", "Bob\n", "Zoé", "Rene\u0301"]  # NFC on either side
    fleet = [agent(id=uuid_n(n), display_name=name) for n, name in enumerate(names)]
    listing(api, AGENTS, fleet)

    result = run("agents", "show", typed, "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{uuid_n(chosen)}\n"


def test_no_exact_name_is_exit_3_suggesting_names_alike_and_choosing_none(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=uuid_n(1), display_name="Maya"), agent(id=uuid_n(2), display_name="Maya ")]
    listing(api, AGENTS, fleet)

    result = run("agents", "pause", " maya")

    assert result.exit_code == 3
    assert "Did you mean 00000000 'Maya'; 00000000 'Maya '?" in result.stderr
    assert not any(line.startswith("POST") for line in sent(api))


@pytest.mark.parametrize("typed", ["Zoe - SEO", "zoe—seo", "Zoë – SE0", "  ZOË   –  SEO"])
def test_a_close_name_gets_did_you_mean_with_short_id_and_name(
    run: Any, fleet: respx.MockRouter, logged_in: str, typed: str
) -> None:
    result = run("agents", "show", typed)

    assert result.exit_code == 3
    assert "Hint: Did you mean 1888df21 'Zoë – SEO'?" in result.stderr


def test_did_you_mean_shows_at_most_five(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    listing(api, AGENTS, [agent(id=uuid_n(n), display_name="Twin") for n in range(7)])

    result = run("agents", "show", "TWIN")

    assert result.exit_code == 3
    assert result.stderr.count("'Twin'") == 5


def test_nothing_close_keeps_the_plain_hint(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "show", "Quentin")

    assert result.exit_code == 3
    assert "Did you mean" not in result.stderr and "aitasker agents list" in result.stderr


def test_a_prefix_one_recent_listing_showed_is_still_checked_against_every_agent(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [
        agent(id="abcd1111-0000-4000-8000-000000000001", display_name="One"),
        agent(id="abcd2222-0000-4000-8000-000000000002", display_name="Two"),
    ]
    listing(api, AGENTS, fleet)
    run("agents", "list", "--limit", "1", "-o", "id")  # the completion cache now knows abcd1111

    result = run("agents", "pause", "abcd")

    assert result.exit_code == 2
    assert "matches 2 agents" in result.stderr
    assert not any(line.startswith("POST") for line in sent(api))


def test_a_prefix_is_unique_only_across_every_page(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=uuid_n(n), display_name=f"Agent {n}") for n in range(60)]
    fleet[0]["id"] = "abcd1111-0000-4000-8000-000000000001"
    fleet[55]["id"] = "abcd2222-0000-4000-8000-000000000002"  # on the second page of 50
    pages = listing(api, AGENTS, fleet)

    result = run("agents", "pause", "abcd")

    assert result.exit_code == 2, result.stderr
    assert [call.request.url.params["offset"] for call in pages.calls] == ["0", "50"]


def test_show_by_prefix_sends_no_request_twice(
    run: Any, fleet: respx.MockRouter, logged_in: str
) -> None:
    run("agents", "list", "-o", "id")
    before = len(fleet.calls)

    result = run("agents", "show", "60b6eb", "-o", "id")

    assert result.exit_code == 0, result.stderr
    asked = [str(call.request.url) for call in fleet.calls[before:]]
    assert len(asked) == len(set(asked))
    assert asked[-1].endswith(f"{AGENTS}/{FLEET[2]['id']}")


def test_workspace_names_match_only_as_typed(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    spaces = [workspace(id=uuid_n(1), name="Ops"), workspace(id=uuid_n(2), name="Ops ")]
    listing(api, "/api/v1/workspaces", spaces)

    exact = run("workspaces", "show", "Ops ", "-o", "id")
    close = run("workspaces", "show", "ops")

    assert exact.stdout == f"{uuid_n(2)}\n"
    assert close.exit_code == 3
    assert "Did you mean 00000000 'Ops'; 00000000 'Ops '?" in close.stderr


def test_a_workspace_prefix_that_is_also_a_name_is_exit_2(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    spaces = [workspace(id=uuid_n(1), name="dead"), workspace(id=f"dead{uuid_n(2)[4:]}")]
    listing(api, "/api/v1/workspaces", spaces)

    result = run("workspaces", "show", "dead")

    assert result.exit_code == 2
    assert "matches 2 workspaces" in result.stderr


def test_the_installed_script_over_http_takes_names_as_typed(tmp_path: Path) -> None:
    fleet = [agent(id=uuid_n(1), display_name="Maya"), agent(id=uuid_n(2), display_name="Maya ")]
    with serve() as api:
        api.routes[("GET", AGENTS)] = lambda query: (200, fleet[int(query["offset"][0]) :])
        api.reply("GET", f"{AGENTS}/{uuid_n(2)}", 200, fleet[1])
        env = clean_env(
            AITASKER_CONFIG_DIR=str(tmp_path), AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN
        )

        exact = aitasker("agents", "show", "Maya ", "-o", "id", env=env)
        close = aitasker("agents", "show", "MAYA", "-o", "id", env=env)

    assert (exact.returncode, exact.stdout) == (0, f"{uuid_n(2)}\n"), exact.stderr
    assert close.returncode == 3
    assert "Did you mean 00000000 'Maya'; 00000000 'Maya '?" in close.stderr
