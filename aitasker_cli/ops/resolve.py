"""What a person types for an agent or a workspace: a full ID, a unique ID prefix, or a name.

Like gh, which takes a number or a name: `aitasker agents pause 1888df20` or
`aitasker agents pause "Maya Sales"`. A full UUID costs no request and is never ambiguous.
Anything else is looked up in the API's whole listing, one request a page: a prefix must be
unique in it, and a name must be equal as typed (after Unicode NFC, never stripped). Recent
listings (the completion cache) are not trusted for this: they may be partial, old, or of
another API URL or profile. `--stdin` never comes here: scripts give full IDs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aitasker_cli.core.errors import NotFoundError, UsageError
from aitasker_cli.core.patterns import UUID

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient

SHORTEST_PREFIX = 4
SHOWN_MATCHES = 10
SUGGESTED = 5
_PREFIX = r"[0-9a-fA-F][0-9a-fA-F-]*"
NAME_FIELD = {"agent": "display_name", "workspace": "name"}


class Resolver:
    """Turns what was typed into full IDs, reading the API's listing at most once."""

    def __init__(self, client: ApiClient, noun: str) -> None:
        self._client = client
        self._noun = noun
        self._listed: list[tuple[str, str]] | None = None

    def id_of(self, typed: str) -> str:
        """The one ID `typed` stands for; exit 2 when it is empty or several, 3 when none."""
        if not typed.strip():
            raise UsageError(f"an empty {self._noun} ID was given")
        # Whitespace around a full ID is dropped, as everywhere an ID is read (routes.parse_id).
        if re.fullmatch(UUID, typed.strip()):
            return typed.strip().lower()
        prefix = _hex_prefix(typed)
        name = unicodedata.normalize("NFC", typed)
        # Hex is both a prefix and a possible name: an agent named `dead` and one with the ID
        # dead0000-… are two matches, never one chosen over the other.
        matches = [
            (item_id, item_name)
            for item_id, item_name in self._listing()
            if item_name == name or (prefix is not None and item_id.startswith(prefix))
        ]
        if matches:
            return self._one(typed, matches)
        raise NotFoundError(
            f"no {self._noun} has the ID or name {_shown(typed)}",
            hint=self._suggestion(typed)
            or f"List them with 'aitasker {self._noun}s list'; an ID prefix needs "
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

    def _suggestion(self, typed: str) -> str | None:
        """ "Did you mean" with the items whose names are close to `typed`; None if none are."""
        from aitasker_cli.core.suggest import close_matches

        listing = self._listing()
        close = close_matches(typed, (n for _i, n in listing), limit=SUGGESTED)
        rank = {name: place for place, name in enumerate(close)}
        chosen = sorted((item for item in listing if item[1] in rank), key=lambda i: rank[i[1]])
        if not chosen:
            return None
        # repr shows what tells close names apart: a trailing space, a newline.
        return f"Did you mean {'; '.join(f'{i[:8]} {_shown(n)}' for i, n in chosen[:SUGGESTED])}?"

    def _listing(self) -> list[tuple[str, str]]:
        """(ID, name in NFC) of every item, from every page of the API's listing."""
        if self._listed is None:
            items: Iterable[Any] = (
                self._client.list_agents(status=None, limit=None)
                if self._noun == "agent"
                else self._client.list_workspaces(status=None, limit=None)
            )
            field = NAME_FIELD[self._noun]
            self._listed = [
                (str(item.id), unicodedata.normalize("NFC", str(item.raw.get(field) or "")))
                for item in items
            ]
        return self._listed


def _hex_prefix(text: str) -> str | None:
    """`text` as an ID prefix (lower case), if all of it is one: hex and dashes, 4+ digits."""
    if not re.fullmatch(_PREFIX, text):
        return None
    if sum(char != "-" for char in text) < SHORTEST_PREFIX:
        return None
    return text.lower()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
