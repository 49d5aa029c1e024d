"""Close values for "did you mean": names, statuses, IDs that differ from what was typed.

Standard library only, and imported only once a value has failed to match, so neither help
nor TAB pays for difflib.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
"""Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign."""
_TO_HYPHEN_MINUS = str.maketrans(dict.fromkeys(DASHES, "-"))
CUTOFF = 0.6
"""difflib's own default: how alike (0 to 1) a folded value must be to count as close."""


def fold(text: str) -> str:
    """`text` without accents, case, dash variants or extra whitespace, for comparing only."""
    # Case folding can itself decompose (İ becomes i and a combining dot), so it comes first.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.translate(_TO_HYPHEN_MINUS).split())


def close_matches(typed: str, candidates: Iterable[str], limit: int = 5) -> list[str]:
    """Up to `limit` distinct candidates close to `typed`: equal once folded first, then alike."""
    by_fold: dict[str, list[str]] = {}
    for candidate in dict.fromkeys(candidates):
        by_fold.setdefault(fold(candidate), []).append(candidate)
    wanted = fold(typed)
    found = list(by_fold.get(wanted, []))
    for folded in difflib.get_close_matches(wanted, list(by_fold), n=limit, cutoff=CUTOFF):
        if folded != wanted:
            found.extend(by_fold[folded])
    return found[:limit]
