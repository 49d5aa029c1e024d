"""What a consumer of stdout cannot be hurt by: formula cells, field paths, failing streams."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from typing import Any

import httpx
import pytest
import respx

from tests.conftest import AGENT_ID, agent
from tests.processes import clean_env, installed_script

AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "-cmd|' /C calc'!A0"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_neutralises_cells_a_spreadsheet_would_run(
    run: Any, api: respx.MockRouter, logged_in: str, formula: str
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent(display_name=formula)))

    result = run("agents", "show", AGENT_ID, "-o", "csv", "--fields", "display_name,tier")

    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[1][0].startswith("'")
    assert rows[1][0] == "'" + formula


@pytest.mark.parametrize("value", ["-5", "+3.25", "-1e10", "plain", "a=b"])
def test_csv_leaves_numbers_and_plain_text_alone(
    run: Any, api: respx.MockRouter, logged_in: str, value: str
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent(display_name=value)))

    result = run("agents", "show", AGENT_ID, "-o", "csv", "--fields", "display_name")

    assert list(csv.reader(io.StringIO(result.stdout)))[1] == [value]


@pytest.mark.parametrize("fmt", ["tsv", "json", "ndjson"])
def test_other_formats_stay_byte_exact(
    run: Any, api: respx.MockRouter, logged_in: str, fmt: str
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent(display_name="=1+1")))

    result = run("agents", "show", AGENT_ID, "-o", fmt, "--fields", "display_name")

    assert "'=1+1" not in result.stdout and "=1+1" in result.stdout


@pytest.mark.parametrize(
    "fields",
    [".".join(["a"] * 10_000), "id,id.x", "workspace.id,workspace", "a..b", "."],
)
def test_field_paths_that_cannot_be_projected_are_usage_errors(
    run: Any, api: respx.MockRouter, logged_in: str, fields: str
) -> None:
    route = api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "show", AGENT_ID, "-o", "json", "--fields", fields)

    assert result.exit_code == 2, result.stderr
    assert not route.called
    assert len(result.stderr) < 400


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-1"])
@pytest.mark.parametrize("option", ["--timeout", "--wait-timeout"])
def test_non_finite_or_absurd_seconds_are_usage_errors(
    run: Any, api: respx.MockRouter, logged_in: str, option: str, value: str
) -> None:
    route = api.post(f"{AGENT_PATH}/pause").mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "pause", AGENT_ID, "--wait", f"{option}={value}")

    assert result.exit_code == 2
    assert not route.called


def test_timeout_from_the_environment_is_checked_too(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_TIMEOUT", "nan")

    assert run("agents", "show", AGENT_ID).exit_code == 2


@pytest.mark.parametrize(
    ("redirect", "reason"),
    [("> /dev/full", "No space left on device"), (">&-", "it is closed")],
)
def test_stdout_that_cannot_be_written_is_exit_10(
    tmp_path: Any, redirect: str, reason: str
) -> None:
    env = clean_env(HOME=str(tmp_path), AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))
    script = f"'{installed_script()}' --sandbox agents list -o json {redirect}"

    completed = subprocess.run(
        ["/bin/bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )

    assert completed.returncode == 10
    assert completed.stderr == f"Error: cannot write to standard output: {reason}\n"


def test_a_closed_stdout_is_not_taken_by_the_next_file_opened(tmp_path: Any) -> None:
    """The sandbox state must not land on descriptor 1 and receive the output."""
    env = clean_env(HOME=str(tmp_path), AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))
    script = f"'{installed_script()}' --sandbox agents pause {AGENT_ID} -o json >&-"

    subprocess.run(["/bin/bash", "-c", script], capture_output=True, env=env, timeout=60)
    again = subprocess.run(
        [installed_script(), "--sandbox", "agents", "list", "-o", "id"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("fmt", ["json", "ndjson", "table", "tsv", "csv", "id"])
def test_a_lone_surrogate_from_the_server_never_crashes_a_listing(
    run: Any, api: respx.MockRouter, logged_in: str, fmt: str
) -> None:
    body = b'[{"id": "%s", "status": "active", "display_name": "\\ud800 x"}]' % AGENT_ID.encode()
    api.get("/api/v1/workspaces/agents").mock(return_value=httpx.Response(200, content=body))

    result = run("agents", "list", "-o", fmt)

    assert result.exit_code == 0, result.stderr
    assert AGENT_ID[: 8 if fmt == "table" else 36] in result.stdout
    assert "\ud800" not in result.stdout
    if fmt == "json":
        assert json.loads(result.stdout)[0]["display_name"] == "\ud800 x"
