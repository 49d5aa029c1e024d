"""The journal of changes: what pause, resume and undo record, and what history and undo read."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aitasker_cli.core.errors import ExitCode, LocalIOError, NotFoundError, UsageError
from aitasker_cli.core.paths import state_dir
from aitasker_cli.local import journal, journal_reading, journal_records
from aitasker_cli.local.journal_records import Item, Operation
from tests.conftest import AGENT_ID, TOKEN, uuid_n
from tests.processes import clean_env


def item(n: int = 1, *, outcome: str = "changed", name: str | None = None) -> Item:
    return Item(
        id=uuid_n(n),
        name=f"Agent {n}" if name is None else name,
        before="active",
        after="paused" if outcome == "changed" else None,
        outcome=outcome,
    )


def operation(
    n: int = 0,
    *,
    op_id: str | None = None,
    profile: str = "default",
    host: str = "api.aitasker.co",
    action: str = "pause",
    items: tuple[Item, ...] | None = None,
    undoes: str | None = None,
) -> Operation:
    return Operation(
        id=op_id or f"20261129T11{n // 60 % 60:02d}{n % 60:02d}-{n:06x}",
        time=f"2026-11-29T11:{n // 60 % 60:02d}:{n % 60:02d}Z",
        profile=profile,
        host=host,
        action=action,
        items=(item(1), item(2, outcome="failed")) if items is None else items,
        undoes=undoes,
    )


def lines() -> list[bytes]:
    return journal.journal_path().read_bytes().splitlines()


def test_an_operation_comes_back_as_it_was_recorded() -> None:
    recorded = operation(
        items=(
            Item(AGENT_ID, "Maya – Social Media", "active", "paused", "changed"),
            Item(uuid_n(2), "", None, None, "interrupted"),
            Item(uuid_n(3), "Bo", "paused", "paused", "unchanged"),
            Item(uuid_n(4), "Cy", "active", None, "failed"),
            Item(uuid_n(5), "Di", "cancelled", "cancelled", "skipped"),
        )
    )
    journal.record(recorded)

    assert journal_reading.operations() == [recorded]
    assert journal.journal_path() == state_dir() / "journal.jsonl"
    assert (recorded.changed, recorded.failed) == (1, 2)
    header, *records, end = (json.loads(line) for line in lines())
    assert end == {"v": 2, "kind": "end", "op": recorded.id}
    assert header == {
        "v": 2, "kind": "operation", "id": recorded.id, "time": recorded.time,
        "profile": "default", "host": "api.aitasker.co", "action": "pause", "undoes": None,
        "api_url": None, "origin": "terminal", "pid": os.getpid(),
    }  # fmt: skip
    # One record an item; the interrupted one was in flight, so its intent comes first.
    assert [(r["kind"], r["op"], r["outcome"]) for r in records] == [
        ("item", recorded.id, outcome)
        for outcome in ("changed", "pending", "interrupted", "unchanged", "failed", "skipped")
    ]
    assert records[0] == {
        "v": 2,
        "kind": "item",
        "op": recorded.id,
        "id": AGENT_ID,
        "name": "Maya – Social Media",
        "before": "active",
        "after": "paused",
        "outcome": "changed",
    }
    assert "Maya – Social Media".encode() in lines()[1]  # ensure_ascii=False: names stay readable


def test_an_undo_keeps_the_operation_it_undid() -> None:
    undone = operation(1)
    undo = operation(2, action="undo", undoes=undone.id)
    journal.record(undone)
    journal.record(undo)

    assert journal_reading.operations()[0].undoes == undone.id
    assert journal_reading.operations()[1].undoes is None


def test_no_journal_is_no_operations() -> None:
    assert journal_reading.operations() == []
    assert journal_reading.last("default", "https://api.aitasker.co") is None
    assert not state_dir().exists()  # reading creates nothing


def test_operations_come_newest_first() -> None:
    for n in range(5):
        journal.record(operation(n))

    assert [op.id for op in journal_reading.operations()] == [
        operation(n).id for n in (4, 3, 2, 1, 0)
    ]


def test_the_journal_keeps_the_newest_operations_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 5)
    for n in range(12):
        journal.record(operation(n))

    assert [op.id for op in journal_reading.operations()] == [
        operation(n).id for n in range(11, 6, -1)
    ]
    assert len([line for line in lines() if b'"kind":"operation"' in line]) == 5
    assert sorted(os.listdir(state_dir())) == ["journal.jsonl", "journal.lock"]


def test_the_journal_keeps_to_its_size_and_always_the_newest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal.record(operation(0))
    one = journal.journal_path().stat().st_size
    monkeypatch.setattr(journal, "MAX_BYTES", one * 3 + 10)
    for n in range(1, 10):
        journal.record(operation(n))

    # Whole operations, the newest ones, within the cap (trimmed to 3/4 of it when over).
    kept = [op.id for op in journal_reading.operations()]
    assert 2 <= len(kept) <= 3
    assert kept == [operation(n).id for n in range(9, 9 - len(kept), -1)]
    assert journal.journal_path().stat().st_size <= journal.MAX_BYTES

    huge = operation(10, items=tuple(item(n) for n in range(1, 60)))
    journal.record(huge)
    assert journal.journal_path().stat().st_size > journal.MAX_BYTES

    assert journal_reading.operations() == [huge]  # larger than the cap alone, and still kept

    journal.record(operation(11))

    assert [op.id for op in journal_reading.operations()] == [operation(11).id]


def format_1(operation: Operation) -> bytes:
    """The line a journal written before format 2 held: the whole operation, host only."""
    data = {k: v for k, v in operation.as_dict().items() if k not in ("api_url", "origin")}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def test_lines_that_are_not_records_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    good = operation(1)
    journal.journal_path().parent.mkdir(parents=True)
    journal.journal_path().write_bytes(format_1(good))
    valid = json.loads(format_1(good))

    def edited(**changes: object) -> str:
        return json.dumps({**valid, "id": operation(2).id, **changes})

    def edited_item(**changes: object) -> str:
        return edited(items=[{**valid["items"][0], **changes}])

    def header(**changes: object) -> str:
        fields = {"v": 2, "kind": "operation", "id": operation(5).id, "time": good.time,
                  "profile": "default", "host": "h", "action": "pause", "undoes": None,
                  "api_url": "https://h", "origin": "terminal"}  # fmt: skip
        return json.dumps({**fields, **changes})

    junk = [
        "not json",
        "[1, 2, 3]",
        '"a string"',
        "{}",
        edited(id=12345),
        edited(id="../../etc/passwd"),
        edited(time="yesterday"),
        edited(profile=None),
        edited(profile=""),
        edited(host=["api.aitasker.co"]),
        edited(action="delete"),
        edited(undoes=7),
        edited(items="none"),
        edited(items=[["not", "an", "item"]]),
        edited_item(id=None),
        edited_item(id="not-a-uuid"),
        edited_item(name=5),
        edited_item(outcome="exploded"),
        edited_item(outcome=None),
        edited_item(before=3),
        edited_item(after="x" * 1000),
        edited_item(name="\ud800"),  # a lone surrogate, escaped in the JSON
        header(v=3),
        header(origin="somewhere"),
        header(api_url="https://h\n"),
        json.dumps({"v": 2, "kind": "item", "op": operation(6).id, "id": AGENT_ID}),  # no header
        "[" * 100_000 + "]" * 100_000,  # nested far beyond the recursion limit
        edited()[:-20],  # cut short
    ]
    with journal.journal_path().open("a", encoding="utf-8") as file:
        file.write("\n".join(junk) + "\n\n   \n")
    with journal.journal_path().open("ab") as binary:
        binary.write(b"\xff\xfe not UTF-8\n")
        binary.write(b'{"id": "half a line, the writer died')  # no newline at the end

    later = operation(3)
    journal.record(later)  # starts on a line of its own

    found = journal_reading.operations()
    assert [op.id for op in found] == [later.id, good.id]
    assert found[1] == good  # a format-1 operation reads as it was written
    assert json.loads(lines()[-1])["op"] == later.id

    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 3)
    journal.record(operation(4))  # no trim: three operations are not too many
    assert len(lines()) > 30

    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 2)
    journal.record(operation(7))  # the trim drops the junk and the oldest whole operations

    starts = [json.loads(line)["id"] for line in lines() if b'"kind":"operation"' in line]
    assert starts == [operation(4).id, operation(7).id]
    assert len(lines()) == 2 * 4  # nothing but their headers, items and end records
    assert [op.id for op in journal_reading.operations()] == [operation(7).id, operation(4).id]


def test_long_names_are_cut_and_broken_text_replaced() -> None:
    recorded = operation(items=(item(1, name="N" * 5000), item(2, name="bad \udc80 text")))
    journal.record(recorded)

    names = [i.name for i in journal_reading.operations()[0].items]
    assert names == ["N" * journal_records.NAME_LENGTH, "bad ? text"]


@pytest.mark.parametrize(
    "broken",
    [
        operation(op_id="my-own-id"),
        operation(undoes="not-an-id"),
        operation(action="delete"),
        operation(profile=""),
        operation(host="api\nevil"),
        operation(items=(Item("not-a-uuid", "", None, None, "changed"),)),
        operation(items=(Item(AGENT_ID, "", None, None, "exploded"),)),
        operation(items=(Item(AGENT_ID, "", "x" * 257, None, "changed"),)),
    ],
)
def test_an_operation_the_journal_cannot_hold_is_refused_and_nothing_written(
    broken: Operation,
) -> None:
    with pytest.raises(ValueError, match="not an operation the journal can hold"):
        journal.record(broken)

    assert not journal.journal_path().exists()


WRITER = textwrap.dedent(
    """
    import sys
    from aitasker_cli.local import journal, journal_reading, journal_records

    writer = int(sys.argv[1])
    for n in range(25):
        items = tuple(
            journal.Item(
                f"00000000-0000-4000-8000-{writer * 1000 + k:012d}",
                f"writer {writer} op {n} " + "x" * 300,
                "active",
                "paused",
                "changed",
            )
            for k in range(20)
        )
        journal.record(journal.Operation(
            id=journal.new_operation_id(),
            time="2026-11-29T11:20:05Z",
            profile=f"writer{writer}",
            host="sandbox",
            action="pause",
            items=items,
        ))
    """
)


def run_writers(script: str) -> None:
    """Four processes running `script` against this test's journal at once; each must exit 0."""
    env = clean_env(AITASKER_STATE_DIR=str(state_dir()))
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(w)],
            env=env,
            cwd=Path(__file__).parent.parent,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err


