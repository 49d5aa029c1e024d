"""`aitasker agents ...` through the real entry point, with respx at the HTTP boundary."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.local import journal_reading
from aitasker_cli.output import render
from tests.conftest import AGENT_ID, TOKEN, agent, before, uuid_n

AGENTS_PATH = "/api/v1/workspaces/agents"
AGENT_PATH = f"{AGENTS_PATH}/{AGENT_ID}"


def paged(items: list[dict[str, Any]], cap: int = 1000) -> Any:
    """A server that honours limit/offset but never returns more than `cap` per page."""

    def respond(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params.get("limit", "50"))
        offset = int(request.url.params.get("offset", "0"))
        return httpx.Response(200, json=items[offset : offset + min(limit, cap)])

    return respond


@pytest.fixture
def fleet() -> list[dict[str, Any]]:
    return [
        agent(id=uuid_n(n), display_name=f"Agent {n}", status="paused" if n % 3 else "active")
        for n in range(1, 8)
    ]


def test_list_sends_token_user_agent_and_paging(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[agent()]))

    result = run("agents", "list", "-o", "json")

    assert result.exit_code == 0, result.stderr
    assert result.json() == [agent()]
    first = route.calls[0].request
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.headers["user-agent"].startswith("aitasker-cli/")
    assert first.url.params["limit"] == "50" and first.url.params["offset"] == "0"


def test_list_table_shows_default_columns(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[agent()]))

    result = run("agents", "list", "-o", "table")

    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split()
    assert header[:4] == ["ID", "DISPLAY", "NAME", "AGENT"]
    assert AGENT_ID[:8] in result.stdout and "Maya – Social Media" in result.stdout
    assert "2025-06-10" in result.stdout  # more than a month ago: shown as a date


def test_list_piped_defaults_to_tsv_without_header(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[agent()]))

    result = run("agents", "list")

    assert result.stdout == (
        f"{AGENT_ID}\tMaya – Social Media\tsocial_media_manager\tactive\tpro\t"
        "2025-06-10T16:45:12Z\n"
    )


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("ndjson", lambda out, items: [json.loads(x) for x in out.splitlines()] == items),
        ("id", lambda out, items: out.split() == [i["id"] for i in items]),
        (
            "csv",
            lambda out, items: (
                [r["id"] for r in csv.DictReader(io.StringIO(out))] == [i["id"] for i in items]
            ),
        ),
        (
            "tsv",
            lambda out, items: (
                [r.split("\t")[0] for r in out.splitlines()] == [i["id"] for i in items]
            ),
        ),
        ("json", lambda out, items: json.loads(out) == items),
    ],
)
def test_list_every_format(
    run: Any,
    api: respx.MockRouter,
    logged_in: str,
    fleet: list[dict[str, Any]],
    fmt: str,
    check: Any,
) -> None:
    api.get(AGENTS_PATH).mock(side_effect=paged(fleet))

    result = run("agents", "list", "-o", fmt)

    assert result.exit_code == 0
    assert check(result.stdout, fleet)


def test_csv_has_header_and_crlf(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[agent(display_name='a, "b"')]))

    result = run("agents", "list", "-o", "csv", "--fields", "id,display_name")

    assert result.stdout == f'id,display_name\r\n{AGENT_ID},"a, ""b"""\r\n'


def test_all_follows_pages_even_when_server_caps_page_size(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(1, 124)]
    route = api.get(AGENTS_PATH).mock(side_effect=paged(fleet, cap=20))

    result = run("agents", "list", "--all", "-o", "id")

    assert result.stdout.split() == [a["id"] for a in fleet]
    offsets = [int(call.request.url.params["offset"]) for call in route.calls]
    assert offsets == [0, 20, 40, 60, 80, 100, 120]  # the page of 3 is shorter: stop


def test_all_stops_on_empty_page(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(1, 101)]
    route = api.get(AGENTS_PATH).mock(side_effect=paged(fleet))

    result = run("agents", "list", "--all", "-o", "id")

    assert len(result.stdout.split()) == 100
    assert [int(c.request.url.params["offset"]) for c in route.calls] == [0, 50, 100]


def test_limit_across_capped_pages(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(1, 200)]
    route = api.get(AGENTS_PATH).mock(side_effect=paged(fleet, cap=30))

    result = run("agents", "list", "--limit", "75", "-o", "id")

    assert result.stdout.split() == [a["id"] for a in fleet[:75]]
    assert [c.request.url.params["limit"] for c in route.calls] == ["50", "45", "15"]


