"""Reading the journal back: its records turned into operations, checked field by field, and
the look-ups `history` and `undo` make (by ID or prefix, the newest for this API).

Format 2 records (a header, then item records, the last one for an agent winning) and format 1
lines (a whole operation each, written before this version, with the API's host but not its
URL) are both read. Anything else is skipped silently: the file may be old, edited or damaged.

Standard library only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aitasker_cli.core.errors import LocalIOError, NotFoundError, UsageError
from aitasker_cli.core.patterns import encodable
from aitasker_cli.local import journal_file
from aitasker_cli.local.journal import journal_path
from aitasker_cli.local.journal_records import (
    NAME_LENGTH,
    PENDING,
    Item,
    Operation,
    item_problem,
    operation_problem,
)

PREFIX_LENGTH = 4
"""The fewest characters of an operation ID that `find` matches as a prefix."""
LISTED = 10
"""How many matching IDs an ambiguous prefix's error names."""
ORIGINS = ("terminal", "mcp", "action")


def read_operations(path: Path) -> list[Operation]:
    """The operations in the journal at `path`, newest first; [] if there is none.

    An operation whose items all needed or made no change (nothing to undo, nothing in doubt)
    is left out, as if it had not been journaled. LocalIOError (exit 10) if the journal exists
    but cannot be read, or is not a regular file.
    """
    headers: dict[str, Operation] = {}
    items: dict[str, dict[str, Item]] = {}
    try:
        for data in journal_file.read_records(path):
            if data.get("v") == journal_file.FORMAT:
                _take(data, headers, items)
            elif "v" not in data:
                whole = _whole_operation(data)
                if whole is not None and whole.id not in headers:
                    headers[whole.id] = whole
    except FileNotFoundError:
        return []
    except OSError as exc:
        reason = exc.strerror or str(exc)
        where = exc.filename if isinstance(exc, journal_file.NotRegularFile) else path
        raise LocalIOError(f"cannot read the journal {where}: {reason}") from None
    found = []
    for operation_id, header in reversed(headers.items()):
        if operation_id in items:
            header = header._replace(items=tuple(map(_settled, items[operation_id].values())))
        if _worth_showing(header):
            found.append(header)
    return found


def _take(
    data: dict[str, Any], headers: dict[str, Operation], items: dict[str, dict[str, Item]]
) -> None:
    kind = data.get("kind")
    if kind == "operation":
        header = _header(data)
        if header is not None and header.id not in headers:
            headers[header.id] = header
            items[header.id] = {}
    elif kind == "item" and data.get("op") in items:
        item = _item(data, pending_allowed=True)
        if item is None:
            return
        known = items[data["op"]]
        earlier = known.pop(item.id, None)  # re-inserted: the agent's place is its last record
        if earlier is not None and earlier.outcome == "changed" and item.outcome == "interrupted":
            item = earlier  # the signal was reported after the API had answered
        # Only an interrupted item's record says nothing of whether it was sent: an intent
        # before it does.
        sent = item.outcome != "interrupted" or (earlier is not None and earlier.sent)
        known[item.id] = item._replace(sent=sent)


def _settled(item: Item) -> Item:
    """An intent that no outcome followed: the run ended while its change was in flight."""
    return item._replace(outcome="interrupted") if item.outcome == PENDING else item


def _worth_showing(operation: Operation) -> bool:
    return any(
        item.outcome == "changed" or (item.outcome == "interrupted" and item.sent)
        for item in operation.items
    )


def _header(data: dict[str, Any]) -> Operation | None:
    """A format-2 header: the operation, its items to come in records of their own."""
    origin, api_url = data.get("origin"), data.get("api_url")
    if origin not in ORIGINS or not (api_url is None or isinstance(api_url, str)):
        return None
    return _operation(data, (), api_url=api_url, origin=origin)


def _operation(data: dict[str, Any], items: tuple[Item, ...], **newer: Any) -> Operation | None:
    """The operation `data` describes, with `items`; None if it is not one the journal holds.
    `newer` holds the fields format 1 did not have."""
    operation = Operation(
        id=data.get("id"),  # type: ignore[arg-type] # checked below
        time=data.get("time"),  # type: ignore[arg-type]
        profile=data.get("profile"),  # type: ignore[arg-type]
        host=data.get("host"),  # type: ignore[arg-type]
        action=data.get("action"),  # type: ignore[arg-type]
        items=items,
        undoes=data.get("undoes"),
        **newer,
    )
    return None if operation_problem(operation) else operation


def _item(data: dict[str, Any], *, pending_allowed: bool = False) -> Item | None:
    name = data.get("name")
    if not (isinstance(name, str) and encodable(name)):
        return None
    item = Item(
        id=data.get("id"),  # type: ignore[arg-type] # checked below
        name=name[:NAME_LENGTH],
        before=data.get("before"),
        after=data.get("after"),
        outcome=data.get("outcome"),  # type: ignore[arg-type]
        reason=data.get("reason"),
    )
    if pending_allowed and item.outcome == PENDING:
        return None if item_problem(item._replace(outcome="interrupted")) else item
    return None if item_problem(item) else item


def _whole_operation(data: dict[str, Any]) -> Operation | None:
    """A format-1 line: the whole operation, with the API's host only."""
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        return None
    items = []
    for raw in raw_items:
        item = _item(raw) if isinstance(raw, dict) else None
        if item is None:
            return None
        items.append(item)
    return _operation(data, tuple(items))


# Look-ups


def find(wanted: str) -> Operation:
    """The operation with ID `wanted`, or the one whose ID starts with it (PREFIX_LENGTH
    characters at least), in any case.

    NotFoundError (exit 3) if none does, with the closest IDs; UsageError (exit 2) naming them
    if several do, or if `wanted` is empty.
    """
    key = wanted.strip().lower()
    if not key:
        raise UsageError("an empty operation ID was given", hint="See 'aitasker history'.")
    known = operations()
    exact = [operation for operation in known if operation.id.lower() == key]
    if exact:
        return exact[0]  # the newest, should two processes ever have drawn the same ID
    if len(key) >= PREFIX_LENGTH:
        matches = [operation for operation in known if operation.id.lower().startswith(key)]
    else:
        matches = []
    if not matches:
        raise NotFoundError(
            f"no operation {wanted} in the journal" + _did_you_mean(key, known),
            hint="See 'aitasker history'.",
        )
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(operation.id for operation in matches[:LISTED])
    more = f" and {len(matches) - LISTED} more" if len(matches) > LISTED else ""
    raise UsageError(
        f"{wanted} matches {len(matches)} operations in the journal: {listed}{more}",
        hint="Give more characters of the operation ID; see 'aitasker history'.",
    )


def _did_you_mean(key: str, known: list[Operation]) -> str:
    import difflib

    close = difflib.get_close_matches(key, [operation.id.lower() for operation in known], n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def last(profile: str, api_url: str) -> Operation | None:
    """The newest operation made with this profile on this API, if the journal holds one."""
    return next((op for op in operations() if op.acted_on(profile, api_url)), None)


def elsewhere(profile: str, api_url: str) -> list[Operation]:
    """The operations made with another profile or on another API, newest first."""
    return [op for op in operations() if not op.acted_on(profile, api_url)]


def operations() -> list[Operation]:
    """The operations in the journal, newest first (see read_operations)."""
    return read_operations(journal_path())
