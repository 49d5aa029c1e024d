"""`aitasker api PATH`: the raw escape hatch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.conftest import API, TOKEN, agent, uuid_n

AGENTS = "/api/v1/workspaces/agents"


def test_get_with_fields_as_query(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    route = api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent()]))

    result = run("api", AGENTS, "-f", "status=paused", "-f", "limit=1")

    assert result.exit_code == 0
    assert result.json() == [agent()]
    request = route.calls[0].request
    assert dict(request.url.params) == {"status": "paused", "limit": "1"}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


def test_post_with_fields_sends_json(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    route = api.post("/api/v1/tasks").mock(return_value=httpx.Response(200, json={"id": "t"}))

    result = run(
        "api",
        "api/v1/tasks",
        "-X",
        "post",
        "-f",
        "category=marketing",
        "-F",
        "budget_usd=15",
        "-F",
        'requirements={"tone": "warm"}',
        "-F",
        "draft=true",
    )

    assert result.exit_code == 0
    assert json.loads(route.calls[0].request.content) == {
        "category": "marketing",
        "budget_usd": 15,
        "requirements": {"tone": "warm"},
        "draft": True,
    }
    assert route.calls[0].request.headers["content-type"] == "application/json"


def test_input_from_file_and_stdin(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    route = api.post(AGENTS).mock(return_value=httpx.Response(200, json={"ok": 1}))
    body = tmp_path / "hire.json"
    body.write_text('{"agent_type": "seo_specialist", "tier": "pro"}')

    from_file = run("api", AGENTS, "--input", str(body))
    from_stdin = run("api", AGENTS, "--input", "-", stdin='{"agent_type": "x", "tier": "y"}')
    missing = run("api", AGENTS, "--input", str(tmp_path / "nope.json"))

    assert from_file.exit_code == from_stdin.exit_code == 0
    assert json.loads(route.calls[0].request.content)["tier"] == "pro"
    assert json.loads(route.calls[1].request.content)["tier"] == "y"
    assert missing.exit_code == 2 and route.call_count == 2


def test_typed_field_from_a_file(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Path
) -> None:
    route = api.patch(f"{AGENTS}/{uuid_n(1)}").mock(return_value=httpx.Response(200, json={}))
    note = tmp_path / "name.txt"
    note.write_text("Maya – renamed")

    run("api", f"{AGENTS}/{uuid_n(1)}", "-X", "PATCH", "-F", f"display_name=@{note}")

    assert json.loads(route.calls[0].request.content) == {"display_name": "Maya – renamed"}


def test_headers_are_sent_but_authorization_is_ours(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get("/health").mock(return_value=httpx.Response(200, json={"status": "ok"}))

    sent = run("api", "/health", "-H", "X-Trace: abc")
    refused = run("api", "/health", "-H", "Authorization: Bearer other")

    assert route.calls[0].request.headers["x-trace"] == "abc"
    assert refused.exit_code == 2 and route.call_count == 1
    assert sent.json() == {"status": "ok"}


def test_paginate_collects_or_streams(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(1, 121)]

    def pages(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return httpx.Response(200, json=fleet[offset : offset + min(limit, 50)])

    route = api.get(AGENTS).mock(side_effect=pages)

    collected = run("api", AGENTS, "--paginate", "-f", "status=active", "-H", "X-Trace: t1")
    streamed = run("api", AGENTS, "--paginate", "-o", "ndjson", "-f", "limit=40")

    assert collected.json() == fleet
    assert [json.loads(line)["id"] for line in streamed.stdout.splitlines()] == [
        a["id"] for a in fleet
    ]
    assert route.calls[0].request.url.params["status"] == "active"
    assert route.calls[1].request.headers["x-trace"] == "t1"  # on every page
    assert {c.request.url.params["limit"] for c in route.calls[-4:]} == {"40"}


def test_paginate_needs_get(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    assert run("api", AGENTS, "--paginate", "-X", "POST").exit_code == 2
    assert not api.calls


@pytest.mark.parametrize(("status", "code"), [(401, 4), (403, 5), (404, 3), (409, 6), (500, 7)])
def test_errors_keep_the_contract_exit_codes(
    run: Any, api: respx.MockRouter, logged_in: str, status: int, code: int
) -> None:
    api.get("/api/v1/anything").mock(return_value=httpx.Response(status, json={"detail": "no"}))

    result = run("api", "/api/v1/anything")

    assert result.exit_code == code
    assert result.stdout == ""


def test_text_bodies_are_printed_safely(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get("/robots.txt").mock(return_value=httpx.Response(200, text="User-agent: *\x1b[2J\n"))

    result = run("api", "/robots.txt")

    assert result.stdout == "User-agent: *\\x1b[2J\n"


def test_other_hosts_are_refused_own_origin_allowed(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get("/health").mock(return_value=httpx.Response(200, json={}))

    refused = run("api", "https://evil.example/api/v1/workspaces")
    allowed = run("api", "https://api.aitasker.co/health")

    assert refused.exit_code == 2 and "the token goes nowhere else" in refused.stderr
    assert allowed.exit_code == 0 and route.call_count == 1


def test_post_is_not_retried_after_it_may_have_arrived(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    route = api.post("/api/v1/tasks").mock(side_effect=[httpx.Response(503), httpx.Response(200)])

    result = run("api", "/api/v1/tasks", "-X", "POST")

    assert result.exit_code == 7 and route.call_count == 1 and sleeps == []


def test_post_is_retried_when_it_cannot_have_arrived(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    route = api.post("/api/v1/tasks").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"id": "t"}),
        ]
    )

    result = run("api", "/api/v1/tasks", "-X", "POST")

    assert result.exit_code == 0 and route.call_count == 3


def test_debug_log_redacts_token_like_query_values(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/api/v1/echo").mock(return_value=httpx.Response(200, json={}))

    result = run("api", "/api/v1/echo", "-f", f"access_token={TOKEN}", "-f", "page=2", "--debug")

    assert "access_token=<redacted>&page=2" in result.stderr  # and the run fixture saw no token


def test_the_query_in_the_path_is_kept(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    route = api.delete("/api/v1/things").mock(return_value=httpx.Response(200, json={}))

    result = run("api", "/api/v1/things?id=123&confirm=true", "-X", "DELETE")

    assert result.exit_code == 0
    assert route.calls[0].request.url.query == b"id=123&confirm=true"


def test_a_query_keeps_repeated_keys_and_merges_with_fields(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get("/api/v1/things").mock(return_value=httpx.Response(200, json=[]))

    run("api", "/api/v1/things?id=1&id=2&q=a%20b+c", "-f", "status=paused", "-f", "id=3")

    params = route.calls[0].request.url.params
    assert params.get_list("id") == ["1", "2", "3"]
    assert params["q"] == "a b c" and params["status"] == "paused"


def test_a_full_url_on_the_api_origin_keeps_its_query(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.post("/api/v1/things").mock(return_value=httpx.Response(200, json={}))

    result = run("api", f"{API}/api/v1/things?scope=one", "-X", "POST", "-f", "name=x")

    assert result.exit_code == 0
    request = route.calls[0].request
    assert request.url.query == b"scope=one"
    assert json.loads(request.content) == {"name": "x"}  # fields go to the body, not the query


def test_paginate_keeps_the_query_of_the_path(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent()]))

    run("api", f"{AGENTS}?status=paused", "--paginate")

    assert route.calls[0].request.url.params["status"] == "paused"


def test_a_path_prefix_of_the_api_url_is_kept(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get("/prefix/api/v1/x").mock(return_value=httpx.Response(200, json={}))

    inside = run("api", "/api/v1/y/../x", "--api-url", f"{API}/prefix")
    full = run("api", f"{API}/prefix/api/v1/x", "--api-url", f"{API}/prefix")

    assert inside.exit_code == full.exit_code == 0
    assert route.call_count == 2


@pytest.mark.parametrize(
    "path",
    [
        "../../admin",
        "/api/../../admin",
        "/api/v1/%2e%2e/%2E%2E/%2e%2e/admin",
        "/api/..%2f..%2f..%2fadmin",
        "/api/..\\..\\..\\admin",
        f"{API}/prefix/../admin",
        f"{API}/admin",
    ],
)
def test_dot_segments_cannot_climb_out_of_the_api_url(
    run: Any, api: respx.MockRouter, logged_in: str, path: str
) -> None:
    result = run("api", path, "--api-url", f"{API}/prefix")

    assert result.exit_code == 2, result.stderr
    assert not api.calls
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "path", ["/api/v1/x\r\nX-Injected: 1", "/api/v1/x\nabc", "/api/v1/\x00x", "/api/v1/\x1b[2Jx"]
)
def test_control_characters_in_the_path_are_refused(
    run: Any, api: respx.MockRouter, logged_in: str, path: str
) -> None:
    result = run("api", path)

    assert result.exit_code == 2
    assert not api.calls
    assert "\x1b" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "header",
    [
        "X-Note: café",  # not ASCII
        "X-Note: a\rb",
        "X Note: spaced",  # a name is a token
        "X-Nöte: v",
        "X-Note\x1b: v",
        "(X): v",
    ],
)
def test_headers_that_http_cannot_carry_are_refused(
    run: Any, api: respx.MockRouter, logged_in: str, header: str
) -> None:
    result = run("api", "/health", "-H", header)

    assert result.exit_code == 2, result.stderr
    assert not api.calls
    assert "\x1b" not in result.stderr and "\r" not in result.stderr


def test_a_header_value_is_not_echoed_when_refused(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    result = run("api", "/health", "-H", "X-Api-Key: sécret-value")

    assert result.exit_code == 2
    assert "sécret-value" not in result.stderr and "X-Api-Key" in result.stderr


@pytest.mark.parametrize("method", ["GET /admin", "PO\nST", "DÉLETE"])
def test_a_method_that_is_not_a_token_is_refused(
    run: Any, api: respx.MockRouter, logged_in: str, method: str
) -> None:
    result = run("api", "/health", "-X", method)

    assert result.exit_code == 2
    assert not api.calls


def test_paginate_sends_repeated_query_keys_on_every_page(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get(AGENTS).mock(return_value=httpx.Response(200, json=[]))

    result = run("api", f"{AGENTS}?id=1&id=2", "--paginate")

    assert result.exit_code == 0, result.stderr
    assert route.calls[0].request.url.params.get_list("id") == ["1", "2"]


def test_fields_keep_dotted_keys_of_an_object_and_of_each_item(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent(), agent(id=uuid_n(2))]))
    api.get(f"{AGENTS}/{uuid_n(1)}").mock(return_value=httpx.Response(200, json=agent()))

    listed = run("api", AGENTS, "--fields", "id,workspace.name,missing")
    one = run("api", f"{AGENTS}/{uuid_n(1)}", "--fields", "status")

    assert listed.json() == [
        {"id": a, "workspace": {"name": "Maya's workspace"}, "missing": None}
        for a in (agent()["id"], uuid_n(2))
    ]
    assert one.json() == {"status": "active"}


def test_ndjson_writes_one_object_a_line(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent(), agent(id=uuid_n(2))]))
    api.get(f"{AGENTS}/{uuid_n(1)}").mock(return_value=httpx.Response(200, json=agent()))

    listed = run("api", AGENTS, "-o", "ndjson", "--fields", "id")
    one = run("api", f"{AGENTS}/{uuid_n(1)}", "-o", "ndjson")

    assert listed.stdout == f'{{"id":"{agent()["id"]}"}}\n{{"id":"{uuid_n(2)}"}}\n'
    assert one.stdout.count("\n") == 1 and json.loads(one.stdout) == agent()


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "id", "markdown"])
def test_another_format_on_the_command_line_is_a_usage_error(
    run: Any, api: respx.MockRouter, logged_in: str, fmt: str
) -> None:
    route = api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent()]))

    after = run("api", AGENTS, "-o", fmt)
    before = run("-o", fmt, "api", AGENTS)

    for result in (after, before):
        assert result.exit_code == 2 and result.stdout == ""
        assert f"-o {fmt} is not available" in result.stderr
        assert "Traceback" not in result.stderr
    assert not route.calls  # refused before anything is sent


@pytest.mark.parametrize("inherited", ["table", "csv", "tsv", "id", "markdown"])
def test_a_format_from_the_environment_or_profile_means_json(
    run: Any,
    api: respx.MockRouter,
    logged_in: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    inherited: str,
) -> None:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent()]))

    monkeypatch.setenv("AITASKER_OUTPUT", inherited)
    from_env = run("api", AGENTS, "--fields", "id")
    same_as_env = run("api", AGENTS, "-o", inherited, "--fields", "id")
    monkeypatch.delenv("AITASKER_OUTPUT")
    (tmp_path / "config").mkdir(exist_ok=True)
    config = tmp_path / "config" / "config.toml"
    config.write_text(f'[profiles.default]\noutput = "{inherited}"\n')
    from_profile = run("api", AGENTS)
    monkeypatch.setenv("AITASKER_OUTPUT", "json")
    flag_over_env = run("api", AGENTS, "-o", inherited)

    assert from_env.exit_code == same_as_env.exit_code == 0
    assert from_env.json() == same_as_env.json() == [{"id": agent()["id"]}]
    assert from_profile.exit_code == 0 and from_profile.json() == [agent()]
    assert flag_over_env.exit_code == 2  # a flag that differs from the env var was typed


def test_paginate_with_fields_projects_each_item(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(1, 4)]

    def pages(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return httpx.Response(200, json=fleet[offset : offset + limit])

    api.get(AGENTS).mock(side_effect=pages)

    collected = run("api", AGENTS, "--paginate", "-f", "limit=2", "--fields", "id,status")
    streamed = run("api", AGENTS, "--paginate", "-o", "ndjson", "--fields", "id")

    assert collected.json() == [{"id": a["id"], "status": "active"} for a in fleet]
    assert [json.loads(line) for line in streamed.stdout.splitlines()] == [
        {"id": a["id"]} for a in fleet
    ]


def test_fields_on_a_text_or_non_object_response_is_a_usage_error(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/robots.txt").mock(return_value=httpx.Response(200, text="User-agent: *\n"))
    api.get("/api/v1/numbers").mock(return_value=httpx.Response(200, json=[1, 2]))

    text = run("api", "/robots.txt", "--fields", "id")
    numbers = run("api", "/api/v1/numbers", "--fields", "id")

    assert text.exit_code == numbers.exit_code == 2
    assert text.stdout == numbers.stdout == ""
    assert "the response is text, not JSON" in text.stderr
    assert "holds a number" in numbers.stderr


def test_an_explicit_json_format_on_text_says_it_is_shown_as_sent(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/robots.txt").mock(return_value=httpx.Response(200, text="User-agent: *\n"))

    result = run("api", "/robots.txt", "-o", "json")

    assert result.exit_code == 0 and result.stdout == "User-agent: *\n"
    assert "not JSON" in result.stderr
