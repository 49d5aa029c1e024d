"""Folding and close matches for "did you mean"."""

from __future__ import annotations

import pytest

from aitasker_cli.core.suggest import close_matches, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Zoë – SEO", "zoe - seo"),
        ("Zoe\u0301 \u2014 SEO", "zoe - seo"),  # decomposed accent, em dash
        ("  MAYA \t\n Sales ", "maya sales"),
        ("a\u2010b\u2011c\u2012d\u2015e\u2212f", "a-b-c-d-e-f"),
        ("Straße", "strasse"),
        ("\u0130stanbul", "istanbul"),  # dotted capital I: case folding decomposes it
        ("ﬁle", "file"),  # compatibility ligature (NFKD)
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_equal_once_folded_come_first_in_candidate_order() -> None:
    names = ["Maya Sale", "Maya ", "maya", "Bob"]

    assert close_matches("MAYA", names) == ["Maya ", "maya", "Maya Sale"]


def test_alike_values_are_found_by_difflib() -> None:
    assert close_matches("pasued", ["active", "paused", "cancelled"]) == ["paused"]


def test_nothing_close_is_nothing() -> None:
    assert close_matches("zzz", ["active", "paused", "cancelled"]) == []


def test_at_most_limit_and_each_candidate_once() -> None:
    names = [f"Twin {n}" for n in range(9)] + ["Twin 1"]

    found = close_matches("twin", names, limit=5)

    assert len(found) == len(set(found)) == 5


def test_limit_counts_candidates_equal_once_folded() -> None:
    assert close_matches("a", ["A", "a", "á", "À"], limit=2) == ["A", "a"]
