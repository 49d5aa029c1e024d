"""Hostile input, checked by property: random responses, random field values, random argv."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AGENT_ID, agent

CONTRACT_CODES = {0, 2, 3, 4, 5, 6, 7, 8, 9, 130}
"""Every exit code but 1, which means a bug."""
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def no_traceback(result: Any) -> None:
    assert result.exit_code in CONTRACT_CODES, result.stderr
    assert "Traceback" not in result.stderr


@PROPERTY
@given(body=st.binary(max_size=300))
def test_random_bytes_as_a_response(
    run: Any, api: respx.MockRouter, logged_in: str, body: bytes
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, content=body))

    no_traceback(run("agents", "show", AGENT_ID, "--retries", "0"))


@PROPERTY
@given(body=json_values, status=st.sampled_from([200, 400, 401, 404, 409, 422, 500, 503]))
def test_random_json_as_a_response(
    run: Any, api: respx.MockRouter, logged_in: str, body: Any, status: int
) -> None:
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(status, json=body))

    no_traceback(run("agents", "list", "--retries", "0", "-o", "json"))


@PROPERTY
@given(body=json_values)
def test_random_json_shaped_like_an_agent(
    run: Any, api: respx.MockRouter, logged_in: str, body: Any
) -> None:
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(200, json={**agent(), "config": body, "display_name": body})
    )

    no_traceback(run("agents", "show", AGENT_ID, "-o", "table"))


field_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@PROPERTY
@given(
    name=field_text,
    kind=field_text,
    status=field_text,
    tier=field_text,
    fmt=st.sampled_from(["table", "tsv", "csv"]),
)
def test_random_text_in_every_field_never_reaches_the_terminal_raw(
    run: Any,
    api: respx.MockRouter,
    logged_in: str,
    name: str,
    kind: str,
    status: str,
    tier: str,
    fmt: str,
) -> None:
    hostile = agent(
        display_name=name,
        agent_type=kind,
        status=status,
        tier=tier,
        persona_name=name,
        workspace={"id": AGENT_ID, "name": kind, "status": tier},
    )
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=[hostile]))

    result = run(
        "agents",
        "list",
        "-o",
        fmt,
        "--fields",
        "display_name,agent_type,status,tier,persona_name,workspace.name",
    )

    no_traceback(result)
    assert not RAW_CONTROL.search(result.stdout.replace("\r\n", "\n"))


@PROPERTY
@given(name=field_text)
def test_random_text_round_trips_through_json(
    run: Any, api: respx.MockRouter, logged_in: str, name: str
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent(display_name=name)))

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert json.loads(result.stdout)["display_name"] == name
    assert not RAW_CONTROL.search(result.stdout)


WORDS = [
    "agents",
    "workspaces",
    "auth",
    "api",
    "sandbox",
    "reset",
    "doctor",
    "completion",
    "list",
    "show",
    "pause",
    "resume",
    "tasks",
    "status",
    "token",
    "logout",
    "login",
    "--all",
    "--limit",
    "-o",
    "json",
    "--fields",
    "--stdin",
    "--wait",
    "--wait-timeout",
    "--sandbox",
    "--profile",
    "--api-url",
    "--timeout",
    "--retries",
    "-X",
    "-f",
    "--debug",
    "--help",
    "--version",
    "bash",
    "0",
    "-1",
    "x=y",
    AGENT_ID,
    "../x",
    "",
    "--",
    "-",
]


@PROPERTY
@given(argv=st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=6))
def test_random_argv_never_crashes_the_parser(
    run: Any,
    api: respx.MockRouter,
    argv: list[str],
) -> None:
    if "serve" in argv:  # would start a server and wait for Ctrl-C
        return
    result = run(*argv)

    no_traceback(result)
    assert not api.calls  # no token is set: nothing may have been sent


INTERRUPT_POINTS = [
    "aitasker_cli.local.config.load_profile",
    "aitasker_cli.local.auth.resolve_token",
    "aitasker_cli.api.client.ApiClient._send",
    "aitasker_cli.output.render.show",
    "aitasker_cli.output.sink.out",
]


@pytest.mark.parametrize("point", INTERRUPT_POINTS)
def test_ctrl_c_anywhere_exits_130_with_one_line(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    def interrupt(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(point, interrupt)
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.exit_code == 130
    assert result.stderr == "Interrupted.\n"
