"""Following a limit/offset listing page by page, as CLI-CONTRACT.md (Output) describes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from aitasker_cli.api.responses import shape_error
from aitasker_cli.core.errors import UnavailableError


def pages(
    fetch: Callable[[Sequence[tuple[str, str]]], Any],
    params: Sequence[tuple[str, str]],
    limit: int | None,
    page_size: int,
) -> Iterator[list[Any]]:
    """The items of each page, `fetch(query)`, until `limit` items, an empty or a short page.

    Servers may cap a page below the size asked for, so a page is "short" only when it
    is shorter than the largest page seen before it (CLI-CONTRACT.md, Output). An item
    already seen (it moved to the next page while we paged) is passed over. A page that
    brings nothing new after a full one means the server ignores `offset` and the rest
    cannot be had: exit 7, not a loop. After a short one, the server sent all it has.
    """
    offset = largest = delivered = 0
    seen: set[Any] = set()
    previous_short = False
    while limit is None or delivered < limit:
        size = page_size if limit is None else min(page_size, limit - delivered)
        query = [*params, ("limit", str(size)), ("offset", str(offset))]
        page = fetch(query)
        if not isinstance(page, list):
            raise shape_error(f"a {type(page).__name__} where a list was expected")
        if not page:
            return
        fresh = [item for item in page if _remember(seen, item)]
        if not fresh and previous_short:
            return  # a server that does not page sent everything it has, twice
        if not fresh:
            raise UnavailableError(
                f"the API repeated itself: the page at offset {offset} brought no item "
                "that earlier pages had not",
                hint="The API may ignore 'offset'; stopped rather than page forever.",
            )
        wanted = fresh if limit is None else fresh[: limit - delivered]
        delivered += len(wanted)
        yield wanted
        if len(page) < largest:
            return
        largest = max(largest, len(page))
        offset += len(page)
        previous_short = len(page) < size


def _remember(seen: set[Any], item: Any) -> bool:
    """Whether `item` is new to this listing (by its `id`, else by its content)."""
    identity = item.get("id") if isinstance(item, dict) else None
    key = identity if isinstance(identity, str) else hash(json.dumps(item, sort_keys=True))
    if key in seen:
        return False
    seen.add(key)
    return True