def test_writers_in_several_processes_lose_nothing() -> None:
    run_writers(WRITER)

    # A writer that starts while another one writes may see that line unfinished and start its
    # own on a new line: a blank line, which readers skip. No record is ever cut in two.
    written = [json.loads(line) for line in lines() if line.strip()]
    assert len(written) == 100 * 22  # a header, 20 items and an end each
    assert sum(record["kind"] == "operation" for record in written) == 100
    found = journal_reading.operations()
    assert len(found) == 100
    assert len({op.id for op in found}) == 100
    for w in range(4):
        mine = [op for op in reversed(found) if op.profile == f"writer{w}"]
        assert [op.items[0].name.split()[3] for op in mine] == [str(n) for n in range(25)]


def test_writers_in_several_processes_trim_together() -> None:
    script = WRITER.replace("import sys\n", "import sys\nimport aitasker_cli.local.journal as j\n")
    script = script.replace("writer = int", "j.KEEP_OPERATIONS = 30\nwriter = int")
    run_writers(script)

    assert len(lines()) == 30 * 22
    found = journal_reading.operations()
    assert len(found) == 30
    for w in range(4):  # each writer's newest operations, none lost to another's trim
        mine = [int(op.items[0].name.split()[3]) for op in found if op.profile == f"writer{w}"]
        assert mine == list(range(24, 24 - len(mine), -1))


