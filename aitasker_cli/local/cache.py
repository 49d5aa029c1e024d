"""Recently listed agents, workspaces and tasks, kept so that TAB can complete their IDs offline.

List commands write it as a side effect; completion only reads it, so pressing TAB never
waits on the network. It is plain text, one `kind<TAB>id<TAB>name<TAB>status` line an item (a
task's line adds `<TAB>workspace_id`: a task never moves, so its workspace can be remembered),
so reading it costs TAB nothing to import. Losing it costs nothing: failures to read or write
are ignored.

Names come from the server and end up in a shell's completion machinery and on the terminal,
so only IDs shaped like UUIDs are kept and names are reduced to harmless characters, both when
they are written and when they are read back (the file may be older, or edited).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping

from aitasker_cli.core import patterns
from aitasker_cli.core.paths import cache_dir

TYPE_CHECKING = False
"""typing.TYPE_CHECKING without importing typing, which TAB would pay for."""
if TYPE_CHECKING:
    from pathlib import Path
    from typing import TypeVar

    T = TypeVar("T")

KEEP = 500
NAME_FIELD = {"agents": "display_name", "workspaces": "name", "tasks": "title"}
PARENT_FIELD = {"tasks": "workspace_id"}
"""The ID of what holds an item, remembered beside it (a task's workspace)."""
NAME_LENGTH = 48
"""Longer names are cut, with "…": a completion listing is one line an item."""
READ_LIMIT = 1 << 20
"""TAB reads at most this much of the file; a full one is far smaller (KEEP short lines a kind).
A line the limit cuts in two is left out, so a cut status never passes for an unknown one."""
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
"""Opening a FIFO put in the cache's place must not wait for a writer: TAB would hang."""

_UUID = re.compile(patterns.UUID)
_PLAIN_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,/+")
"""ASCII that no shell (bash, zsh, fish, PowerShell) and no terminal gives a meaning to."""
_SAFE_CATEGORIES = frozenset(
    {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No"}
    | {"Pc", "Pd", "Ps", "Pe", "Po", "Sm", "Sc", "Sk", "So"}
)
"""Visible non-ASCII characters: letters, marks, digits, punctuation other than quotation
marks (PowerShell treats curly quotes as quotes), symbols. Controls, C1, format characters
(bidi overrides, zero-width), private use (fish's own wildcards), surrogates and unassigned
code points are not among them."""
STAND_IN = "\N{REPLACEMENT CHARACTER}"
"""What an invisible or control character of a name becomes."""
_FULLWIDTH_OFFSET = 0xFEE0
"""From printable ASCII (! to ~) to the same sign in the Fullwidth Forms block, which looks
alike and means nothing to a shell."""


def cache_path() -> Path:
    return cache_dir() / "completion.tsv"


def remembering(kind: str, items: Iterable[T]) -> Iterator[T]:
    """Pass `items` (models or mappings) through unchanged, remembering ID, name and status.

    What a listing shows joins what earlier listings showed, newest first, up to KEEP of a
    kind: listing only the cancelled agents must not make TAB forget the active ones.
    """
    seen: dict[str, tuple[str, ...]] = {}
    parent_field = PARENT_FIELD.get(kind)
    for item in items:
        data = item if isinstance(item, Mapping) else getattr(item, "raw", None)
        if len(seen) < KEEP and isinstance(data, Mapping):
            item_id = data.get("id")
            if isinstance(item_id, str) and is_uuid(item_id):
                name = safe_name(str(data.get(NAME_FIELD[kind]) or ""))
                status = safe_name(str(data.get("status") or ""))
                if parent_field is None:
                    seen[item_id.lower()] = (name, status)
                else:
                    seen[item_id.lower()] = (name, status, _uuid_or_empty(data.get(parent_field)))
        yield item
    if seen:
        _save(kind, [(item_id, *entry) for item_id, entry in seen.items()])


def learn(kind: str, items: Iterable[object]) -> None:
    """Remember items a command changed, with their new status (TAB then offers them right)."""
    for _item in remembering(kind, items):
        pass


def candidates(
    kind: str, incomplete: str, statuses: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """(ID, name) pairs whose ID starts with what has been typed so far.

    With `statuses`, only items last seen in one of them (or whose status is unknown): TAB
    after `agents pause` offers the active agents, not the paused ones.
    """
    prefix = incomplete.lower()
    return [
        (i, name)
        for k, i, name, status, *_parent in _load()
        if k == kind and i.startswith(prefix) and (statuses is None or status in (*statuses, ""))
    ]


def name_of(kind: str, item_id: str) -> str:
    """The (cleaned) name a listing last showed for this ID; empty if none did."""
    wanted = item_id.lower()
    return next((entry[2] for entry in _load() if entry[0] == kind and entry[1] == wanted), "")


def parent_of(kind: str, item_id: str) -> str | None:
    """The ID of what holds the item (a task's workspace), as a listing last showed it."""
    wanted = item_id.lower()
    for entry in _load():
        if entry[0] == kind and entry[1] == wanted and len(entry) == 5 and entry[4]:
            return entry[4]
    return None


def is_uuid(text: str) -> bool:
    """Whether `text` is a UUID (hex in groups of 8-4-4-4-12) and nothing else."""
    return _UUID.fullmatch(text) is not None


def safe_name(text: str) -> str:
    """`text` on one line, with every character a shell or a terminal could act on replaced.

    Shell punctuation becomes its look-alike from the Fullwidth Forms block (`$` shows as
    U+FF04), whitespace a single space, anything invisible or of another kind U+FFFD.
    """
    # After the table, a space is the only whitespace left, so split() finds just the runs.
    name = " ".join(text.translate(_SAFE_CHARACTERS).split())
    return name if len(name) <= NAME_LENGTH else name[: NAME_LENGTH - 1].rstrip() + "…"


class _SafeCharacters(dict):  # type: ignore[type-arg]
    """str.translate's table: each character's safe form, worked out once per character.

    Reading the cache back sanitises every name again, so this runs on each of KEEP names a
    command that saves the cache; at most TABLE_LIMIT characters are remembered.
    """

    def __missing__(self, code: int) -> str:
        safe = _safe_character(chr(code))
        if len(self) < _TABLE_LIMIT:
            self[code] = safe
        return safe


_TABLE_LIMIT = 4096
"""A hostile cache of a megabyte of distinct characters must not grow the table with it."""
_SAFE_CHARACTERS = _SafeCharacters()


def _safe_character(character: str) -> str:
    if character in _PLAIN_ASCII:
        return character
    if "!" <= character <= "~":
        return chr(ord(character) + _FULLWIDTH_OFFSET)
    category = unicodedata.category(character)
    if character in "\t\n\v\f\r" or category == "Zs":
        return " "
    return character if category in _SAFE_CATEGORIES else STAND_IN


def _load() -> list[tuple[str, ...]]:
    """(kind, ID, name, status) a line, and a task's workspace ID after them; a line from an
    older version has no status."""
    entries: list[tuple[str, ...]] = []
    for line in _read_text().split("\n"):
        fields = line.split("\t")
        if len(fields) in (3, 4, 5) and is_uuid(fields[1]):
            status = safe_name(fields[3]) if len(fields) >= 4 else ""
            entry: tuple[str, ...] = (fields[0], fields[1].lower(), safe_name(fields[2]), status)
            if len(fields) == 5:
                entry = (*entry, _uuid_or_empty(fields[4]))
            entries.append(entry)
    return entries


def _uuid_or_empty(value: object) -> str:
    """A parent's ID as it is kept: a UUID in lower case, or nothing."""
    return value.lower() if isinstance(value, str) and is_uuid(value) else ""


def _read_text() -> str:
    """The cache's whole lines, from at most READ_LIMIT bytes; empty unless a regular file.

    A FIFO, a device or a folder in its place gives nothing rather than a wait or an endless
    read; a byte-order mark at the start is skipped.
    """
    try:
        descriptor = os.open(cache_path(), _OPEN_FLAGS)
    except OSError:
        return ""
    data = b""
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return ""
        while len(data) <= READ_LIMIT:
            chunk = os.read(descriptor, READ_LIMIT + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except OSError:
        return ""
    finally:
        os.close(descriptor)
    if len(data) > READ_LIMIT:  # the last line read may be cut short: leave it out
        data = data[: data.rfind(b"\n", 0, READ_LIMIT) + 1]
    return data.decode("utf-8-sig", errors="replace")


def _save(kind: str, fresh: list[tuple[str, ...]]) -> None:
    """Put what a listing showed first among the kind's entries; never fails: only a cache."""
    entries = _load()
    newer = {entry[0] for entry in fresh}
    older = [entry[1:] for entry in entries if entry[0] == kind and entry[1] not in newer]
    kept = [(kind, *entry) for entry in (fresh + older)[:KEEP]]
    others = [entry for entry in entries if entry[0] != kind]
    text = "".join("\t".join(entry) + "\n" for entry in others + kept)
    from aitasker_cli.core.atomic import replace_file  # not on the TAB path, which only reads

    # A cache that cannot be written only means no completion; losing it to a crash, the same.
    with contextlib.suppress(OSError, ValueError):
        replace_file(cache_path(), text.encode("utf-8", errors="replace"), sync=False)
