"""Output safety and shape: server strings are data, never markup or terminal commands."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.output import render
from tests.conftest import AGENT_ID, WORKSPACE_ID, agent, before, task, workspace

HOSTILE = [
    "[bold red]pwned[/]",
    "a [/] b",
    "evil\x1b]0;title\x07 \x1b[31mred\x1b[0m",
    "line1\nline2\ttab\rcr",
    "c1\x9b31m csi",
    "bidi \u202egnp.exe",
    "back\\slash",
    "emoji 👩‍💻 ünïcödé",
]
MARKUP = HOSTILE[:2]
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_raw_control(output: str) -> bool:
    """True if anything but a line or row break is a control character."""
    return bool(RAW_CONTROL.search(output.replace("\r\n", "\n")))


def hostile_agent(text: str) -> dict[str, Any]:
    return agent(
        display_name=text,
        agent_type=text,
        status=text,
        tier=text,
        persona_name=text,
        stripe_subscription_id=text,
        team_type=text,
        config={"note": text},
        workspace=workspace(name=text, status=text),
    )


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("fmt", ["table", "tsv", "csv"])
def test_list_neutralises_every_field(
    run: Any, api: respx.MockRouter, logged_in: str, text: str, fmt: str
) -> None:
    api.get("/api/v1/workspaces/agents").mock(
        return_value=httpx.Response(200, json=[hostile_agent(text)])
    )

    result = run(
        "agents",
        "list",
        "-o",
        fmt,
        "--fields",
        "display_name,agent_type,status,tier,persona_name,workspace.name,config",
    )

    assert result.exit_code == 0, result.stderr
    assert not has_raw_control(result.stdout)
    if text in MARKUP:
        assert text in result.stdout  # markup shown literally, brackets and all
    if "\x1b" in text:
        assert "\\x1b" in result.stdout
    if fmt == "tsv":
        assert all(len(line.split("\t")) == 7 for line in result.stdout.splitlines())


@pytest.mark.parametrize("text", HOSTILE)
def test_show_table_neutralises_every_field(
    run: Any, api: respx.MockRouter, logged_in: str, text: str
) -> None:
    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json=hostile_agent(text))
    )

    result = run("agents", "show", AGENT_ID, "-o", "table")

    assert result.exit_code == 0, result.stderr
    assert not has_raw_control(result.stdout)
    if text in MARKUP:
        assert result.stdout.count(text) >= 6


@pytest.mark.parametrize("text", HOSTILE)
def test_json_round_trips_hostile_strings_without_raw_controls(
    run: Any, api: respx.MockRouter, logged_in: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "20")  # JSON must not be wrapped at the terminal width
    body = hostile_agent(text)
    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json=body)
    )

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.json() == body
    assert not has_raw_control(result.stdout)


def test_ndjson_is_one_object_per_line(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    bodies = [hostile_agent("x\ny"), {**hostile_agent("x\ny"), "id": WORKSPACE_ID}]
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, json=bodies))

    result = run("agents", "list", "-o", "ndjson")

    assert [json.loads(line) for line in result.stdout.splitlines()] == bodies


def test_server_error_message_is_neutralised_on_stderr(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}").mock(
        return_value=httpx.Response(404, json={"detail": "gone\x1b[2J[bold]x[/]\nfake line"})
    )

    result = run("workspaces", "show", WORKSPACE_ID)

    assert result.exit_code == 3
    assert "\x1b" not in result.stderr
    assert "gone\\x1b[2J[bold]x[/]" in result.stderr


def test_tsv_times_are_iso_utc_and_table_times_relative(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    recent = (datetime.now(timezone.utc) - timedelta(minutes=3)).isoformat()
    offset_time = "2025-06-10T18:45:12+02:00"
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}/tasks").mock(
        return_value=httpx.Response(
            200, json=[task(created_at=recent), task(id=AGENT_ID, created_at=offset_time)]
        )
    )

    table = run("workspaces", "tasks", WORKSPACE_ID, "-o", "table")
    tsv = run("workspaces", "tasks", WORKSPACE_ID, "-o", "tsv", "--fields", "created_at")

    assert "3 min ago" in table.stdout
    assert tsv.stdout.splitlines()[1] == "2025-06-10T16:45:12Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", tsv.stdout.splitlines()[0])


def test_unparseable_time_is_shown_as_sent(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(f"/api/v1/workspaces/{WORKSPACE_ID}").mock(
        return_value=httpx.Response(
            200, json={**workspace(), "last_active_at": None, "extra_at": "soon"}
        )
    )

    result = run("workspaces", "show", WORKSPACE_ID, "--fields", "extra_at,last_active_at")

    assert result.stdout == "soon\t\n"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=3), "3 min ago"),
        (timedelta(hours=5), "5 h ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=4), "4 days ago"),
        (-timedelta(hours=2), "in 2 h"),
        (timedelta(days=400), "2025-10-24"),
    ],
)
def test_relative_time(delta: timedelta, expected: str) -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)

    assert render.relative_time(now - delta, now) == expected


def test_colour_only_when_asked(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich would colour even into a pipe
    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json=agent())
    )

    coloured = run("agents", "show", AGENT_ID, "-o", "table")
    plain = run("agents", "show", AGENT_ID, "-o", "table", "--no-color")
    monkeypatch.setenv("NO_COLOR", "1")
    no_color_env = run("agents", "show", AGENT_ID, "-o", "table")

    assert "\x1b[" in coloured.stdout
    assert "\x1b[" not in plain.stdout and "\x1b[" not in no_color_env.stdout


COMMANDS: dict[str, tuple[list[str], str, str, Any]] = {
    "agents list": (["agents", "list"], "GET", "/api/v1/workspaces/agents", [agent()]),
    "agents show": (
        ["agents", "show", AGENT_ID],
        "GET",
        f"/api/v1/workspaces/agents/{AGENT_ID}",
        agent(),
    ),
    "agents pause": (
        ["agents", "pause", AGENT_ID],
        "POST",
        f"/api/v1/workspaces/agents/{AGENT_ID}/pause",
        agent(status="paused"),
    ),
    "agents resume": (
        ["agents", "resume", AGENT_ID],
        "POST",
        f"/api/v1/workspaces/agents/{AGENT_ID}/resume",
        agent(),
    ),
    "workspaces list": (["workspaces", "list"], "GET", "/api/v1/workspaces", [workspace()]),
    "workspaces show": (
        ["workspaces", "show", WORKSPACE_ID],
        "GET",
        f"/api/v1/workspaces/{WORKSPACE_ID}",
        workspace(),
    ),
    "workspaces tasks": (
        ["workspaces", "tasks", WORKSPACE_ID],
        "GET",
        f"/api/v1/workspaces/{WORKSPACE_ID}/tasks",
        [task()],
    ),
    "auth status": (["auth", "status"], "GET", "/api/v1/workspaces", []),
}


@pytest.mark.parametrize("fmt", render.FORMATS)
@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_in_every_format(
    run: Any, api: respx.MockRouter, logged_in: str, name: str, fmt: str
) -> None:
    argv, method, path, body = COMMANDS[name]
    api.route(method=method, path=path).mock(return_value=httpx.Response(200, json=body))
    if name in ("agents pause", "agents resume"):
        before(api, "active" if name == "agents pause" else "paused", AGENT_ID)

    result = run(*argv, "-o", fmt)

    assert result.exit_code == 0, result.stderr
    expected: dict[str, Any] = body[0] if isinstance(body, list) and body else body
    if name == "auth status":
        expected = {"profile": "default", "source": "env", "verified": True}
    if fmt == "json":
        parsed = result.json()
        assert (parsed[0] if isinstance(parsed, list) else parsed).items() >= expected.items()
    elif fmt == "ndjson":
        assert json.loads(result.stdout.splitlines()[0]).items() >= expected.items()
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert len(rows) == 1 and rows[0].get("id", rows[0].get("profile")) == str(
            expected.get("id", "default")
        )
    elif fmt == "id":
        assert result.stdout == f"{expected.get('id', '')}\n"
    elif fmt == "table" and (name.endswith("list") or name == "workspaces tasks"):
        # Lists show IDs short, as git and docker do; every other format keeps them whole.
        short = str(expected["id"])[:8]
        assert short in result.stdout and str(expected["id"]) not in result.stdout
    else:
        assert str(expected.get("id", "default")) in result.stdout
