"""The route table: IDs are checked before anything is sent, and the hint reads well."""

from __future__ import annotations

import pytest

from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.routes import build_path, parse_id


@pytest.mark.parametrize(("noun", "article"), [("agent", "An"), ("workspace", "A")])
def test_the_malformed_id_hint_uses_the_right_article(noun: str, article: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_id("not-an-id", noun)

    assert caught.value.hint is not None
    assert caught.value.hint.startswith(f"{article} {noun} ID is a UUID")


@pytest.mark.parametrize("bad", ["../x", "a/b", "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47/x", ""])
def test_nothing_but_a_uuid_reaches_a_path(bad: str) -> None:
    with pytest.raises(UsageError):
        build_path("agents.pause", {"agent_id": bad})


def test_an_id_is_sent_in_lower_case() -> None:
    method, path = build_path("agents.show", {"agent_id": "6F1C2B9E-4D7A-4C1E-9B2A-3E5F8A1D2C47"})

    assert (method, path) == (
        "GET",
        "/api/v1/workspaces/agents/6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c47",
    )
