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

from aitasker_cli import journal
from aitasker_cli.errors import ExitCode, LocalIOError, NotFoundError, UsageError
from aitasker_cli.journal import Item, Operation
from aitasker_cli.paths import state_dir
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

    assert journal.operations() == [recorded]
    assert journal.journal_path() == state_dir() / "journal.jsonl"
    assert (recorded.changed, recorded.failed) == (1, 2)
    written = json.loads(lines()[0])
    assert written == recorded.as_dict()
    assert list(written) == [
        "id", "time", "profile", "host", "action", "undoes", "changed", "failed", "items",
    ]  # fmt: skip
    assert written["items"][0] == {
        "id": AGENT_ID,
        "name": "Maya – Social Media",
        "before": "active",
        "after": "paused",
        "outcome": "changed",
    }
    assert "Maya – Social Media".encode() in lines()[0]  # ensure_ascii=False: names stay readable


def test_an_undo_keeps_the_operation_it_undid() -> None:
    undone = operation(1)
    undo = operation(2, action="undo", undoes=undone.id)
    journal.record(undone)
    journal.record(undo)

    assert journal.operations()[0].undoes == undone.id
    assert journal.operations()[1].undoes is None


def test_no_journal_is_no_operations() -> None:
    assert journal.operations() == []
    assert journal.last("default", "api.aitasker.co") is None
    assert not state_dir().exists()  # reading creates nothing


def test_operations_come_newest_first() -> None:
    for n in range(5):
        journal.record(operation(n))

    assert [op.id for op in journal.operations()] == [operation(n).id for n in (4, 3, 2, 1, 0)]


def test_the_journal_keeps_the_newest_operations_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 5)
    for n in range(12):
        journal.record(operation(n))

    assert [op.id for op in journal.operations()] == [operation(n).id for n in range(11, 6, -1)]
    assert len(lines()) == 5
    assert sorted(os.listdir(state_dir())) == ["journal.jsonl", "journal.lock"]


def test_the_journal_keeps_to_its_size_and_always_the_newest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one = len(journal._encode(operation(0)))
    monkeypatch.setattr(journal, "MAX_BYTES", one * 3 + 10)
    for n in range(10):
        journal.record(operation(n))

    assert [op.id for op in journal.operations()] == [operation(n).id for n in (9, 8, 7)]
    assert journal.journal_path().stat().st_size <= journal.MAX_BYTES

    huge = operation(10, items=tuple(item(n) for n in range(1, 60)))
    assert len(journal._encode(huge)) > journal.MAX_BYTES
    journal.record(huge)

    assert journal.operations() == [huge]  # larger than the cap alone, and still kept

    journal.record(operation(11))

    assert [op.id for op in journal.operations()] == [operation(11).id]


def test_lines_that_are_not_records_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    good = operation(1)
    journal.record(good)
    valid = good.as_dict()

    def edited(**changes: object) -> str:
        return json.dumps({**valid, **changes})

    def edited_item(**changes: object) -> str:
        return edited(items=[{**valid["items"][0], **changes}])

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
        edited_item(after="paused\x1b[31m"),
        edited_item(after="x" * 1000),
        edited_item(name="\ud800"),  # a lone surrogate, escaped in the JSON
        "[" * 100_000 + "]" * 100_000,  # nested far beyond the recursion limit
        json.dumps({**valid, "id": operation(2).id})[:-20],  # cut short
    ]
    with journal.journal_path().open("a", encoding="utf-8") as file:
        file.write("\n".join(junk) + "\n\n   \n")
    with journal.journal_path().open("ab") as binary:
        binary.write(b"\xff\xfe not UTF-8\n")
        binary.write(edited(extra="ignored", changed=99).encode() + b"\n")
        binary.write(b'{"id": "half a line, the writer died')  # no newline at the end

    later = operation(3)
    journal.record(later)  # starts on a line of its own

    found = journal.operations()
    assert [op.id for op in found] == [later.id, good.id, good.id]
    assert found[1] == good  # unknown fields are ignored; counts are computed again
    assert json.loads(lines()[-1]) == later.as_dict()

    monkeypatch.setattr(journal, "KEEP_OPERATIONS", 10)
    journal.record(operation(4))  # the trim drops the junk, keeping every operation

    assert [json.loads(line)["id"] for line in lines()] == [
        good.id, good.id, later.id, operation(4).id,
    ]  # fmt: skip


