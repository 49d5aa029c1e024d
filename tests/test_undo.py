"""`aitasker undo`: what it refuses, what it skips and says why, and whose operations it takes.

In-process through the real entry point, with respx at the HTTP boundary.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.local import journal, journal_reading
from aitasker_cli.local.journal_records import Item, Operation
from tests.conftest import API, agent, uuid_n

AGENTS = "/api/v1/workspaces/agents"
SANDBOX = "http://sandbox.localhost"


def recorded(n: int, *, api_url: str = API, profile: str = "default", **item: Any) -> Operation:
    """An operation that paused agent `n`, as the journal holds it."""
    fields = {"before": "active", "after": "paused", "outcome": "changed"} | item
    operation = Operation(
        id=f"20261206T0700{n:02d}-00000{n}",
        time=f"2026-12-06T07:00:{n:02d}Z",
        profile=profile,
        host=api_url.split("/")[2],
        action="pause",
        items=(Item(uuid_n(n), f"Agent {n}", **fields),),
        api_url=api_url,
    )
    journal.record(operation)
    return operation


def now(api: respx.MockRouter, **statuses: str) -> None:
    """The agents as the API has them now (`a1="paused"` is agent uuid_n(1)), listed and one by
    one: undo lists or fetches each before acting."""
    agents = [agent(id=uuid_n(int(key[1:])), status=status) for key, status in statuses.items()]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=agents))
    for one in agents:
        api.get(f"{AGENTS}/{one['id']}").mock(return_value=httpx.Response(200, json=one))


def posts(api: respx.MockRouter) -> list[str]:
    return [str(call.request.url) for call in api.calls if call.request.method == "POST"]


@pytest.mark.parametrize("wanted", ["", " "])
def test_an_empty_operation_id_is_refused_and_nothing_sent(
    wanted: str, run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    recorded(1)

    result = run("undo", wanted, "--yes")

    assert result.exit_code == 2, result.stderr
    assert "empty operation ID" in result.stderr
    assert api.calls.call_count == 0


def test_changes_whose_status_before_is_unknown_are_skipped_and_said(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    ids = [uuid_n(1), uuid_n(2)]
    api.get(AGENTS).mock(return_value=httpx.Response(500, json={"detail": "down"}))
    for agent_id in ids:
        api.get(f"{AGENTS}/{agent_id}").mock(return_value=httpx.Response(500, json={}))
        api.post(f"{AGENTS}/{agent_id}/pause").mock(
            return_value=httpx.Response(200, json=agent(id=agent_id, status="paused"))
        )
    paused = run("agents", "pause", *ids, "-o", "json")
    assert paused.exit_code == 0, paused.stderr
    assert journal_reading.operations()[0].changed == 2
    api.reset()

    undone = run("undo", "--yes", "-o", "json")

    assert undone.exit_code == 9, undone.stderr
    results = undone.json()
    assert [r["outcome"] for r in results] == ["skipped", "skipped"]
    assert all("status before the operation is unknown" in r["reason"] for r in results)
    assert "2 skipped" in undone.stderr
    assert posts(api) == []


@pytest.mark.parametrize("odd", ["active\u0007", "a" * 100, "active\u2028x"])
def test_a_change_from_an_odd_status_is_journaled_and_undo_says_why_it_stays(
    odd: str, run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[]))
    api.get(f"{AGENTS}/{uuid_n(1)}").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(1), status=odd))
    )
    api.post(f"{AGENTS}/{uuid_n(1)}/pause").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(1), status="paused"))
    )
    api.get(f"{AGENTS}/{uuid_n(2)}").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(2), status="active"))
    )
    api.post(f"{AGENTS}/{uuid_n(2)}/pause").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(2), status="paused"))
    )

    paused = run("agents", "pause", uuid_n(1), uuid_n(2), "-o", "json")

    assert paused.exit_code == 0, paused.stderr
    assert "cannot be undone" not in paused.stderr and "Operation: " in paused.stderr
    operation = journal_reading.operations()[0]
    assert {item.id: item.before for item in operation.items} == {
        uuid_n(1): odd,
        uuid_n(2): "active",
    }

    api.reset()
    now(api, a1="paused", a2="paused")
    api.post(f"{AGENTS}/{uuid_n(2)}/resume").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(2), status="active"))
    )
    undone = run("undo", "--yes", "-o", "json")

    assert undone.exit_code == 9, undone.stderr
    by_id = {r["id"]: r for r in undone.json()}
    assert by_id[uuid_n(1)]["outcome"] == "skipped"
    assert "no command brings an agent back to" in by_id[uuid_n(1)]["reason"]
    assert by_id[uuid_n(2)]["outcome"] == "changed"
    assert posts(api) == [f"{API}{AGENTS}/{uuid_n(2)}/resume"]


def test_undo_of_an_operation_made_on_another_api_is_refused_naming_it(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    prod = recorded(1, api_url="http://127.0.0.1:18003/prod")

    result = run("undo", prod.id, "--yes", "--api-url", "http://127.0.0.1:18003/staging")

    assert result.exit_code == 2, result.stderr
    assert "http://127.0.0.1:18003/prod" in result.stderr
    assert f"aitasker undo {prod.id} --api-url http://127.0.0.1:18003/prod" in result.stderr
    assert api.calls.call_count == 0


def test_undo_of_an_operation_made_with_another_profile_is_refused(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Any
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[profiles.work]\n", encoding="utf-8")
    work = recorded(1, profile="work")

    result = run("undo", work.id, "--yes")

    assert result.exit_code == 2, result.stderr
    assert "profile 'work'" in result.stderr and "--profile work" in result.stderr
    assert api.calls.call_count == 0


def test_undo_without_an_id_names_the_flags_of_the_operations_made_elsewhere(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    for n in (1, 2, 3):
        recorded(n, api_url=SANDBOX)

    result = run("undo", "--yes")

    assert result.exit_code == 3, result.stderr
    assert "3 operations were made with --sandbox" in result.stderr
    assert "aitasker undo --sandbox" in result.stderr
    assert api.calls.call_count == 0


def test_a_change_cut_off_in_flight_is_put_back_only_if_it_was_made(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    run_ = journal.Run(profile="default", api_url=API, action="pause")
    for n in (1, 2):
        run_.intend(uuid_n(n), f"Agent {n}", "active")  # then the process was killed
    assert [item.outcome for item in journal_reading.operations()[0].items] == [
        "interrupted",
        "interrupted",
    ]
    now(api, a1="paused", a2="active")
    api.post(f"{AGENTS}/{uuid_n(1)}/resume").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(1), status="active"))
    )

    undone = run("undo", "--yes", "-o", "json")

    assert undone.exit_code == 0, undone.stderr
    by_id = {r["id"]: r["outcome"] for r in undone.json()}
    assert by_id == {uuid_n(1): "changed", uuid_n(2): "unchanged"}  # 2's pause never happened
    assert posts(api) == [f"{API}{AGENTS}/{uuid_n(1)}/resume"]


def test_undo_from_a_file_names_the_api_it_acts_on(
    run: Any, api: respx.MockRouter, logged_in: str, tmp_path: Any
) -> None:
    saved = tmp_path / "paused.ndjson"
    result = {"id": uuid_n(1), "ok": True, "outcome": "changed"}
    result |= {"status_before": "active", "status_after": "paused"}
    saved.write_text(json.dumps(result) + "\n", encoding="utf-8")
    now(api, a1="paused")
    api.post(f"{AGENTS}/{uuid_n(1)}/resume").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(1), status="active"))
    )

    undone = run("undo", "--from", str(saved), "--yes", "-o", "json")

    assert undone.exit_code == 0, undone.stderr
    assert f"undo on {API}: 1 of 1 agent done" in undone.stderr


def test_a_dry_run_says_what_would_change_and_what_would_be_skipped(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    recorded(1)
    journal.record(recorded(2)._replace(id="20261206T070003-000003"))
    now(api, a1="paused", a2="active")
    from_both = run("undo", "20261206T070001", "--dry-run", "-o", "json")

    assert from_both.exit_code == 0, from_both.stderr
    assert [r["outcome"] for r in from_both.json()] == ["would_change"]
    assert posts(api) == []
    skipped = run("undo", "20261206T070003", "--dry-run", "-o", "json")
    assert [r["outcome"] for r in skipped.json()] == ["would_skip"]
    assert skipped.exit_code == 0 and "1 would skip" in skipped.stderr


def test_history_keeps_the_api_host_at_80_columns(
    run: Any, monkeypatch: pytest.MonkeyPatch, logged_in: str
) -> None:
    recorded(1, api_url="http://127.0.0.1:18003/prod")
    monkeypatch.setenv("COLUMNS", "80")

    shown = run("history", "-o", "table")

    assert shown.exit_code == 0, shown.stderr
    assert "127.0.0.1:18003" in shown.stdout
    detail = run("history", "-o", "json").json()[0]
    assert (detail["api_url"], detail["origin"]) == ("http://127.0.0.1:18003/prod", "terminal")


@pytest.mark.parametrize("verb", ["cancel", "approve", "reject"])
def test_a_final_operation_is_never_undone_and_undo_does_not_fall_back(
    verb: str, run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    recorded(1)  # an older pause that could be undone
    final = recorded(2)._replace(id="20261206T070009-000009", action=verb)
    journal.record(final)

    newest = run("undo", "--yes")
    named = run("undo", final.id, "--yes")

    for result in (newest, named):
        assert result.exit_code == 2, result.stderr
        assert "final" in result.stderr and final.id in result.stderr
    assert api.calls.call_count == 0


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>ok</html>", headers={"content-type": "text/html"}),
        httpx.Response(504, json={"detail": "gateway timeout"}),
    ],
    ids=["2xx-unreadable", "5xx"],
)
def test_a_change_answered_unreadably_or_by_a_gateway_is_in_doubt_and_undone(
    answer: httpx.Response, run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    now(api, a1="active")
    api.post(f"{AGENTS}/{uuid_n(1)}/pause").mock(return_value=answer)

    paused = run("agents", "pause", uuid_n(1), "-o", "json", "--retries", "0")

    assert paused.exit_code == 7, paused.stderr
    assert "Operation: " in paused.stderr  # the change may have been made: undo can check
    api.reset()
    now(api, a1="paused")  # it was
    api.post(f"{AGENTS}/{uuid_n(1)}/resume").mock(
        return_value=httpx.Response(200, json=agent(id=uuid_n(1), status="active"))
    )
    undone = run("undo", "--yes", "-o", "json")

    assert undone.exit_code == 0, undone.stderr
    assert [r["outcome"] for r in undone.json()] == ["changed"]


def test_a_refused_change_leaves_nothing_to_undo(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    now(api, a1="cancelled")
    api.post(f"{AGENTS}/{uuid_n(1)}/pause").mock(
        return_value=httpx.Response(409, json={"detail": "Cancelled agents cannot be paused"})
    )

    paused = run("agents", "pause", uuid_n(1), "-o", "json")

    assert paused.exit_code == 6, paused.stderr
    assert "Operation: " not in paused.stderr
    assert journal_reading.operations() == []


def test_a_change_in_doubt_whose_status_before_is_unknown_is_reported_skipped(
    run: Any, api: respx.MockRouter, logged_in: str
) -> None:
    cut_off = journal.Run(profile="default", api_url=API, action="pause")
    cut_off.intend(uuid_n(1), "Agent 1", None)  # its look-up failed, then the process died

    undone = run("undo", "--yes", "-o", "json")

    assert undone.exit_code == 9, undone.stderr
    (result,) = undone.json()
    assert result["outcome"] == "skipped" and "unknown" in result["reason"]
    assert posts(api) == []


def test_history_of_one_operation_lists_its_agents(run: Any, logged_in: str) -> None:
    operation = recorded(1)
    other = recorded(2)
    other = other._replace(
        id="20261206T070009-000009",
        items=(*other.items, Item(uuid_n(3), "Agent 3", "active", None, "failed")),
    )
    journal.record(other)

    shown = run("history", operation.id[:15], "-o", "json")
    tsv = run("history", other.id, "-o", "tsv")
    missing = run("history", "20991231T000000-000000")

    assert shown.exit_code == 0, shown.stderr
    assert shown.json() == [
        {"id": uuid_n(1), "name": "Agent 1", "before": "active", "after": "paused",
         "outcome": "changed", "reason": None}
    ]  # fmt: skip
    assert tsv.stdout.splitlines() == [
        f"{uuid_n(2)}\tAgent 2\tactive\tpaused\tchanged\t",  # no reason: nothing decided
        f"{uuid_n(3)}\tAgent 3\tactive\t\tfailed\t",
    ]
    assert missing.exit_code == 3, missing.stderr