def test_limit_and_all_conflict(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    result = run("agents", "list", "--limit", "5", "--all")

    assert result.exit_code == 2
    assert "--limit and --all" in result.stderr
    assert not api.calls


def test_status_filter_is_sent(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    route = api.get(AGENTS_PATH, params={"status": "paused"}).mock(
        return_value=httpx.Response(200, json=[])
    )

    result = run("agents", "list", "--status", "paused", "-o", "json")

    assert result.stdout.strip() == "[]"
    assert route.called


def test_empty_list_in_table_says_so_on_stderr(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[]))

    result = run("agents", "list", "-o", "table")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No agents found." in result.stderr


def test_show_json_keeps_unknown_fields_and_statuses(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    body = agent(status="hibernating", brand_new_field={"nested": [1, 2]})
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=body))

    result = run("agents", "show", AGENT_ID, "-o", "json")

    assert result.exit_code == 0
    assert result.json() == body
    assert list(result.json()) == list(body)  # the server's key order, too


def test_show_table_is_key_value(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "show", AGENT_ID, "-o", "table")

    lines = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    assert "Maya's workspace" in lines["WORKSPACE NAME"]
    assert "pro" in lines["TIER"]


def test_show_with_missing_optional_fields(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    body = {"id": AGENT_ID, "status": "active"}
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=body))

    table = run("agents", "show", AGENT_ID, "-o", "table")
    tsv = run("agents", "show", AGENT_ID, "-o", "tsv")

    assert table.exit_code == 0 and "active" in table.stdout
    assert tsv.stdout == f"{AGENT_ID}\t\t\tactive\t\t\n"


def test_fields_select_columns_and_json_keys(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    tsv = run("agents", "show", AGENT_ID, "-o", "tsv", "--fields", "status,workspace.name")
    as_json = run("agents", "show", AGENT_ID, "-o", "json", "--fields", "id,workspace.name")

    assert tsv.stdout == "active\tMaya's workspace\n"
    assert as_json.json() == {"id": AGENT_ID, "workspace": {"name": "Maya's workspace"}}


def test_unknown_field_is_a_usage_error(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "show", AGENT_ID, "--fields", "id,stauts")

    assert result.exit_code == 2
    assert "unknown field 'stauts'" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("verb", ["pause", "resume"])
def test_pause_and_resume_post_and_print_agent(
    run: Any, api: respx.MockRouter, logged_in: str, verb: str
) -> None:
    after = agent(status="paused" if verb == "pause" else "active")
    before(api, "active" if verb == "pause" else "paused", AGENT_ID)
    route = api.post(f"{AGENT_PATH}/{verb}").mock(return_value=httpx.Response(200, json=after))

    result = run("agents", verb, AGENT_ID, "-o", "json")

    assert result.exit_code == 0
    assert result.json() == after
    assert route.call_count == 1
    assert route.calls[0].request.content == b""


def test_pause_uppercase_id_is_sent_canonical(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", AGENT_ID)
    route = api.post(f"{AGENT_PATH}/pause").mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "pause", AGENT_ID.upper(), "-o", "id")

    assert result.stdout == f"{AGENT_ID}\n"
    assert route.called


@pytest.mark.parametrize(
    "bad_id",
    [
        "../x",
        "a b",
        "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47/../../billing",
        "6f1c2b9e4d7a4c1e9b2a3e5f8a1d2c47",
        "%2e%2e",
        "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c4Z",
    ],
)
@pytest.mark.parametrize("verb", ["show", "pause", "resume"])
def test_what_is_not_an_id_is_looked_up_never_put_in_a_path(
    run: Any, api: respx.MockRouter, logged_in: str, verb: str, bad_id: str
) -> None:
    """A value that is not a UUID can only be a name or a prefix: only the listing is read."""
    listing = api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[agent()]))
    anything_else = api.route().mock(return_value=httpx.Response(500))

    result = run("agents", verb, bad_id)

    assert result.exit_code == 3
    assert "no agent has the ID or name" in result.stderr
    assert listing.called and not anything_else.called