def test_long_names_are_cut_and_broken_text_replaced() -> None:
    recorded = operation(items=(item(1, name="N" * 5000), item(2, name="bad \udc80 text")))
    journal.record(recorded)

    names = [i.name for i in journal.operations()[0].items]
    assert names == ["N" * journal.NAME_LENGTH, "bad ? text"]


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
        operation(items=(Item(AGENT_ID, "", "\x1b[2J", None, "changed"),)),
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
    from aitasker_cli import journal

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

    written = lines()
    assert len(written) == 100
    assert all(json.loads(line)["action"] == "pause" for line in written)
    found = journal.operations()
    assert len(found) == 100
    assert len({op.id for op in found}) == 100
    for w in range(4):
        mine = [op for op in reversed(found) if op.profile == f"writer{w}"]
        assert [op.items[0].name.split()[3] for op in mine] == [str(n) for n in range(25)]


def test_writers_in_several_processes_trim_together() -> None:
    script = WRITER.replace("import sys\n", "import sys\nimport aitasker_cli.journal as j\n")
    script = script.replace("writer = int", "j.KEEP_OPERATIONS = 30\nwriter = int")
    run_writers(script)

    assert len(lines()) == 30
    found = journal.operations()
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
        journal.operations()

    assert written.value.exit_code == read.value.exit_code == 10


A = "20261129T112005-3f9a2c"
B = "20261129T112005-3f9b00"
C = "20261130T080000-aaaaaa"


def record_three() -> None:
    for op_id in (A, B, C):
        journal.record(operation(op_id=op_id))


def test_find_takes_an_id_or_a_unique_prefix_in_any_case() -> None:
    record_three()

    assert journal.find(A).id == A
    assert journal.find("20261130").id == C
    assert journal.find("20261129T112005-3f9a").id == A
    assert journal.find("20261129t112005-3F9B").id == B


def test_find_names_the_operations_a_prefix_matches() -> None:
    record_three()

    with pytest.raises(UsageError) as raised:
        journal.find("20261129T1120")

    assert raised.value.exit_code == 2
    assert A in raised.value.message and B in raised.value.message
    assert C not in raised.value.message


def test_find_reports_an_operation_not_in_the_journal() -> None:
    record_three()

    for wanted in ("20270101T000000-000000", "nope", "202", ""):
        with pytest.raises(NotFoundError) as raised:
            journal.find(wanted)
        assert raised.value.exit_code == 3
        assert raised.value.message == f"no operation {wanted} in the journal"
        assert raised.value.hint == "See 'aitasker history'."


def test_find_in_no_journal_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        journal.find(A)


def test_last_is_the_newest_of_that_profile_on_that_host() -> None:
    journal.record(operation(1, profile="default", host="api.aitasker.co"))
    journal.record(operation(2, profile="work", host="api.aitasker.co"))
    journal.record(operation(3, profile="default", host="sandbox"))
    journal.record(operation(4, profile="default", host="api.aitasker.co", action="resume"))
    journal.record(operation(5, profile="work", host="sandbox"))

    def last(profile: str, host: str) -> str | None:
        found = journal.last(profile, host)
        return None if found is None else found.id

    assert last("default", "api.aitasker.co") == operation(4).id
    assert last("work", "api.aitasker.co") == operation(2).id
    assert last("default", "sandbox") == operation(3).id
    assert last("work", "sandbox") == operation(5).id
    assert last("other", "sandbox") is None


def test_operation_ids_sort_by_time_and_differ() -> None:
    ids = [journal.new_operation_id() for _ in range(2000)]

    assert len(set(ids)) == len(ids)
    assert all(journal._OPERATION_ID.fullmatch(op_id) for op_id in ids)
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
