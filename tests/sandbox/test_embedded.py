"""The sandbox behind `--sandbox`: called through httpx's WSGI transport as the client calls it,
its own failures come out as the CLI's errors with the contract's exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aitasker_cli.core.errors import ExitCode, LocalIOError, UsageError
from aitasker_cli.sandbox.embedded import EmbeddedSandbox
from aitasker_cli.sandbox.seed import seed_state

AUTH = {"Authorization": "Bearer anything"}
AGENTS = "/api/v1/workspaces/agents"


def client_of(directory: Path) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=EmbeddedSandbox(directory)),
        base_url="http://sandbox",
        headers=AUTH,
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[httpx.Client]:
    with client_of(tmp_path / "sandbox") as client:
        yield client


def test_a_sound_state_is_served_and_api_errors_stay_responses(
    embedded: httpx.Client, tmp_path: Path
) -> None:
    listed = embedded.get(AGENTS, params={"limit": 100})
    missing = embedded.get(f"{AGENTS}/00000000-0000-4000-8000-000000000000")

    assert [a["id"] for a in listed.json()] == list(seed_state()["agents"])
    assert missing.status_code == 404 and missing.json() == {"detail": "Hired agent not found"}
    assert (tmp_path / "sandbox" / "sandbox.db").is_file()


def test_a_damaged_state_is_a_usage_error_that_says_how_to_start_again(
    embedded: httpx.Client, tmp_path: Path
) -> None:
    path = tmp_path / "sandbox" / "sandbox.db"
    path.parent.mkdir()
    path.write_bytes(b"not a database" * 1000)

    with pytest.raises(UsageError) as raised:
        embedded.get(AGENTS)

    assert raised.value.exit_code == ExitCode.USAGE
    assert raised.value.message == (
        f"the sandbox state in {path} is damaged: SQLite says: file is not a database"
    )
    assert raised.value.hint is not None and "aitasker sandbox reset" in raised.value.hint


def test_a_bulk_run_past_the_platforms_rate_limit_is_not_held_back(
    embedded: httpx.Client,
) -> None:
    """In-process, the limiter would count one invocation's requests only, so there is none:
    a run of more than 300 requests is not stalled for a minute by 429s."""
    answers = [embedded.get(AGENTS, params={"limit": 1}) for _ in range(310)]

    assert {answer.status_code for answer in answers} == {200}
    assert "X-RateLimit-Limit" not in answers[-1].headers


def test_a_folder_that_cannot_be_made_is_exit_10_naming_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    folder = tmp_path / "file" / "sandbox"

    with client_of(folder) as client, pytest.raises(LocalIOError) as raised:
        client.get(AGENTS)

    assert raised.value.exit_code == ExitCode.LOCAL_IO
    assert raised.value.message.startswith(f"cannot write the sandbox state in {folder}: ")