@pytest.mark.parametrize("verb", ["show", "pause", "resume"])
@pytest.mark.parametrize("empty", ["", " "])
def test_an_empty_id_is_a_usage_error_and_sends_nothing(
    run: Any, api: respx.MockRouter, logged_in: str, verb: str, empty: str
) -> None:
    result = run("agents", verb, empty)

    assert result.exit_code == 2
    assert not api.calls


def test_a_lookup_needs_a_token_and_sends_nothing_without_one(
    run: Any, api: respx.MockRouter
) -> None:
    result = run("agents", "pause", "../x")

    assert result.exit_code == 4
    assert not api.calls


def test_duplicates_across_pages_are_listed_once(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    first = [agent(id=uuid_n(n)) for n in range(1, 51)]
    second = [agent(id=uuid_n(50)), agent(id=uuid_n(51))]  # one item moved down a page
    api.get(AGENTS_PATH).mock(
        side_effect=[
            httpx.Response(200, json=first),
            httpx.Response(200, json=second),
            httpx.Response(200, json=[]),
        ]
    )

    result = run("agents", "list", "--all", "-o", "id")

    assert result.stdout.split() == [uuid_n(n) for n in range(1, 52)]


def test_a_server_that_ignores_offset_is_listed_once(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    fleet = [agent(id=uuid_n(n)) for n in range(1, 4)]
    route = api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=fleet))

    result = run("agents", "list", "--all", "-o", "id")

    assert result.stdout.split() == [a["id"] for a in fleet]
    assert route.call_count == 2


# --- bulk pause and resume ------------------------------------------------------------------


def pause_route(api: respx.MockRouter, agent_id: str, **fields: Any) -> respx.Route:
    return api.post(f"{AGENTS_PATH}/{agent_id}/pause").mock(
        return_value=httpx.Response(200, json=agent(id=agent_id, status="paused", **fields))
    )


def test_bulk_arguments_give_one_result_per_item(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2), uuid_n(3))
    routes = [pause_route(api, uuid_n(n)) for n in (1, 2, 3)]

    result = run("agents", "pause", uuid_n(1), uuid_n(2), uuid_n(3), "-o", "ndjson")

    assert result.exit_code == 0, result.stderr
    results = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["id"] for r in results) == [uuid_n(1), uuid_n(2), uuid_n(3)]
    assert all(r["ok"] and r["agent"]["status"] == "paused" for r in results)
    assert all(route.call_count == 1 for route in routes)
    assert "pause: 3 of 3 agents done, 0 failed." in result.stderr


def test_stdin_pipeline_from_ndjson_with_comments_and_duplicates(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2))
    routes = [pause_route(api, uuid_n(n)) for n in (1, 2)]
    lines = "\n".join(
        [
            "# from: aitasker agents list -o ndjson | jq -c 'select(.status==\"active\")'",
            json.dumps(agent(id=uuid_n(1))),
            "",
            uuid_n(2),
            uuid_n(1).upper(),
        ]
    )

    result = run("agents", "pause", "--stdin", "-o", "json", stdin=lines)

    assert result.exit_code == 0
    assert [r["id"] for r in result.json()] == [uuid_n(1), uuid_n(2)]  # input order
    assert [route.call_count for route in routes] == [1, 1]


def test_one_malformed_stdin_line_sends_nothing(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    result = run("agents", "resume", "--stdin", stdin=f"{uuid_n(1)}\n../etc/passwd\n")

    assert result.exit_code == 2
    assert "line 2" in result.stderr and "nothing was sent" in result.stderr
    assert not api.calls


def test_single_stdin_id_still_gives_a_bulk_result(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1))
    pause_route(api, uuid_n(1))

    result = run("agents", "pause", "--stdin", "-o", "json", stdin=uuid_n(1))

    (shown,) = result.json()
    operation = shown.pop("operation")
    assert shown == {
        "id": uuid_n(1),
        "ok": True,
        "outcome": "changed",
        "action": "pause",
        "name": agent()["display_name"],
        "status_before": "active",
        "status_after": "paused",
        "agent": agent(id=uuid_n(1), status="paused"),
    }
    assert f"Operation: {operation}" in result.stderr  # the journal's, for scripts to read


