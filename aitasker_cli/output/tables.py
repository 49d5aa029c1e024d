"""Rich tables for people: fitted to the terminal, server text shown literally, never markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aitasker_cli.output.cells import heading, table_cell

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_COLUMN_GAP = 3  # rich's padding between SIMPLE_HEAD columns
_STATUS_STYLES = {"active": "green", "paused": "yellow", "cancelled": "red", "failed": "red"}


def console(color: bool) -> Console:
    """A console that measures and colours for stdout; what it renders is captured, not written."""
    import sys

    from rich.console import Console

    return Console(
        file=sys.stdout,
        markup=False,
        highlight=False,
        emoji=False,
        color_system="auto" if color else None,
    )


def rendered(target: Console, renderable: Any) -> str:
    """The text (with colour codes, on a terminal) that `target` would have written."""
    with target.capture() as captured:
        target.print(renderable)
    return captured.get()


def list_table(
    items: Sequence[Any],
    fields: Sequence[str],
    width: int,
    *,
    keep: Sequence[str] = (),
    wrap: Sequence[str] = (),
) -> tuple[Any, Sequence[str]]:
    """A table that fits `width`, and the fields left out to make it fit.

    IDs are shown short, as git and docker do: the first 8 characters, more where the listing
    needs them to stay unique (every command takes such a prefix back; people copy them, so
    they are never cut further). How the columns share the width is `layout`'s to say.
    """
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    now = datetime.now(timezone.utc)
    columns = [[table_cell(item, field, now) for item in items] for field in fields]
    columns = [
        _short_ids(cells) if _is_id(f) else cells for f, cells in zip(fields, columns, strict=True)
    ]
    headings = [heading(field) for field in fields]
    natural = [
        max(len(title), *map(cell_len, cells))
        for title, cells in zip(headings, columns, strict=True)
    ]
    empty = [n for n, cells in enumerate(columns) if not any(cells)]
    shown, widths = layout(
        fields,
        [len(title) for title in headings],
        natural,
        width,
        keep=keep,
        wrap=wrap,
        empty=empty,
    )
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for n, column_width in zip(shown, widths, strict=True):
        wraps = fields[n] in wrap
        table.add_column(
            headings[n],
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
            width=column_width,
        )
    for row in range(len(items)):
        table.add_row(*(_styled(fields[n], columns[n][row]) for n in shown))
    # An empty column left out hides nothing, so the notice does not name it.
    return table, [field for n, field in enumerate(fields) if n not in shown and n not in empty]


WRAP_FLOOR = 16
"""A wrapping column is never narrower than this, so its text stays readable."""
KEEP_FLOOR = 9
"""A kept column (a name, a title) is cut no narrower than this, and only as a last resort."""
OTHER_FLOOR = 20
"""Any other column is cut no narrower than this (or its own width) or left out: a few
letters of a slug or a date tell a person nothing."""


def layout(
    fields: Sequence[str],
    headings: Sequence[int],
    natural: Sequence[int],
    width: int,
    *,
    keep: Sequence[str] = (),
    wrap: Sequence[str] = (),
    empty: Sequence[int] = (),
) -> tuple[list[int], list[int]]:
    """Which columns to show (their indices) and how wide, to fit `width` as gh and docker do.

    Columns have a priority. IDs and statuses are never cut; a row's own `id` and the kept
    columns are never left out (another object's ID, `hired_agent_id`, may be). The kept
    columns (`keep`: what a person looks for, a name, a title) get their whole width first;
    the others are left out from the right until that fits, each shown at least
    `OTHER_FLOOR` wide (or whole, if narrower). Only when the kept columns still do not fit
    are they cut, never below `KEEP_FLOOR`. Columns in `wrap` wrap instead, at least
    `WRAP_FLOOR` wide, so they ask for no more than that. Columns `empty` in every row (their
    indices) tell nothing: they are left out first, kept ones too, but never `id`.
    """
    floors = [_floor(field, natural[n], headings[n], keep, wrap) for n, field in enumerate(fields)]
    wants = [
        natural[n] if field in keep and field not in wrap else floors[n]
        for n, field in enumerate(fields)
    ]
    shown = list(range(len(fields)))
    informative = [n for n, f in enumerate(fields) if f != "id" and f not in keep]
    # Taken from the end: empty columns first (rightmost first), then the others.
    droppable = [n for n in informative if n not in empty] + [
        n for n, f in enumerate(fields) if n in empty and f != "id"
    ]
    while _needed(wants, shown) > width and droppable:
        shown.remove(droppable.pop())
    budget = width - _COLUMN_GAP * (len(shown) - 1)
    widths = [natural[n] for n in shown]
    # Cut the least wanted first: other columns, then those that wrap (losing nothing),
    # then the kept ones.
    for rank in (0, 1, 2):
        cuttable = [i for i, n in enumerate(shown) if _rank(fields[n], keep, wrap) <= rank]
        widths = _shrink(widths, [floors[n] for n in shown], budget, cuttable)
    return shown, widths


def _rank(field: str, keep: Sequence[str], wrap: Sequence[str]) -> int:
    """0 for a column cut first, 2 for one cut last."""
    if field in wrap:
        return 1
    return 2 if field in keep else 0


def _floor(field: str, natural: int, heading: int, keep: Sequence[str], wrap: Sequence[str]) -> int:
    """How narrow a column may get: IDs and statuses never cut, the others readable."""
    if _is_id(field) or _is_status(field):
        return natural
    if field in wrap:
        return min(natural, max(heading, WRAP_FLOOR))
    if field in keep:
        return min(natural, max(heading, KEEP_FLOOR))
    return min(natural, max(heading, OTHER_FLOOR))


def _short_ids(cells: Sequence[str]) -> list[str]:
    """UUIDs cut to the shortest prefix, 8 characters or more, that keeps them apart here."""
    ids = {cell for cell in cells if len(cell) == 36 and cell.count("-") == 4}
    length = 8
    while length < 36 and len({cell[:length] for cell in ids}) < len(ids):
        length += 1
    return [cell[:length] if cell in ids else cell for cell in cells]


def _needed(floors: Sequence[int], shown: Sequence[int]) -> int:
    return sum(floors[n] for n in shown) + _COLUMN_GAP * (len(shown) - 1)


def detail_table(item: Any, fields: Sequence[str]) -> Any:
    """One object as FIELD value lines; long values wrap."""
    from rich.table import Table

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    now = datetime.now(timezone.utc)
    for field in fields:
        table.add_row(_text(heading(field)), _styled(field, table_cell(item, field, now)))
    return table


def _shrink(
    widths: list[int], floors: list[int], budget: int, cuttable: Sequence[int]
) -> list[int]:
    """Narrow the widest `cuttable` columns, a cell at a time, to fit `budget` or the floors."""
    widths = list(widths)
    while sum(widths) > budget:
        shrinkable = [n for n in cuttable if widths[n] > floors[n]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda n: widths[n])] -= 1
    return widths


def _is_id(field: str) -> bool:
    return field == "id" or field.endswith(("_id", ".id"))


def _is_status(field: str) -> bool:
    return field == "status" or field.endswith(("_status", ".status"))


def _styled(field: str, cell: str) -> Text:
    style = _STATUS_STYLES.get(cell.lower(), "") if field.endswith("status") else ""
    return _text(cell, style)


def _text(content: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(content, style=style)