def test_the_journal_and_its_folder_are_private() -> None:
    old = os.umask(0o022)
    try:
        journal.record(operation())
    finally:
        os.umask(old)

    assert stat.S_IMODE(state_dir().stat().st_mode) == 0o700
    assert stat.S_IMODE(journal.journal_path().stat().st_mode) == 0o600
    assert stat.S_IMODE((state_dir() / "journal.lock").stat().st_mode) == 0o600


def test_a_wider_journal_is_made_private_again(monkeypatch: pytest.MonkeyPatch) -> None:
    journal.record(operation(1))
    journal.journal_path().chmod(0o644)
    journal.record(operation(2))
    assert stat.S_IMODE(journal.journal_path().stat().st_mode) == 0o600

    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 1)  # a trim replaces the file
    journal.journal_path().chmod(0o644)
    journal.record(operation(3))
    assert stat.S_IMODE(journal.journal_path().stat().st_mode) == 0o600


def test_a_state_folder_that_cannot_be_made_is_a_local_io_error() -> None:
    state_dir().parent.mkdir(parents=True, exist_ok=True)
    state_dir().write_text("a file where the folder should be")

    with pytest.raises(LocalIOError) as raised:
        journal.record(operation())

    assert raised.value.exit_code == ExitCode.LOCAL_IO
    assert int(raised.value.exit_code) == 10
    assert raised.value.message.startswith(f"cannot write the journal {journal.journal_path()}: ")
    assert not isinstance(raised.value, OSError)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_a_journal_that_is_a_folder_is_a_local_io_error() -> None:
    journal.journal_path().mkdir(parents=True)

    with pytest.raises(LocalIOError, match="cannot write the journal") as written:
        journal.record(operation())
    with pytest.raises(LocalIOError, match="cannot read the journal") as read:
        journal_reading.operations()

    assert written.value.exit_code == read.value.exit_code == 10


