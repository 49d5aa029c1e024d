"""Reading bulk input, and keeping every item's outcome."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from aitasker_cli.core.errors import NotFoundError, OutputClosed, UsageError
from aitasker_cli.ops import bulk
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

    assert bulk.read_ids([uuid_n(4), uuid_n(2)], lines.splitlines()) == [
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
        bulk.read_ids([], [uuid_n(1), bad, uuid_n(2)])

    assert "nothing was sent" in caught.value.message


def test_no_ids_at_all_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no agent IDs"):
        bulk.read_ids([], ["", "# only comments"])


def test_many_problems_are_summarised() -> None:
    with pytest.raises(UsageError, match=r"7 input\(s\).*and 2 more"):
        bulk.read_ids([], [f"bad{n}" for n in range(7)])


def test_every_outcome_is_kept_successes_and_failures() -> None:
    def act(agent_id: str) -> dict[str, object]:
        if agent_id == uuid_n(2):
            raise NotFoundError("Hired agent not found", status=404)
        if agent_id == uuid_n(3):
            raise ZeroDivisionError("a bug")
        return {"id": agent_id, "status": "paused"}

    outcomes: list[bulk.Outcome] = []
    failed = bulk.run_all([uuid_n(1), uuid_n(2), uuid_n(3)], act, 2, outcomes.append)
    results = {outcome.id: outcome.result() for outcome in outcomes}

    assert failed == 2

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
    reported: list[bulk.Outcome] = []
    first_in = threading.Event()

    def report(outcome: bulk.Outcome) -> None:
        reported.append(outcome)
        first_in.set()

    run = bulk.BulkRun(ids, act, 2, report)
    running = threading.Thread(target=run.run, daemon=True)
    running.start()
    assert first_in.wait(5)
    run.interrupt()
    release.set()  # the workers' late results must not be reported a second time
    running.join(5)

    first, *rest = reported
    assert first.id == uuid_n(1) and first.ok
    assert len(reported) == len(ids)
    assert sorted(o.id for o in rest) == ids[1:]
    messages = {o.result()["error"]["message"] for o in rest}
    assert messages == {
        "interrupted while in flight; the change may or may not have been made",
        "interrupted before it was sent",
    }
    assert all(o.result()["error"]["exit_code"] == 130 for o in rest)


def test_stdin_is_checked_as_a_stream_keeping_only_a_few_problems() -> None:
    """Junk input costs no memory beyond the first few problems (hardening issue, item 12)."""
    junk = io.StringIO("ab\n" * 200_000 + "x" * 100_000 + "\n" + uuid_n(1) + "\n")

    with pytest.raises(UsageError) as caught:
        bulk.read_ids([], bulk.stdin_lines(junk))

    message = caught.value.message
    assert message.startswith("200001 input(s) are not agent IDs")
    assert message.count("'ab'") == bulk.SHOWN_PROBLEMS
    assert len(message) < 500


def test_an_endless_line_is_read_in_bounded_pieces() -> None:
    stream = io.StringIO("y" * (bulk.LONGEST_LINE + 1_000_000) + "\n" + uuid_n(2) + "\n")

    pieces = list(bulk.stdin_lines(stream))

    assert [len(piece) for piece in pieces] == [bulk.LONGEST_LINE + 2, 37]
    with pytest.raises(UsageError, match="too long"):
        bulk.read_ids([], pieces)


def test_work_is_handed_out_one_item_a_worker() -> None:
    """Never more items in hand than there are workers: nothing is queued up front."""
    started: list[str] = []
    gate = threading.Event()

    def act(agent_id: str) -> dict[str, object]:
        started.append(agent_id)
        gate.wait(5)
        return {"id": agent_id}

    ids = [uuid_n(n) for n in range(1000)]
    reported: list[bulk.Outcome] = []
    in_hand_before_release: list[int] = []

    def release() -> None:
        in_hand_before_release.append(len(started))
        gate.set()

    threading.Timer(0.3, release).start()
    bulk.run_all(ids, act, 4, reported.append)

    assert in_hand_before_release == [4]
    assert sorted(o.id for o in reported) == sorted(ids)


def test_reports_come_one_at_a_time_from_the_workers() -> None:
    """Workers report themselves; the run's lock keeps two reports from interleaving."""
    inside = 0
    overlapped = False
    reported: list[str] = []

    def report(outcome: bulk.Outcome) -> None:
        nonlocal inside, overlapped
        inside += 1
        overlapped = overlapped or inside > 1
        time.sleep(0.0005)  # long enough for another worker to arrive meanwhile
        reported.append(outcome.id)
        inside -= 1

    ids = [uuid_n(n) for n in range(200)]
    bulk.run_all(ids, lambda agent_id: {"id": agent_id}, 8, report)

    assert not overlapped
    assert sorted(reported) == sorted(ids)


