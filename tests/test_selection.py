"""Which agents a change acts on, and how few requests finding their status costs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any, cast

import pytest

from aitasker_cli.core.errors import UnavailableError, UsageError
from aitasker_cli.domain.actions import PAUSE
from aitasker_cli.ops.selection import Condition, as_text, look_up, parse_where, select_all
from tests.conftest import uuid_n


def fake_agent(n: int, **raw: Any) -> Any:
    data = {"id": uuid_n(n), "status": "active", "tier": "pro", **raw}
    return SimpleNamespace(id=data["id"], status=data["status"], raw=data)


class Pages:
    """A client whose listing is `pages`, counting the pages it was asked for."""

    def __init__(
        self, pages: list[list[Any]], broken: bool = False, ignores_filter: bool = False
    ) -> None:
        self.pages = pages
        self.asked = 0
        self.statuses: list[str | None] = []
        self.broken = broken
        self.ignores_filter = ignores_filter

    def agent_pages(self, *, status: str | None) -> Iterator[list[Any]]:
        self.statuses.append(status)
        for page in self.pages:
            self.asked += 1
            if self.broken:
                raise UnavailableError("listing is down")
            yield [a for a in page if self.ignores_filter or status in (None, a.status)]


def run(
    client: Pages, ids: Sequence[str], statuses: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """(IDs found in the listing, IDs left to fetch one by one)."""
    listed: list[str] = []
    left: list[str] = []
    look_up(client, ids, left.extend, lambda agent_id, _agent: listed.append(agent_id), statuses)  # type: ignore[arg-type]
    return listed, left


def test_only_the_statuses_asked_for_are_listed_and_the_rest_are_fetched() -> None:
    """Pausing: the active agents are listed; a paused one among the IDs is fetched alone."""
    client = Pages([[fake_agent(n, status="paused" if n == 3 else "active") for n in range(1, 9)]])

    listed, left = run(client, [uuid_n(n) for n in range(1, 6)], statuses=["active"])

    assert client.statuses == ["active"]
    assert (sorted(listed), left) == ([uuid_n(n) for n in (1, 2, 4, 5)], [uuid_n(3)])


def test_no_further_status_is_listed_once_a_page_costs_more_than_the_gets_left() -> None:
    """Undo may list two statuses; the page budget spans both, not each on its own."""
    client = Pages(
        [[fake_agent(1, status="active")], [fake_agent(2, status="active")]]
        + [[fake_agent(n, status="paused")] for n in (3, 4)]
    )

    listed, left = run(client, [uuid_n(n) for n in range(1, 5)], statuses=["active", "paused"])

    assert client.statuses == ["active"]
    assert (listed, left) == ([uuid_n(1), uuid_n(2)], [uuid_n(3), uuid_n(4)])


def test_a_server_ignoring_the_status_filter_still_gives_each_agent_its_own_status() -> None:
    agents = [fake_agent(n, status="paused" if n == 3 else "active") for n in range(1, 9)]
    client = Pages([agents], ignores_filter=True)

    seen: dict[str, str] = {}
    left: list[str] = []

    def found(agent_id: str, agent: Any) -> None:
        seen[agent_id] = agent.status

    look_up(cast(Any, client), [uuid_n(n) for n in range(1, 6)], left.extend, found, ["active"])

    assert left == []  # the paused one came with the page, with its own status
    assert seen[uuid_n(3)] == "paused" and seen[uuid_n(1)] == "active"


def test_one_agent_costs_one_get_and_no_page() -> None:
    client = Pages([[fake_agent(n) for n in range(1, 101)]])

    assert run(client, [uuid_n(5)]) == ([], [uuid_n(5)])
    assert client.asked == 0


def test_a_page_holding_them_all_replaces_every_get() -> None:
    client = Pages([[fake_agent(n) for n in range(1, 101)], [fake_agent(101)]])

    listed, left = run(client, [uuid_n(n) for n in range(1, 51)])

    assert (len(listed), left, client.asked) == (50, [], 1)


def test_paging_stops_once_a_page_costs_as_much_as_the_gets_left() -> None:
    pages = [[fake_agent(1000 * p + n) for n in range(100)] for p in range(1, 50)]
    client = Pages(pages)
    wanted = [uuid_n(n) for n in range(1, 4)]  # in no page

    listed, left = run(client, wanted)

    assert (listed, left) == ([], wanted)
    assert client.asked <= len(wanted)  # never more pages than the GETs they would save


def test_a_listing_that_fails_falls_back_to_gets() -> None:
    client = Pages([[fake_agent(1)]], broken=True)

    assert run(client, [uuid_n(1), uuid_n(2)]) == ([], [uuid_n(1), uuid_n(2)])


def test_all_filters_on_dotted_fields_as_the_listing_arrives() -> None:
    agents = [
        fake_agent(1, workspace={"status": "active"}),
        fake_agent(2, workspace={"status": "paused"}),
        fake_agent(3, status="paused", workspace={"status": "active"}),
    ]
    where = parse_where(["workspace.status=active"])

    chosen = select_all(Pages([agents]), PAUSE, where, lambda agent: agent.id)  # type: ignore[arg-type]

    assert chosen == [uuid_n(1)]  # 3 is paused: pause does not act on it


def test_a_field_no_listed_agent_has_is_exit_2() -> None:
    with pytest.raises(UsageError, match="no listed agent has the field 'tierr'"):
        select_all(Pages([[fake_agent(1)]]), PAUSE, parse_where(["tierr=pro"]), str)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [("pro", "pro"), (True, "true"), (None, "null"), (3, "3"), ({"a": 1}, '{"a":1}')],
)
def test_values_compare_as_the_json_shows_them(value: Any, text: str) -> None:
    assert as_text(value) == text
    assert Condition("x", text).holds_for({"x": value})


@pytest.mark.parametrize("bad", ["tier", "=pro", "a..b=1", ".a=1"])
def test_a_condition_that_is_not_field_equals_value_is_exit_2(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_where([bad])