A = "20261129T112005-3f9a2c"
B = "20261129T112005-3f9b00"
C = "20261130T080000-aaaaaa"


def record_three() -> None:
    for op_id in (A, B, C):
        journal.record(operation(op_id=op_id))


def test_find_takes_an_id_or_a_unique_prefix_in_any_case() -> None:
    record_three()

    assert journal_reading.find(A).id == A
    assert journal_reading.find("20261130").id == C
    assert journal_reading.find("20261129T112005-3f9a").id == A
    assert journal_reading.find("20261129t112005-3F9B").id == B


def test_find_names_the_operations_a_prefix_matches() -> None:
    record_three()

    with pytest.raises(UsageError) as raised:
        journal_reading.find("20261129T1120")

    assert raised.value.exit_code == 2
    assert A in raised.value.message and B in raised.value.message
    assert C not in raised.value.message


def test_find_reports_an_operation_not_in_the_journal() -> None:
    record_three()

    for wanted in ("20270101T000000-000000", "nope", "202"):
        with pytest.raises(NotFoundError) as raised:
            journal_reading.find(wanted)
        assert raised.value.exit_code == 3
        assert raised.value.message.startswith(f"no operation {wanted} in the journal")
        assert raised.value.hint == "See 'aitasker history'."


@pytest.mark.parametrize("wanted", ["", "   ", "\t"])
def test_an_empty_operation_id_is_a_usage_error(wanted: str) -> None:
    record_three()

    with pytest.raises(UsageError, match="an empty operation ID"):
        journal_reading.find(wanted)


def test_an_unknown_operation_id_suggests_close_ones() -> None:
    record_three()

    with pytest.raises(NotFoundError, match=f"did you mean {A.lower()}"):
        journal_reading.find(A[:-1] + "d")  # one character off


def test_find_in_no_journal_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        journal_reading.find(A)


def test_last_is_the_newest_of_that_profile_on_that_api() -> None:
    prod, staging = "http://127.0.0.1:18003/prod", "http://127.0.0.1:18003/staging/"
    for n, profile, url in [
        (1, "default", "https://api.aitasker.co"),
        (2, "work", "https://api.aitasker.co"),
        (3, "default", prod),
        (4, "default", "https://api.aitasker.co/"),
        (5, "default", staging),
        (6, "work", prod),
    ]:
        host = url.split("/")[2]
        journal.record(operation(n, profile=profile, host=host)._replace(api_url=url))

    def last(profile: str, api_url: str) -> str | None:
        found = journal_reading.last(profile, api_url)
        return None if found is None else found.id

    assert last("default", "https://api.aitasker.co") == operation(4).id
    assert last("work", "https://API.aitasker.co/") == operation(2).id
    assert last("default", "http://127.0.0.1:18003/prod/") == operation(3).id
    assert last("default", "http://127.0.0.1:18003/staging") == operation(5).id
    assert last("work", "http://127.0.0.1:18003/staging") is None
    assert last("default", "http://127.0.0.1:18003") is None  # same host, another API
    assert last("other", prod) is None


def test_a_record_with_only_the_host_matches_an_api_url_without_a_path() -> None:
    journal.journal_path().parent.mkdir(parents=True)
    journal.journal_path().write_bytes(format_1(operation(1, host="127.0.0.1:18003")))

    found = journal_reading.last("default", "http://127.0.0.1:18003")
    assert found is not None and found.api_url is None
    assert journal_reading.last("default", "http://127.0.0.1:18003/prod") is None
    assert journal_reading.last("work", "http://127.0.0.1:18003") is None


def test_operation_ids_sort_by_time_and_differ() -> None:
    ids = [journal.new_operation_id() for _ in range(2000)]

    assert len(set(ids)) == len(ids)
    assert all(journal_records._OPERATION_ID.fullmatch(op_id) for op_id in ids)
    assert ids == sorted(ids, key=lambda op_id: op_id[:15])


