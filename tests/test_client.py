"""The HTTP layer through the CLI: status → exit code, server messages, retries, bad bodies."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.api import client, responses
from tests.conftest import AGENT_ID, agent, before

AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        (401, 4),
        (403, 5),
        (404, 3),
        (409, 6),
        (422, 6),
        (400, 6),
        (402, 6),
        (500, 7),
        (502, 7),
        (503, 7),
        (504, 7),
        (429, 7),
        (301, 7),
    ],
)
def test_every_status_maps_to_the_contract_exit_code(
    run: Any, api: respx.MockRouter, logged_in: str, status: int, exit_code: int
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(status, json={"detail": "nope"}))

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == exit_code
    assert result.stderr.startswith("Error: ")
    assert result.stdout == ""


def test_fastapi_string_detail_is_the_message(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(
            404, json={"detail": "Hired agent not found"}, headers={"x-request-id": "req_123"}
        )
    )

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 3
    assert result.stderr == "Error: Hired agent not found (HTTP 404)\nRequest ID: req_123\n"


def test_fastapi_validation_detail_lists_fields(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    detail = [
        {
            "loc": ["path", "agent_id"],
            "msg": "Input should be a valid UUID",
            "type": "uuid_parsing",
        },
        {"loc": ["query", "limit", 0], "msg": "too big", "type": "less_than"},
    ]
    before(api, "active", AGENT_ID)
    api.post(f"{AGENT_PATH}/pause").mock(return_value=httpx.Response(422, json={"detail": detail}))

    result = run("agents", "pause", AGENT_ID)

    assert result.exit_code == 6
    assert "path.agent_id: Input should be a valid UUID; query.limit.0: too big" in result.stderr


def test_401_hints_at_login(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(401, json={"detail": "Not authenticated"}))

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 4
    assert "aitasker auth login" in result.stderr


@pytest.mark.parametrize("status", [404, 502, 200])
def test_html_pages_are_never_dumped(
    run: Any, api: respx.MockRouter, logged_in: str, status: int
) -> None:
    page = "<html><body><h1>Bad Gateway</h1><script>x()</script></body></html>"
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(status, text=page, headers={"content-type": "text/html"})
    )

    result = run("agents", "show", AGENT_ID, "--retries", "0")

    assert "<html>" not in result.stderr and "<h1>" not in result.stderr
    assert result.exit_code == {404: 3, 502: 7, 200: 7}[status]
    if status == 200:
        assert "not JSON (text/html)" in result.stderr


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "6f1c2b9e-4d7a-4c1e',
        b"",
        b"null",
        b"[]",
        b'"text"',
        b'{"id": 5, "status": "x"}',
        b'{"status": "active"}',
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": null}',
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": "a", "workspace": []}',
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": "a", "paused_at": "soon"}',
        # Not the documented JSON, so never printed to a JSON consumer:
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": "active", "x": NaN}',
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": "active", "x": Infinity}',
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": "active", "x": -Infinity}',
        b'{"id": "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47", "status": "active", "x": 1e999}',
    ],
)
def test_truncated_or_wrong_shape_bodies_exit_7(
    run: Any, api: respx.MockRouter, logged_in: str, body: bytes
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, content=body))

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.exit_code == 7
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_list_that_is_not_a_list_exits_7(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get("/api/v1/workspaces/agents").mock(
        return_value=httpx.Response(200, json={"items": [agent()]})
    )

    result = run("agents", "list")

    assert result.exit_code == 7
    assert "where a list was expected" in result.stderr


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_are_retried_then_succeed(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float], status: int
) -> None:
    before(api, "active", AGENT_ID)
    route = api.post(f"{AGENT_PATH}/pause").mock(
        side_effect=[
            httpx.Response(status),
            httpx.Response(status),
            httpx.Response(200, json=agent()),
        ]
    )

    result = run("agents", "pause", AGENT_ID, "-o", "id")

    assert result.exit_code == 0
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0  # exponential, jittered


def test_500_is_not_retried(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    route = api.get(AGENT_PATH).mock(return_value=httpx.Response(500))

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 7
    assert route.call_count == 1 and sleeps == []


def test_retries_give_up_after_the_limit(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    route = api.get(AGENT_PATH).mock(
        return_value=httpx.Response(503, json={"detail": "maintenance"})
    )

    result = run("agents", "show", AGENT_ID, "--retries", "2")

    assert result.exit_code == 7
    assert route.call_count == 3 and len(sleeps) == 2
    assert "maintenance" in result.stderr


def test_retries_from_env(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_RETRIES", "0")
    route = api.get(AGENT_PATH).mock(return_value=httpx.Response(503))

    assert run("agents", "show", AGENT_ID).exit_code == 7
    assert route.call_count == 1


def test_retry_after_seconds_is_honoured(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    api.get(AGENT_PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=agent()),
        ]
    )

    assert run("agents", "show", AGENT_ID).exit_code == 0
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured_and_capped(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    soon = email.utils.formatdate(time.time() + 20, usegmt=True)
    much_later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    api.get(AGENT_PATH).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": soon}),
            httpx.Response(503, headers={"Retry-After": much_later}),
            httpx.Response(200, json=agent()),
        ]
    )

    assert run("agents", "show", AGENT_ID).exit_code == 0
    assert 15 <= sleeps[0] <= 20
    assert sleeps[1] == responses.RETRY_AFTER_CAP_SECONDS


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")],
)
def test_connection_errors_are_retried_then_exit_7(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float], failure: Exception
) -> None:
    before(api, "active", AGENT_ID)
    route = api.post(f"{AGENT_PATH}/pause").mock(side_effect=failure)

    result = run("agents", "pause", AGENT_ID)

    assert result.exit_code == 7
    assert route.call_count == 4 and len(sleeps) == 3
    assert "cannot reach https://api.aitasker.co" in result.stderr


def test_connection_error_then_success(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    before(api, "active", AGENT_ID)
    api.post(f"{AGENT_PATH}/pause").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(200, json=agent(status="paused")),
        ]
    )

    result = run("agents", "pause", AGENT_ID, "-o", "json")

    assert result.exit_code == 0 and result.json()["status"] == "paused"


def test_redirects_are_not_followed(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(307, headers={"Location": "https://evil.example/steal"})
    )
    other = respx.get("https://evil.example/steal")

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 7
    assert "redirect" in result.stderr
    assert not other.called


def test_debug_logs_exchanges_without_the_token(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENT_PATH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json=agent(), headers={"x-request-id": "r1"}),
        ]
    )

    result = run("agents", "show", AGENT_ID, "--debug", "-o", "id")

    assert result.exit_code == 0
    assert f"debug: GET https://api.aitasker.co{AGENT_PATH} -> 503" in result.stderr
    assert "retrying in" in result.stderr
    assert "(request id r1)" in result.stderr


def test_timeout_option_reaches_httpx(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    route = api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    run("agents", "show", AGENT_ID, "--timeout", "2.5")

    assert route.calls[0].request.extensions["timeout"]["read"] == 2.5


def test_an_exhausted_rate_limit_spaces_requests_out(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    def exhausted(request: httpx.Request) -> httpx.Response:
        agent_id = request.url.path.split("/")[-2]
        return httpx.Response(
            200,
            json=agent(id=agent_id, status="paused"),
            headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"},
        )

    api.post(url__regex=r".*/pause$").mock(side_effect=exhausted)
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1, 5)]
    before(api, "active", *ids)

    result = run("agents", "pause", *ids, "-o", "id", "--concurrency", "1")

    assert result.exit_code == 0
    assert sleeps == [pytest.approx(0.2)] * 3  # 60 s / 300, between the 4 requests


def test_plenty_of_rate_limit_left_means_no_pause(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(
            200, json=agent(), headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "250"}
        )
    )

    run("agents", "show", AGENT_ID)
    run("agents", "show", AGENT_ID)

    assert sleeps == []


def test_a_429_holds_every_worker_back(sleeps: list[float]) -> None:
    throttle = client.Throttle(clock=client.clock, sleep=client.sleep)
    refused = httpx.Response(429, headers={"Retry-After": "5"})

    throttle.observe(refused, 5.0)
    throttle.wait()  # another worker, about to send

    assert sleeps == [5.0]


def test_a_server_that_ignores_offset_is_stopped_with_exit_7(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=f"00000000-0000-4000-8000-{n:012d}") for n in range(50)]
    calls = []

    def same_page_reversed_every_other_time(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=fleet if len(calls) % 2 else fleet[::-1])

    api.get("/api/v1/workspaces/agents").mock(side_effect=same_page_reversed_every_other_time)

    result = run("agents", "list", "--all", "-o", "id")

    assert result.exit_code == 7
    assert "the API repeated itself" in result.stderr
    assert len(calls) == 2
    assert result.stdout.splitlines() == [item["id"] for item in fleet]  # what it did send


def test_a_server_that_does_not_page_at_all_gives_its_short_list_once(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/api/v1/workspaces/agents").mock(
        return_value=httpx.Response(200, json=[agent(), agent(id=AGENT_ID.replace("6", "7"))])
    )

    result = run("agents", "list", "--all", "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.parametrize("status", [200, 404, 500])
@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_deeply_nested_json_is_exit_7_in_one_line(
    run: Any, api: respx.MockRouter, logged_in: str, status: int, depth: int
) -> None:
    nested = b'{"detail": ' * depth + b"1" + b"}" * depth
    api.get(AGENT_PATH).mock(return_value=httpx.Response(status, content=nested))

    result = run("agents", "show", AGENT_ID, "-o", "json", "--retries", "0")

    assert result.exit_code == (7 if status != 404 else 3)
    assert result.stdout == ""
    assert result.stderr.count("\n") <= 3 and "Traceback" not in result.stderr


def test_a_body_over_the_cap_is_exit_7(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    huge = b"[" + b'"x",' * (client.MAX_BODY_BYTES // 4) + b'"x"]'
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, content=huge))

    result = run("agents", "list", "--limit", "5", "-o", "json")

    assert result.exit_code == 7
    assert "larger than 16 MiB" in result.stderr
    assert result.stdout == ""


def test_a_long_server_message_is_redacted_before_it_is_cut(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    """A token that straddles the cut must not leak its first characters."""
    message = "x" * 480 + logged_in
    api.get(AGENT_PATH).mock(return_value=httpx.Response(409, json={"detail": message}))

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 6
    assert logged_in[:10] not in result.stderr


def test_a_cookie_the_server_sets_is_never_sent_back(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    """A CLI call carries the token and nothing else a server handed out earlier."""
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(200, json=agent(), headers={"Set-Cookie": "session=abc"})
    )
    pause = api.post(f"{AGENT_PATH}/pause").mock(
        return_value=httpx.Response(200, json=agent(status="paused"))
    )

    result = run("agents", "pause", AGENT_ID, "-o", "id")

    assert result.exit_code == 0
    assert "cookie" not in pause.calls.last.request.headers


def test_each_request_says_who_sends_it_and_what_it_accepts(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    shown = api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    assert run("agents", "show", AGENT_ID).exit_code == 0

    headers = shown.calls.last.request.headers
    assert headers["user-agent"] == client.USER_AGENT
    assert headers["accept"] == "application/json"
    assert headers["authorization"] == f"Bearer {logged_in}"
    assert "gzip" in headers["accept-encoding"]


def test_a_gzip_body_is_read_decompressed(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    import gzip
    import json

    body = gzip.compress(json.dumps(agent(display_name="Zipped")).encode())
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(
            200,
            content=body,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    )

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.exit_code == 0 and result.json()["display_name"] == "Zipped"
