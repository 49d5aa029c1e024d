"""The list/show recipe: a new resource's list and show are its view, statuses and client call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from aitasker_cli.cli import listing
from aitasker_cli.cli.options import Common
from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.formats import OutputFormat
from aitasker_cli.domain.statuses import Status
from aitasker_cli.domain.views import View
from aitasker_cli.local import cache
from tests.conftest import uuid_n


class ThingStatus(Status):
    ready = "ready"
    gone = "gone"


THINGS = listing.Resource(
    View("thing", "things", columns=("id", "name", "status"), detail=("id", "name")),
    ThingStatus,
    cache=None,
)
ITEMS = [{"id": uuid_n(n), "name": f"thing {n}", "status": "ready"} for n in range(1, 5)]


def fetched(asked: list[int | None]) -> listing.Fetch:
    def fetch(_client: Any, limit: int | None) -> Iterator[dict[str, Any]]:
        asked.append(limit)
        yield from ITEMS[:limit]

    return fetch


def test_a_new_resource_lists_through_the_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[int | None] = []

    listing.list_items(
        Common(sandbox=True, output=OutputFormat.tsv),
        THINGS,
        fetched(asked),
        status="rady",
        limit=2,
        all_pages=False,
    )

    out, err = capsys.readouterr()
    assert out == f"{uuid_n(1)}\tthing 1\tready\n{uuid_n(2)}\tthing 2\tready\n"
    assert "'rady' is not a known thing status (known: ready, gone); did you mean 'ready'" in err
    assert asked == [2]


def test_all_pages_asks_for_everything_and_a_limit_with_it_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    asked: list[int | None] = []
    common = Common(sandbox=True, output=OutputFormat.id)

    listing.list_items(common, THINGS, fetched(asked), status=None, limit=None, all_pages=True)
    with pytest.raises(UsageError):
        listing.list_items(common, THINGS, fetched(asked), status=None, limit=3, all_pages=True)

    assert capsys.readouterr().out.split() == [item["id"] for item in ITEMS]
    assert asked == [None]


def test_only_a_resource_with_a_cache_fills_it_for_tab(
    capsys: pytest.CaptureFixture[str],
) -> None:
    common = Common(sandbox=True, output=OutputFormat.id)

    listing.list_items(common, THINGS, fetched([]), status=None, limit=1, all_pages=False)
    assert not cache.cache_path().exists()
    listing.list_items(
        common,
        THINGS._replace(cache="workspaces"),
        fetched([]),
        status=None,
        limit=2,
        all_pages=False,
    )

    assert sorted(cache.candidates("workspaces", "")) == [
        (uuid_n(1), "thing 1"),
        (uuid_n(2), "thing 2"),
    ]
    assert capsys.readouterr().out.split() == [uuid_n(1), uuid_n(1), uuid_n(2)]


def test_show_resolves_then_prints_what_the_call_returns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    got: list[str] = []

    def get(_client: Any, full_id: str) -> dict[str, Any]:
        got.append(full_id)
        return {**ITEMS[0], "extra": 1}

    listing.show_item(Common(sandbox=True, output=OutputFormat.json), THINGS, uuid_n(1), get)

    assert got == [uuid_n(1)]
    assert json.loads(capsys.readouterr().out) == {**ITEMS[0], "extra": 1}