def test_partial_failure_is_exit_9_with_every_result(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2), uuid_n(3))
    pause_route(api, uuid_n(1))
    api.post(f"{AGENTS_PATH}/{uuid_n(2)}/pause").mock(
        return_value=httpx.Response(404, json={"detail": "Hired agent not found"})
    )
    api.post(f"{AGENTS_PATH}/{uuid_n(3)}/pause").mock(
        return_value=httpx.Response(409, json={"detail": "Cancelled agents cannot be paused"})
    )

    result = run("agents", "pause", uuid_n(1), uuid_n(2), uuid_n(3), "-o", "json")

    assert result.exit_code == 9
    by_id = {r["id"]: r for r in result.json()}
    assert by_id[uuid_n(1)]["ok"] is True
    assert by_id[uuid_n(2)]["error"] == {
        "status": 404,
        "exit_code": 3,
        "message": "Hired agent not found",
    }
    assert by_id[uuid_n(3)]["error"]["exit_code"] == 6
    assert "1 of 3 agents done, 2 failed" in result.stderr


@pytest.mark.parametrize("fmt", ["tsv", "csv", "table", "id"])
def test_bulk_results_in_tabular_formats(
    run: Any, api: respx.MockRouter, logged_in: str, fmt: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2))
    pause_route(api, uuid_n(1), display_name="Maya")
    api.post(f"{AGENTS_PATH}/{uuid_n(2)}/pause").mock(
        return_value=httpx.Response(404, json={"detail": "Hired agent not found"})
    )

    result = run("agents", "pause", uuid_n(1), uuid_n(2), "-o", fmt)

    assert result.exit_code == 9
    if fmt == "tsv":
        rows = sorted(line.split("\t") for line in result.stdout.splitlines())
        name = agent()["display_name"]  # as listed before the change
        assert rows == [
            [uuid_n(1), "true", "Maya", "paused", "", "changed", "active", "paused"],
            [uuid_n(2), "false", name, "", "Hired agent not found", "failed", "active", ""],
        ]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert {r["id"]: r["ok"] for r in rows} == {uuid_n(1): "true", uuid_n(2): "false"}
    elif fmt == "id":
        assert result.stdout == f"{uuid_n(1)}\n"  # only what succeeded, ready for the next pipe
    else:
        assert "Hired agent not found" in result.stdout and "Maya" in result.stdout


