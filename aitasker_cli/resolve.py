"""What a person types for an agent or a workspace: a full ID, a unique ID prefix, or a name.

Like gh, which takes a number or a name: `aitasker agents pause 1888df20` or
`aitasker agents pause "Maya Sales"`. A full UUID costs no request. A prefix of 4 or more hex
characters is looked up in the IDs recent listings showed (the completion cache), and a match
there is confirmed with one GET; otherwise, and for names, the API's listing is read, one
request a page. `--stdin` never comes here: scripts give full IDs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aitasker_cli.errors import NotFoundError, UsageError
from aitasker_cli.patterns import UUID

if TYPE_CHECKING:
    from aitasker_cli.client import ApiClient

SHORTEST_PREFIX = 4
SHOWN_MATCHES = 10
_PREFIX = r"[0-9a-fA-F][0-9a-fA-F-]*"
NAME_FIELD = {"agent": "display_name", "workspace": "name"}


class Resolver:
    """Turns what was typed into full IDs, reading the API's listing at most once."""

    def __init__(self, client: ApiClient, noun: str) -> None:
        self._client = client
        self._noun = noun
        self._listed: list[tuple[str, str]] | None = None
        self.fetched: dict[str, Any] = {}
        """Items the resolver had to GET, by ID: a caller needs not fetch them again."""

    def id_of(self, typed: str) -> str:
        """The one ID `typed` stands for; exit 2 when it is several or nothing, 3 when none."""
        text = typed.strip()
        if not text:
            raise UsageError(f"an empty {self._noun} ID was given")
        if re.fullmatch(UUID, text):
            return text.lower()
        prefix = _hex_prefix(text)
        if prefix is not None:
            cached = self._cached(prefix)
            if len(cached) == 1 and self._exists(cached[0]):
                return cached[0]
            by_prefix = [(i, n) for i, n in self._listing() if i.startswith(prefix)]
            if by_prefix:
                return self._one(typed, by_prefix)
        by_name = [(i, n) for i, n in self._listing() if n == text]
        if by_name:
            return self._one(typed, by_name)
        raise NotFoundError(
            f"no {self._noun} has the ID or name {_shown(typed)}",
            hint=f"List them with 'aitasker {self._noun}s list'; an ID prefix needs "
            f"{SHORTEST_PREFIX} or more characters.",
        )

    def _one(self, typed: str, matches: list[tuple[str, str]]) -> str:
        if len(matches) == 1:
            return matches[0][0]
        listed = "; ".join(f"{i[:8]} {n}".rstrip() for i, n in matches[:SHOWN_MATCHES])
        more = f" and {len(matches) - SHOWN_MATCHES} more" if len(matches) > SHOWN_MATCHES else ""
        raise UsageError(
            f"{_shown(typed)} matches {len(matches)} {self._noun}s: {listed}{more}",
            hint="Give more of the ID, or the full ID.",
        )

    def _cached(self, prefix: str) -> list[str]:
        from aitasker_cli import cache

        return [i for i, _name in cache.candidates(f"{self._noun}s", prefix)]

    def _exists(self, item_id: str) -> bool:
        get: Callable[[str], Any] = (
            self._client.get_agent if self._noun == "agent" else self._client.get_workspace
        )
        try:
            self.fetched[item_id] = get(item_id)
        except NotFoundError:
            return False
        return True

    def _listing(self) -> list[tuple[str, str]]:
        if self._listed is None:
            items: Iterable[Any] = (
                self._client.list_agents(status=None, limit=None)
                if self._noun == "agent"
                else self._client.list_workspaces(status=None, limit=None)
            )
            field = NAME_FIELD[self._noun]
            self._listed = [(str(item.id), str(item.raw.get(field) or "")) for item in items]
        return self._listed


def _hex_prefix(text: str) -> str | None:
    """`text` as an ID prefix (lower case), if it is one: hex digits and dashes, 4+ digits."""
    if not re.fullmatch(_PREFIX, text):
        return None
    if sum(char != "-" for char in text) < SHORTEST_PREFIX:
        return None
    return text.lower()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
