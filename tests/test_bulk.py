"""Reading bulk input, and keeping every item's outcome."""

from __future__ import annotations

import json
import threading

import pytest

from aitasker_cli import bulk
from aitasker_cli.errors import NotFoundError, UsageError
from tests.conftest import uuid_n


def test_read_ids_skips_blanks_and_comments_accepts_json_and_dedupes() -> None:
    lines = "\n".join(
        [
            "# the fleet",
            uuid_n(1),
            "",
            f"   {uuid_n(2).upper()}   ",
            json.dumps({"id": uuid_n(3), "status": "active"}),
            uuid_n(1),
            "  # indented comment",
        ]
    )

    assert bulk.read_ids([uuid_n(4), uuid_n(2)], lines) == [
        uuid_n(4),
        uuid_n(2),
        uuid_n(1),
        uuid_n(3),
    ]


@pytest.mark.parametrize(
    "bad", ["../x", "not-a-uuid", '{"name": "no id"}', '{"id": 5}', "{broken json", "[1, 2]"]
)
def test_one_bad_line_rejects_everything(bad: str) -> None:
    with pytest.raises(UsageError, match="line 2") as caught:
        bulk.read_ids([], f"{uuid_n(1)}\n{bad}\n{uuid_n(2)}")

    assert "nothing was sent" in caught.value.message


def test_no_ids_at_all_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no agent IDs"):
        bulk.read_ids([], "\n# only comments\n")


def test_many_problems_are_summarised() -> None:
    with pytest.raises(UsageError, match=r"7 input\(s\).*and 2 more"):
        bulk.read_ids([], "\n".join(f"bad{n}" for n in range(7)))


def test_every_outcome_is_kept_successes_and_failures() -> None:
    def act(agent_id: str) -> dict[str, object]:
        if agent_id == uuid_n(2):
            raise NotFoundError("Hired agent not found", status=404)
        if agent_id == uuid_n(3):
            raise ZeroDivisionError("a bug")
        return {"id": agent_id, "status": "paused"}

    run = bulk.BulkRun([uuid_n(1), uuid_n(2), uuid_n(3)], act, concurrency=2)
    results = {outcome.id: outcome.result() for outcome in run.outcomes()}

    assert results[uuid_n(1)] == {
        "id": uuid_n(1),
        "ok": True,
        "agent": {"id": uuid_n(1), "status": "paused"},
    }
    assert results[uuid_n(2)]["error"] == {
        "status": 404,
        "exit_code": 3,
        "message": "Hired agent not found",
    }
    assert results[uuid_n(3)]["error"]["exit_code"] == 1
    assert "ZeroDivisionError" in results[uuid_n(3)]["error"]["message"]


def test_stop_reports_unfinished_items_as_interrupted() -> None:
    release = threading.Event()

    def act(agent_id: str) -> dict[str, object]:
        if agent_id != uuid_n(1):
            release.wait(5)
        return {"id": agent_id}

    ids = [uuid_n(n) for n in range(1, 6)]
    run = bulk.BulkRun(ids, act, concurrency=2)
    first = next(run.outcomes())
    rest = run.stop()
    release.set()

    assert first.id == uuid_n(1) and first.ok
    assert sorted(o.id for o in rest) == ids[1:]
    messages = {o.result()["error"]["message"] for o in rest}
    assert "interrupted before it was sent" in messages
    assert all(o.result()["error"]["exit_code"] == 130 for o in rest)
