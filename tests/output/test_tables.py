"""How `tables.layout` shares a terminal's width among a listing's columns."""

from __future__ import annotations

from collections.abc import Sequence

from aitasker_cli.domain.views import AGENTS, TASKS
from aitasker_cli.output import tables

GAP = 3

# Widths of the sandbox fleet's columns: (heading, widest cell).
AGENT_WIDTHS = {
    "id": (2, 8),
    "display_name": (12, 23),
    "agent_type": (10, 20),
    "status": (6, 9),
    "tier": (4, 8),
    "updated_at": (10, 10),
}
TASK_WIDTHS = {
    "id": (2, 8),
    "title": (5, 35),
    "status": (6, 17),
    "priority": (8, 6),
    "skill_slug": (10, 13),
    "cost_usd": (8, 6),
    "created_at": (10, 10),
}


def lay_out(
    widths: dict[str, tuple[int, int]],
    width: int,
    keep: Sequence[str] = (),
    wrap: Sequence[str] = (),
) -> dict[str, int]:
    fields = list(widths)
    headings = [widths[f][0] for f in fields]
    natural = [max(widths[f]) for f in fields]
    shown, sizes = tables.layout(fields, headings, natural, width, keep=keep, wrap=wrap)
    return {fields[n]: size for n, size in zip(shown, sizes, strict=True)}


def test_everything_whole_when_there_is_room() -> None:
    got = lay_out(TASK_WIDTHS, 120, keep=TASKS.keep)

    assert got == {f: max(w) for f, w in TASK_WIDTHS.items()}


def test_at_80_the_title_and_status_are_whole_and_the_rightmost_columns_go() -> None:
    got = lay_out(TASK_WIDTHS, 80, keep=TASKS.keep)

    assert list(got) == ["id", "title", "status", "priority"]
    assert got["title"] == 35 and got["status"] == 17 and got["id"] == 8


def test_at_80_agent_names_are_whole_and_only_the_last_column_goes() -> None:
    got = lay_out(AGENT_WIDTHS, 80, keep=AGENTS.keep)

    assert list(got) == ["id", "display_name", "agent_type", "status", "tier"]
    assert got == {f: max(AGENT_WIDTHS[f]) for f in got}  # nothing cut


def test_kept_columns_are_cut_only_once_all_others_are_gone() -> None:
    got = lay_out(TASK_WIDTHS, 50, keep=TASKS.keep)

    assert list(got) == ["id", "title", "status"]
    assert got["status"] == 17 and got["id"] == 8  # never cut
    assert got["title"] == 50 - 8 - 17 - 2 * GAP


def test_a_kept_column_is_not_cut_below_its_floor() -> None:
    got = lay_out(TASK_WIDTHS, 30, keep=TASKS.keep)

    assert got["title"] == tables.KEEP_FLOOR and got["status"] == 17 and got["id"] == 8


def test_other_columns_are_left_out_rather_than_cut_to_a_stub() -> None:
    widths = {"id": (2, 8), "name": (4, 10), "slug": (4, 40), "tier": (4, 8)}

    got = lay_out(widths, 50, keep=("name",))

    assert "slug" not in got or got["slug"] >= tables.OTHER_FLOOR
    assert got["name"] == 10


def test_a_long_other_column_is_cut_no_narrower_than_the_floor() -> None:
    widths = {"id": (2, 8), "name": (4, 10), "url": (3, 60)}

    got = lay_out(widths, 8 + 10 + 25 + 2 * GAP, keep=("name",))

    assert got == {"id": 8, "name": 10, "url": 25}


def test_statuses_are_never_cut_even_if_not_kept() -> None:
    widths = {"id": (2, 8), "name": (4, 30), "status": (6, 17), "note": (4, 40)}

    got = lay_out(widths, 84, keep=("name",))

    assert got == {"id": 8, "name": 30, "status": 17, "note": tables.OTHER_FLOOR}


def test_another_objects_id_may_be_left_out_but_never_cut() -> None:
    widths = {"id": (2, 8), "name": (4, 22), "status": (6, 8), "hired_agent_id": (14, 8)}

    narrow = lay_out(widths, 40, keep=("name", "status"))
    wide = lay_out(widths, 80, keep=("name", "status"))

    assert "hired_agent_id" not in narrow and narrow["id"] == 8
    assert wide["hired_agent_id"] == 14


def test_a_wrapping_column_gives_way_before_a_kept_one_is_cut() -> None:
    widths = {"check": (5, 12), "status": (6, 4), "detail": (6, 70)}

    got = lay_out(widths, 60, keep=("check", "status", "detail"), wrap=("detail",))

    assert got["check"] == 12 and got["status"] == 6
    assert got["detail"] == 60 - 12 - 6 - 2 * GAP


def test_the_table_fits_whenever_the_floors_allow() -> None:
    for width in range(40, 130):
        for widths, keep in ((TASK_WIDTHS, TASKS.keep), (AGENT_WIDTHS, AGENTS.keep)):
            got = lay_out(widths, width, keep=keep)
            assert sum(got.values()) + GAP * (len(got) - 1) <= width, (width, got)
            assert {"id", "status", *keep} <= set(got)


def test_more_columns_come_back_as_the_terminal_widens() -> None:
    shown = [len(lay_out(TASK_WIDTHS, w, keep=TASKS.keep)) for w in (40, 60, 80, 100, 120)]

    assert shown == sorted(shown) and shown[0] == 3 and shown[-1] == len(TASK_WIDTHS)


# A bulk run's results where nothing failed: the ERROR column is empty in every row.
RESULT_WIDTHS = {
    "id": (2, 8),
    "display_name": (12, 23),
    "status_before": (13, 9),
    "status_after": (12, 9),
    "outcome": (7, 9),
    "error": (5, 0),
}


def test_at_80_an_empty_column_goes_before_an_informative_one() -> None:
    fields = list(RESULT_WIDTHS)
    headings = [RESULT_WIDTHS[f][0] for f in fields]
    natural = [max(RESULT_WIDTHS[f]) for f in fields]
    keep = ("outcome", "error", "display_name")

    shown, _sizes = tables.layout(
        fields, headings, natural, 80, keep=keep, wrap=("error",), empty=[fields.index("error")]
    )

    assert [fields[n] for n in shown] == [
        "id", "display_name", "status_before", "status_after", "outcome",
    ]  # fmt: skip


def test_an_empty_column_stays_when_there_is_room_and_id_always_stays() -> None:
    fields = list(RESULT_WIDTHS)
    headings = [RESULT_WIDTHS[f][0] for f in fields]
    natural = [max(RESULT_WIDTHS[f]) for f in fields]

    roomy, _ = tables.layout(fields, headings, natural, 120, empty=[5])
    narrow, _ = tables.layout(fields, headings, natural, 10, empty=[0, 5])

    assert roomy == list(range(len(fields)))
    assert narrow == [0]
