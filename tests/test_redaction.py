"""Redaction by one rule: stdout loses only the registered token, stderr also token shapes.

Each layer has its own test, so removing either one fails a test (hardening issue, item 2).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from tests.conftest import AGENT_ID, agent, before, uuid_n

AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"
PLAIN_LONG_TOKEN = "Zq9Xw2Lm7Rt4Pk8Vn3Bc6Hj1"
"""Long enough to be a credential, but shaped like none of the platform's: only the registry
knows it is a secret."""
UNREGISTERED_KEY = "aitk_live_N0tTh3T0kenInUseButSh4ped"
"""Shaped like a key, but not the one in use: a pattern, not the registry, catches it."""


def show(run: Any, api: respx.MockRouter, body: dict[str, Any], *argv: str) -> Any:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=body))
    return run("agents", "show", AGENT_ID, *argv)


@pytest.mark.parametrize("fmt", ["json", "table", "tsv", "csv", "ndjson"])
def test_a_short_token_never_alters_data(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("AITASKER_TOKEN", "a")

    result = show(run, api, agent(display_name="Maya – Sales"), "-o", fmt)

    assert result.exit_code == 0
    assert "<redacted>" not in result.stdout
    assert "Maya – Sales" in result.stdout
    assert AGENT_ID in result.stdout or fmt == "table"


@pytest.mark.parametrize("fmt", ["json", "table", "tsv", "csv", "ndjson", "id"])
def test_the_registered_token_is_replaced_on_stdout_in_every_format(
    run: Any, api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("AITASKER_TOKEN", PLAIN_LONG_TOKEN)
    fields = "id,display_name" if fmt != "id" else "id"
    body = agent(display_name=f"leak {PLAIN_LONG_TOKEN}", id=AGENT_ID)

    result = show(run, api, body, "-o", fmt, "--fields", fields)

    assert result.exit_code == 0
    assert PLAIN_LONG_TOKEN not in result.stdout
    assert fmt == "id" or "<redacted>" in result.stdout


def test_token_shapes_in_data_stay_on_stdout_but_not_on_stderr(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    """Data is never altered by a pattern; messages are."""
    result = show(run, api, agent(display_name=UNREGISTERED_KEY), "-o", "json")
    api.get(AGENT_PATH).mock(return_value=httpx.Response(409, json={"detail": UNREGISTERED_KEY}))
    refused = run("agents", "show", AGENT_ID)

    assert UNREGISTERED_KEY in result.stdout
    assert refused.exit_code == 6
    assert UNREGISTERED_KEY not in refused.stderr and "<redacted>" in refused.stderr


def test_the_debug_log_blanks_token_shapes_it_was_never_told_about(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get("/api/v1/things").mock(return_value=httpx.Response(200, json={}))

    result = run("api", f"/api/v1/things?note={UNREGISTERED_KEY}", "--debug")

    assert result.exit_code == 0
    assert "debug: GET" in result.stderr
    assert UNREGISTERED_KEY not in result.stderr


@pytest.mark.parametrize("cut_at", [480, 490, 499, 500, 510])
def test_a_message_is_redacted_before_it_is_cut_on_stderr(
    run: Any, api: respx.MockRouter, logged_in: str, cut_at: int
) -> None:
    api.get(AGENT_PATH).mock(
        return_value=httpx.Response(409, json={"detail": "x" * cut_at + logged_in})
    )

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 6
    assert logged_in[:8] not in result.stderr
    assert len(result.stderr.splitlines()[0]) < 600


def test_a_message_is_redacted_before_it_is_cut_in_bulk_results(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2))
    api.post(url__regex=r".*/pause$").mock(
        return_value=httpx.Response(409, json={"detail": "x" * 490 + logged_in})
    )

    result = run("agents", "pause", uuid_n(1), uuid_n(2), "-o", "ndjson")

    assert result.exit_code == 9
    assert logged_in[:8] not in result.stdout + result.stderr
    assert result.stdout.count('"ok":false') == 2


def test_auth_token_prints_the_token_by_design(run: Any, logged_in: str) -> None:
    result = run("auth", "token")

    assert result.stdout == f"{logged_in}\n"
