"""The credentials in use, registered once, so that whatever writes (the output, the journal)
can leave them out (standard library only).

The output layer writes data and messages (output/sink.py); the journal writes a file
(local/journal.py). Both replace a registered credential with REDACTED wherever a server sent
it back: in an agent's name, a task's title, an error.
"""

from __future__ import annotations

import re

from aitasker_cli.core.patterns import TOKEN_SHAPE

REDACTED = "<redacted>"
SHORTEST_SECRET = 16
"""Shorter values are not taken for credentials (unless shaped like one): a sandbox token such
as `a` must not blank out every `a` in the data."""

REGISTERED: set[str] = set()


def add(value: str) -> None:
    """Never write `value`, if it can be a credential."""
    if len(value) >= SHORTEST_SECRET or re.fullmatch(TOKEN_SHAPE, value):
        REGISTERED.add(value)


def redact(text: str) -> str:
    """`text` with every registered credential replaced by REDACTED."""
    for secret in REGISTERED:
        text = text.replace(secret, REDACTED)
    return text
