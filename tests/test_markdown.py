"""`-o markdown`: a GitHub-flavoured table that shows every value as it is."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from tests.conftest import AGENT_ID, agent, before, uuid_n

AGENTS = "/api/v1/workspaces/agents"


def cells(line: str) -> list[str]:
    """A Markdown table row's cells, split on the pipes that are not escaped."""
    parts, current, escaped = [], "", False
    for char in line.strip()[1:-1]:
        if char == "|" and not escaped:
            parts.append(current.strip())
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return [*parts, current.strip()]


def test_a_list_is_a_header_a_rule_and_a_row_per_item(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=uuid_n(1), display_name="a|b"), agent(id=uuid_n(2), display_name="x\ny")]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=fleet))

    result = run("agents", "list", "-o", "markdown", "--fields", "id,display_name,updated_at")

    lines = result.stdout.splitlines()
    assert lines[0] == "| ID | DISPLAY NAME | UPDATED AT |"
    assert lines[1] == "| --- | --- | --- |"
    assert cells(lines[2]) == [uuid_n(1), "a\\|b", "2025-06-10T16:45:12Z"]
    assert cells(lines[3])[1] == "x\\\\ny"  # a newline is shown, escaped, not a new row
    assert len(lines) == 4


def test_markup_in_values_is_escaped(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    name = "[click](javascript:x) **bold** <b>`code`</b> _i_ ~s~ #1"
    api.get(f"{AGENTS}/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json=agent(display_name=name))
    )

    result = run("agents", "show", AGENT_ID, "-o", "markdown", "--fields", "display_name")

    assert result.stdout.splitlines()[:2] == ["| Field | Value |", "| --- | --- |"]
    shown = cells(result.stdout.splitlines()[2])[1]
    assert shown == (
        "\\[click\\](javascript:x) \\*\\*bold\\*\\* \\<b\\>\\`code\\`\\</b\\> \\_i\\_ \\~s\\~ \\#1"
    )


def test_bulk_results_are_rows_with_the_error(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2))
    api.post(f"{AGENTS}/{uuid_n(1)}/pause").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(1), status="paused"))
    )
    api.post(f"{AGENTS}/{uuid_n(2)}/pause").mock(
        return_value=httpx.Response(409, json={"detail": "Cancelled agents cannot be paused"})
    )

    result = run("agents", "pause", uuid_n(1), uuid_n(2), "-o", "markdown", "-j", "1")

    assert result.exit_code == 9
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "| ID | OK | DISPLAY NAME | STATUS | ERROR | OUTCOME | STATUS BEFORE | STATUS AFTER |"
    )
    rows = {cells(line)[0]: cells(line) for line in lines[2:]}
    assert rows[uuid_n(1)][1:4] == ["true", "Maya – Social Media", "paused"]
    assert rows[uuid_n(2)][1] == "false"
    assert rows[uuid_n(2)][4] == "Cancelled agents cannot be paused"


def test_an_empty_list_is_a_header_only(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[]))

    result = run("agents", "list", "-o", "markdown", "--fields", "id,status")

    assert result.exit_code == 0
    assert result.stdout == "| ID | STATUS |\n| --- | --- |\n"


def test_an_empty_csv_list_still_has_its_header(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[]))

    result = run("agents", "list", "-o", "csv", "--fields", "id,status")

    assert result.stdout == "id,status\r\n"


def test_a_streamed_json_list_is_the_same_bytes_as_one_dump(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    import json

    fleet = [agent(id=uuid_n(n), display_name=f"Agent {n} – ü") for n in range(3)]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=fleet))

    result = run("agents", "list", "-o", "json")

    assert result.stdout == json.dumps(fleet, indent=2, ensure_ascii=False) + "\n"