def test_fields_apply_to_the_agent_in_each_result(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", uuid_n(1), uuid_n(2))
    pause_route(api, uuid_n(1))
    pause_route(api, uuid_n(2))

    result = run("agents", "pause", uuid_n(1), uuid_n(2), "-o", "ndjson", "--fields", "status")

    assert [json.loads(line)["agent"] for line in result.stdout.splitlines()] == [
        {"status": "paused"},
        {"status": "paused"},
    ]


def test_concurrency_is_bounded_and_used(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    lock = threading.Lock()
    in_flight = peak = 0

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        agent_id = request.url.path.split("/")[-2]
        return httpx.Response(200, json=agent(id=agent_id, status="paused"))

    api.post(url__regex=r".*/pause$").mock(side_effect=slow)
    ids = [uuid_n(n) for n in range(1, 21)]
    before(api, "active", *ids)

    result = run("agents", "pause", *ids, "-o", "id", "--concurrency", "4")

    assert sorted(result.stdout.split()) == ids
    assert 1 < peak <= 4  # used, and never more than asked for


def test_ctrl_c_reports_every_item_then_exits_130(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before(api, "active", *[uuid_n(n) for n in range(1, 6)])
    for n in range(1, 6):
        pause_route(api, uuid_n(n))

    @contextlib.contextmanager
    def interrupted_after_first(*_args: Any) -> Iterator[Any]:
        signals = [KeyboardInterrupt()]

        def step() -> None:
            if signals:  # one Ctrl-C; main() ignores any that follow it
                raise signals.pop()

        yield step

    monkeypatch.setattr(render, "progress", interrupted_after_first)

    result = run(
        "agents", "pause", *[uuid_n(n) for n in range(1, 6)], "-o", "ndjson", "--concurrency", "1"
    )

    assert result.exit_code == 130
    reported = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["id"] for r in reported) == [uuid_n(n) for n in range(1, 6)]
    assert reported[0]["ok"] is True
    assert result.stderr.endswith("Interrupted.\n")


# --- --wait ---------------------------------------------------------------------------------


def test_wait_polls_until_the_status_is_reached(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    api.post(f"{AGENT_PATH}/pause").mock(
        return_value=httpx.Response(200, json=agent(status="pausing"))
    )
    show = api.get(AGENT_PATH).mock(
        side_effect=[
            httpx.Response(200, json=agent(status="active")),  # before the change
            httpx.Response(200, json=agent(status="pausing")),
            httpx.Response(200, json=agent(status="paused")),
        ]
    )

    result = run("agents", "pause", AGENT_ID, "--wait", "-o", "json")

    assert result.exit_code == 0
    assert result.json()["status"] == "paused"
    assert show.call_count == 3
    assert sleeps == [0.5, 0.75]  # backoff between polls


def test_wait_is_not_needed_when_the_call_already_says_so(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.post(f"{AGENT_PATH}/resume").mock(return_value=httpx.Response(200, json=agent()))
    show = api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json=agent(status="paused")))

    assert run("agents", "resume", AGENT_ID, "--wait").exit_code == 0
    assert show.call_count == 1  # the status before; no polling


def test_wait_timeout_is_exit_8(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    api.post(f"{AGENT_PATH}/pause").mock(
        return_value=httpx.Response(200, json=agent(status="pausing"))
    )
    api.get(AGENT_PATH).mock(
        side_effect=[httpx.Response(200, json=agent(status="active"))]
        + [httpx.Response(200, json=agent(status="pausing"))] * 50
    )

    result = run("agents", "pause", AGENT_ID, "--wait", "--wait-timeout", "10")

    assert result.exit_code == 8
    assert "still pausing after 10 s" in result.stderr
    assert sum(sleeps) == pytest.approx(10)


def test_wait_in_bulk_reports_timeouts_per_item(
    run: Any, api: respx.MockRouter, logged_in: str, sleeps: list[float]
) -> None:
    api.get(AGENTS_PATH).mock(
        return_value=httpx.Response(200, json=[agent(id=uuid_n(n)) for n in (1, 2)])
    )
    pause_route(api, uuid_n(1))
    api.post(f"{AGENTS_PATH}/{uuid_n(2)}/pause").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(2), status="pausing"))
    )
    api.get(f"{AGENTS_PATH}/{uuid_n(2)}").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(2), status="pausing"))
    )

    result = run(
        "agents",
        "pause",
        uuid_n(1),
        uuid_n(2),
        "--wait",
        "--wait-timeout",
        "3",
        "-o",
        "json",
        "--concurrency",
        "1",
    )

    assert result.exit_code == 9
    by_id = {r["id"]: r for r in result.json()}
    assert by_id[uuid_n(1)]["ok"] is True
    assert by_id[uuid_n(2)]["error"]["exit_code"] == 8


def test_wait_on_a_cancelled_agent_stops_at_once(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "paused", AGENT_ID)
    api.post(f"{AGENT_PATH}/resume").mock(
        return_value=httpx.Response(200, json=agent(status="cancelled"))
    )

    result = run("agents", "resume", AGENT_ID, "--wait")

    assert result.exit_code == 11  # what is awaited can no longer happen
    assert "cancelled" in result.stderr