def test_a_report_that_fails_stops_the_run_and_is_raised_to_the_caller() -> None:
    """Standard output closed mid-run: no more items are sent, and the caller sees why."""
    sent: list[str] = []

    def act(agent_id: str) -> dict[str, object]:
        sent.append(agent_id)
        return {"id": agent_id}

    def report(outcome: bulk.Outcome) -> None:
        raise OutputClosed

    with pytest.raises(OutputClosed):
        bulk.run_all([uuid_n(n) for n in range(500)], act, 2, report)

    assert len(sent) <= 2 + 2  # what was in flight when the first report failed


def test_a_failure_keeps_no_exception_or_traceback() -> None:
    def act(agent_id: str) -> dict[str, object]:
        raise NotFoundError("x" * 10_000, status=404)

    outcomes: list[bulk.Outcome] = []
    bulk.run_all([uuid_n(1)], act, 1, outcomes.append)
    (outcome,) = outcomes

    assert outcome.failure == bulk.Failure(404, 3, "x" * bulk.KEPT_MESSAGE)
    assert not any(isinstance(value, BaseException) for value in vars(outcome).values())


def test_tsv_and_csv_rows_give_their_first_field_and_a_csv_header_is_skipped() -> None:
    text = (
        f"{uuid_n(1)}\tMaya – Sales\tsales\tactive\n"
        "id,display_name,status\r\n"
        f'{uuid_n(2)},"Łukasz, Support",active\r\n'
        f"{uuid_n(3)}\n"
    )

    assert bulk.read_ids([], bulk.read_stdin(io.StringIO(text))) == [
        uuid_n(1),
        uuid_n(2),
        uuid_n(3),
    ]


def test_a_row_whose_first_field_is_not_an_id_rejects_everything() -> None:
    with pytest.raises(UsageError, match=r"line 2: 'Maya'") as caught:
        bulk.read_ids([], bulk.read_stdin(io.StringIO(f"{uuid_n(1)}\nMaya\t{uuid_n(2)}\n")))

    assert "-o id" in (caught.value.hint or "")


def test_a_json_array_over_many_lines_gives_each_items_id() -> None:
    items = [{"id": uuid_n(1), "status": "active"}, {"id": uuid_n(2), "config": {"a": [1]}}]
    text = "\n\n" + json.dumps(items, indent=2) + "\n"

    assert bulk.read_ids([uuid_n(3)], bulk.read_stdin(io.StringIO(text))) == [
        uuid_n(3),
        uuid_n(1),
        uuid_n(2),
    ]


def test_a_compact_json_array_longer_than_a_line_is_read_whole() -> None:
    items = [{"id": uuid_n(n), "note": "x" * 100} for n in range(200)]

    ids = bulk.read_ids([], bulk.read_stdin(io.StringIO(json.dumps(items))))

    assert ids == [uuid_n(n) for n in range(200)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f'[{{"id": "{uuid_n(1)}"}}, {{"name": "no id"}}]', "item 2"),
        (f'[{{"id": "{uuid_n(1)}"}}, "{uuid_n(2)}x"]', "item 2"),
        (f'[{{"id": "{uuid_n(1)}"}}, ', "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_json_array_sends_nothing(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem) as caught:
        bulk.read_ids([], bulk.read_stdin(io.StringIO(text)))

    assert "nothing was sent" in caught.value.message


def test_a_json_array_over_the_cap_is_refused_without_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "LARGEST_ARRAY", 1000)
    text = json.dumps([{"id": uuid_n(n)} for n in range(100)])

    with pytest.raises(UsageError, match="over"):
        bulk.read_stdin(io.StringIO(text))


def test_line_input_after_blank_lines_is_still_a_stream() -> None:
    """Only the first non-blank line is looked at before the lines stream on."""
    junk = io.StringIO("\n" * 1000 + "ab\n" * 200_000 + uuid_n(1) + "\n")

    lines = bulk.read_stdin(junk)

    assert not isinstance(lines, (list, bulk.JsonArray))
    with pytest.raises(UsageError, match=r"^200000 input\(s\)"):
        bulk.read_ids([], lines)
