"""Which agents a change acts on, and each one's status before it, for as few requests as can be.

`--all` lists the agents in the statuses the action acts on (the API filters by status), then
`--where FIELD=VALUE` narrows that listing here. For IDs given one by one, the status before
comes from listing pages while a page is cheaper than fetching the remaining agents one at a
time, then from one GET each for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aitasker_cli.core.errors import AitaskerError, UsageError

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.domain.actions import Action

_MISSING = object()
T = TypeVar("T")


@dataclass(frozen=True)
class Condition:
    """One `--where FIELD=VALUE`: a dotted path into the agent as the API sends it."""

    field: str
    value: str

    def holds_for(self, raw: Mapping[str, Any]) -> bool:
        found = _at(raw, self.field)
        return found is not _MISSING and as_text(found) == self.value


def parse_where(conditions: Sequence[str]) -> list[Condition]:
    """`--where` options as conditions; exit 2 for one that is not FIELD=VALUE."""
    parsed = []
    for condition in conditions:
        field, equals, value = condition.partition("=")
        field = field.strip()
        if not equals or not field or any(not part for part in field.split(".")):
            raise UsageError(
                f"'{condition}' is not FIELD=VALUE",
                hint="For example: --where team_id=… --where workspace.status=active",
            )
        parsed.append(Condition(field, value))
    return parsed


def as_text(value: Any) -> str:
    """A value as `--where` compares it: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def select_all(
    client: ApiClient, action: Action, where: Sequence[Condition], keep: Callable[[Any], T]
) -> list[T]:
    """`keep(agent)` of every agent `action` acts on (a listing per status) that meets every
    condition; agents are passed over as they are listed, never all held.

    A condition on a field that no listed agent has is a typo, not an empty selection: exit 2.
    """
    wanted_statuses = list(action.acts_on)
    for condition in where:
        if condition.field == "status":  # the API filters by status itself
            wanted_statuses = [s for s in wanted_statuses if s == condition.value]
    chosen: list[T] = []
    listed = False
    unseen = {condition.field for condition in where}
    for status in wanted_statuses:
        for agent in _listing(client, status):
            listed = True
            unseen = {field for field in unseen if _at(agent.raw, field) is _MISSING}
            if all(condition.holds_for(agent.raw) for condition in where):
                chosen.append(keep(agent))
    if listed and unseen:
        raise UsageError(
            f"no listed agent has the field '{sorted(unseen)[0]}'",
            hint="Fields are named as in '-o json'; a.b reaches inside (workspace.status).",
        )
    return chosen


def _listing(client: ApiClient, status: str) -> Iterable[Any]:
    for page in client.agent_pages(status=status):
        yield from page


def look_up(
    client: ApiClient,
    ids: Sequence[str],
    fetch_each: Callable[[Sequence[str]], None],
    found: Callable[[str, Any], None],
    statuses: Sequence[str] | None = None,
) -> None:
    """Tell `found(ID, agent)` each agent as it is now; `fetch_each` gets the rest.

    Listing pages come first: of the agents in `statuses` (those an action changes, which
    are most of what a bulk run is given), or of every agent when None. Each listed agent
    carries its own status, so a server that ignores the filter costs pages, never
    correctness. Pages are read only while one more costs fewer requests than fetching
    every agent still missing (a page is one request, and so is each GET); `fetch_each`
    then fetches the IDs no page had, concurrently, and reports each itself.
    """
    missing = set(ids)
    pages = 0
    try:
        for status in statuses if statuses is not None else [None]:
            if pages + 1 >= len(missing):  # the next page costs as much as the GETs left
                break
            for page in client.agent_pages(status=status):
                pages += 1
                for agent in page:
                    agent_id = str(agent.id)
                    if agent_id in missing:
                        missing.discard(agent_id)
                        found(agent_id, agent)
                if pages + 1 >= len(missing):
                    break
    except AitaskerError:
        pass  # the listing is only a shortcut: each agent is fetched on its own instead
    fetch_each([agent_id for agent_id in ids if agent_id in missing])


def _at(raw: Any, path: str) -> Any:
    """The value at a dotted path, or _MISSING when a key on the way is absent."""
    value = raw
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value