def test_nothing_to_pause_is_a_usage_error(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    assert run("agents", "pause").exit_code == 2


@pytest.fixture
def stderr_terminal(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call it in the test body: stderr becomes a person's terminal (stdout stays a pipe).

    In the body, because capture puts its own sys.stderr in place between setup and call.
    """
    import sys

    return lambda: monkeypatch.setattr(sys.stderr, "isatty", lambda: True)


@pytest.mark.parametrize(("verb", "done"), [("pause", "Paused"), ("resume", "Resumed")])
def test_a_single_change_says_what_happened_on_a_terminal(
    run: Any, api: respx.MockRouter, logged_in: str, stderr_terminal: Any, verb: str, done: str
) -> None:
    before(api, "active" if verb == "pause" else "paused", AGENT_ID)
    api.post(f"{AGENT_PATH}/{verb}").mock(return_value=httpx.Response(200, json=agent()))

    stderr_terminal()
    result = run("agents", verb, AGENT_ID, "-o", "id")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{AGENT_ID}\n"
    told, operation = result.stderr.rstrip("\n").split(". Operation: ")
    assert told == f"{done} Maya – Social Media ({AGENT_ID[:8]})"
    assert journal_reading.find(operation).action == verb


def test_a_single_change_says_nothing_more_when_stderr_is_not_a_terminal(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    before(api, "active", AGENT_ID)
    api.post(f"{AGENT_PATH}/pause").mock(return_value=httpx.Response(200, json=agent()))

    result = run("agents", "pause", AGENT_ID, "-o", "id")

    assert (result.exit_code, result.stdout) == (0, f"{AGENT_ID}\n")
    assert result.stderr.startswith("Operation: ") and result.stderr.count("\n") == 1


def test_a_change_without_a_name_names_the_short_id(
    run: Any, api: respx.MockRouter, logged_in: str, stderr_terminal: Any
) -> None:
    after = agent(display_name=None, persona_name=None)
    api.get(AGENT_PATH).mock(return_value=httpx.Response(200, json={**after, "status": "active"}))
    api.post(f"{AGENT_PATH}/pause").mock(return_value=httpx.Response(200, json=after))

    stderr_terminal()
    result = run("agents", "pause", AGENT_ID, "-o", "id")

    assert result.stderr.startswith(f"Paused agent {AGENT_ID[:8]}. Operation: ")


def test_a_list_cut_by_limit_says_so_on_a_terminal(
    run: Any,
    api: respx.MockRouter,
    logged_in: str,
    fleet: list[dict[str, Any]],
    stderr_terminal: Any,
) -> None:
    route = api.get(AGENTS_PATH).mock(side_effect=paged(fleet))

    stderr_terminal()
    result = run("agents", "list", "--limit", "3", "-o", "id")

    assert result.stdout.split() == [uuid_n(n) for n in range(1, 4)]
    assert result.stderr == "Showing 3 agents; more exist: use --all or --limit N\n"
    assert route.calls[0].request.url.params["limit"] == "4"  # one more than shown


@pytest.mark.parametrize("limit", ["7", "8"])
def test_a_list_that_is_all_there_is_says_nothing_on_a_terminal(
    run: Any,
    api: respx.MockRouter,
    logged_in: str,
    fleet: list[dict[str, Any]],
    stderr_terminal: Any,
    limit: str,
) -> None:
    api.get(AGENTS_PATH).mock(side_effect=paged(fleet))

    stderr_terminal()
    result = run("agents", "list", "--limit", limit, "-o", "id")

    assert len(result.stdout.split()) == 7
    assert result.stderr == ""


def test_the_default_page_cut_says_so_and_scripts_ask_for_the_page_only(
    run: Any, api: respx.MockRouter, logged_in: str, stderr_terminal: Any
) -> None:
    many = [agent(id=uuid_n(n)) for n in range(60)]
    route = api.get(AGENTS_PATH).mock(side_effect=paged(many))

    piped = run("agents", "list", "-o", "id")
    assert len(piped.stdout.split()) == 50 and piped.stderr == ""
    assert [c.request.url.params["limit"] for c in route.calls] == ["50"]

    stderr_terminal()
    watched = run("agents", "list", "-o", "id")
    assert len(watched.stdout.split()) == 50
    assert watched.stderr == "Showing 50 agents; more exist: use --all or --limit N\n"


def test_status_help_lists_the_known_agent_statuses(run: Any) -> None:
    result = run("agents", "list", "--help")

    assert "active, paused, cancelled" in " ".join(result.stdout.split())


def test_an_unknown_status_is_sent_with_a_warning_naming_the_known_ones(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    route = api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[]))

    result = run("agents", "list", "--status", "pasued", "-o", "id")

    assert result.exit_code == 0
    assert route.calls[0].request.url.params["status"] == "pasued"
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Warning: 'pasued' is not a known agent status")
    assert "active, paused, cancelled" in result.stderr
    assert "did you mean 'paused'?" in result.stderr


def test_a_known_status_gets_no_warning(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    api.get(AGENTS_PATH).mock(return_value=httpx.Response(200, json=[]))

    result = run("agents", "list", "--status", "paused", "-o", "id")

    assert (result.exit_code, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("abc", "--limit: 'abc' is not a whole number."),
        ("1.5", "--limit: '1.5' is not a whole number."),
        ("0", "--limit: 0 is less than 1."),
    ],
)
def test_a_limit_that_is_not_a_whole_number_says_so(
    run: Any, api: respx.MockRouter, logged_in: str, given: str, said: str
) -> None:
    result = run("agents", "list", "-L", given)

    assert result.exit_code == 2
    assert said in result.stderr
    assert not api.calls