def test_one_process_never_gets_the_same_operation_id_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draws = iter(["aaaaaa", "aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr("secrets.token_hex", lambda _n: next(draws))

    first, second = journal.new_operation_id(), journal.new_operation_id()

    assert first.endswith("-aaaaaa")
    assert second != first  # the same second drew "aaaaaa" again, then "bbbbbb"


def test_the_journal_never_holds_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AITASKER_TOKEN", TOKEN)
    journal.record(operation(1))
    journal.record(operation(2, action="undo", undoes=operation(1).id))

    for path in state_dir().iterdir():
        content = path.read_bytes()
        assert TOKEN.encode() not in content
        assert b"aitk_" not in content


def test_operations_are_counted_across_chunks_without_holding_the_file(tmp_path: Path) -> None:
    from aitasker_cli.local import journal_file

    header = b'{"v":2,"kind":"operation","id":"x"}\n'
    filler = b"y" * (1024 * 1024 - 10) + b"\n"  # the next header straddles the first MiB
    data = header + filler + header * 3 + b'{"id":"old format"}\n' + filler + header
    path = tmp_path / "journal.jsonl"
    path.write_bytes(data)

    with path.open("rb") as file:
        counted = journal_file._operations_in(file)

    assert counted - 1 == 6  # five headers and a format-1 line; one more for a first line


def test_a_run_the_journal_could_not_read_back_is_not_written() -> None:
    run = journal.Run(profile="p" * 201, api_url="https://api.aitasker.co", action="pause")

    run.intend(uuid_n(1), "Agent", "active")
    run.note(Item(uuid_n(1), "Agent", "active", "paused", "changed"))
    run.close()

    assert run.problem is not None and "cannot journal this run" in run.problem
    assert not run.undoable
    assert not journal.journal_path().exists()


def test_runs_that_changed_nothing_never_push_a_real_operation_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = operation(1)
    journal.record(real)
    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 3)
    for n in range(12):
        nothing = journal.Run(profile="default", api_url="https://api.aitasker.co", action="pause")
        nothing.note(Item(uuid_n(n + 2), "", "paused", "paused", "unchanged"))  # not even begun
        refused = journal.Run(profile="default", api_url="https://api.aitasker.co", action="pause")
        refused.intend(uuid_n(n + 2), "", "cancelled")
        refused.note(Item(uuid_n(n + 2), "", "cancelled", None, "failed"))  # a 409
        for one in (nothing, refused):
            one.close()

    assert [op.id for op in journal_reading.operations()] == [real.id]
    headers = [line for line in lines() if b'"kind":"operation"' in line]
    assert len(headers) <= 3  # the refused runs were trimmed first, the real one kept


def test_a_trim_streams_a_huge_journal_without_holding_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tracemalloc

    from aitasker_cli.local import journal_file

    journal.journal_path().parent.mkdir(parents=True)
    with journal.journal_path().open("wb") as file:
        for _ in range(40):
            file.write((b"j" * 999 + b"\n") * 500)  # 20 MB of lines that are no records
    journal.record(operation(1))
    monkeypatch.setattr(journal, "MAX_BYTES", 1024 * 1024)

    tracemalloc.start()
    journal_file.trim(journal.journal_path(), 1024 * 1024, 1000, 200, ending=operation(1).id)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert peak < 8 * 1024 * 1024
    assert [op.id for op in journal_reading.operations()] == [operation(1).id]
    assert journal.journal_path().stat().st_size < 10_000


def test_a_token_echoed_in_a_name_or_reason_never_reaches_the_journal_file() -> None:
    from aitasker_cli.core import secrets
    from aitasker_cli.local.journal import Run, journal_path
    from aitasker_cli.local.journal_records import Item
    from tests.conftest import TOKEN, uuid_n

    secrets.add(TOKEN)
    run = Run(profile="default", api_url="https://api.aitasker.co", action="reject")
    run.intend(uuid_n(1), f"agent {TOKEN}", "awaiting_approval", f"because {TOKEN}")
    run.note(Item(uuid_n(1), f"agent {TOKEN}", "awaiting_approval", "rejected", "changed",
                  reason=f"because {TOKEN}"))  # fmt: skip
    run.close()

    written = journal_path().read_text(encoding="utf-8")
    assert TOKEN not in written
    assert "agent <redacted>" in written and "because <redacted>" in written
