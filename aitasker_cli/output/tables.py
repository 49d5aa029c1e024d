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
    items: Sequence[Any], fields: Sequence[str], width: int
) -> tuple[Any, Sequence[str]]:
    """A table that fits `width`, and the fields left out to make it fit."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    now = datetime.now(timezone.utc)
    rows = [[table_cell(item, field, now) for field in fields] for item in items]
    headings = [heading(field) for field in fields]
    natural = [
        max(len(title), *(cell_len(row[n]) for row in rows)) for n, title in enumerate(headings)
    ]
    # IDs are never shortened, since people copy them; other cells may be cut to fit, but
    # never narrower than their heading. Columns that cannot fit even so are left out.
    floors = [natural[n] if _is_id(field) else len(headings[n]) for n, field in enumerate(fields)]
    shown = 1
    while shown < len(fields) and sum(floors[: shown + 1]) + _COLUMN_GAP * shown <= width:
        shown += 1
    widths = _shrink(natural[:shown], floors[:shown], width - _COLUMN_GAP * (shown - 1))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for title, column_width in zip(headings, widths, strict=False):
        table.add_column(title, no_wrap=True, overflow="ellipsis", width=column_width)
    for row in rows:
        table.add_row(*(_styled(f, cell) for f, cell in zip(fields[:shown], row, strict=False)))
    return table, fields[shown:]


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


def _shrink(widths: list[int], floors: list[int], budget: int) -> list[int]:
    """Narrow the widest columns, one cell at a time, until they fit `budget` or the floors."""
    widths = list(widths)
    while sum(widths) > budget:
        shrinkable = [n for n, w in enumerate(widths) if w > floors[n]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda n: widths[n])] -= 1
    return widths


def _is_id(field: str) -> bool:
    return field == "id" or field.endswith("_id")


def _styled(field: str, cell: str) -> Text:
    style = _STATUS_STYLES.get(cell.lower(), "") if field.endswith("status") else ""
    return _text(cell, style)


def _text(content: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(content, style=style)
