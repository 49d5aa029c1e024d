"""`aitasker api PATH`: the raw escape hatch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from tests.conftest import TOKEN, agent, uuid_n

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
