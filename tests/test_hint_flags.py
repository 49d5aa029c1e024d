"""A command named in a hint carries the flags that chose the API, so pasting it works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aitasker_cli.output import hints
from tests.conftest import TOKEN
from tests.processes import aitasker, clean_env, sandbox_server

COMMANDS = ("agents", "auth", "history")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))


def test_sandbox_by_flag_or_env_is_in_the_hint(env: dict[str, str]) -> None:
    by_flag = aitasker("--sandbox", "agents", "show", "NoSuchName", env=env)
    after_command = aitasker("agents", "show", "NoSuchName", "--sandbox", env=env)
    by_env = aitasker("agents", "show", "NoSuchName", env={**env, "AITASKER_SANDBOX": "1"})

    for shown in (by_flag, after_command, by_env):
        assert shown.returncode == 3, shown.stderr
        assert "'aitasker --sandbox agents list'" in shown.stderr


def test_the_pasted_hint_works(env: dict[str, str]) -> None:
    shown = aitasker("--sandbox", "agents", "show", "NoSuchName", env=env)
    pasted = shown.stderr.split("'aitasker ")[1].split("'")[0].split()

    listed = aitasker(*pasted, "-o", "id", env=env)

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()


def test_profile_and_api_url_are_in_the_hint(tmp_path: Path) -> None:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"), AITASKER_TOKEN=TOKEN)
    with sandbox_server("--rate-limit", "0", env=env) as url:
        config = Path(env["AITASKER_CONFIG_DIR"])
        config.mkdir(parents=True, exist_ok=True)
        (config / "config.toml").write_text(f'[profiles.staging]\napi_url = "{url}"\n')

        profile = aitasker("--profile", "staging", "agents", "show", "NoSuchName", env=env)
        profile_env = aitasker(
            "agents", "show", "NoSuchName", env={**env, "AITASKER_PROFILE": "staging"}
        )
        api_url = aitasker("--api-url", url, "agents", "show", "NoSuchName", env=env)

    for shown in (profile, profile_env):
        assert shown.returncode == 3, shown.stderr
        # The profile brings its URL: the hint needs no --api-url.
        assert "'aitasker --profile staging agents list'" in shown.stderr
    assert api_url.returncode == 3, api_url.stderr
    assert f"'aitasker --api-url {url} agents list'" in api_url.stderr


def test_without_flags_the_hint_is_unchanged(tmp_path: Path) -> None:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"), AITASKER_TOKEN=TOKEN)
    with sandbox_server("--rate-limit", "0", env=env) as url:
        shown = aitasker("agents", "show", "NoSuchName", env={**env, "AITASKER_API_URL": url})
        default_profile = aitasker(
            "--profile", "default", "--api-url", url, "agents", "show", "NoSuchName", env=env
        )

    assert f"'aitasker --api-url {url} agents list'" in shown.stderr  # by env var: kept
    assert "--profile" not in default_profile.stderr


def test_a_refused_url_is_not_put_into_the_hint(env: dict[str, str]) -> None:
    shown = aitasker("--api-url", "https://user:pw@api.example.com", "agents", "list", env=env)

    assert shown.returncode == 2
    assert "'aitasker auth login'" in shown.stderr
    assert "user:pw" not in shown.stderr.split("Hint:")[1]


@pytest.fixture
def sandbox_and_profile() -> Iterator[None]:
    hints.select(sandbox=True, profile="my prof", api_url=None, commands=COMMANDS)
    yield
    hints.forget()


@pytest.mark.usefixtures("sandbox_and_profile")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "List them with 'aitasker agents list'.",
            "List them with 'aitasker --sandbox --profile 'my prof' agents list'.",
        ),
        (
            "Pipe `aitasker agents list -o id`",
            "Pipe `aitasker --sandbox --profile 'my prof' agents list -o id`",
        ),
        (
            "Log in again: aitasker auth login",
            "Log in again: aitasker --sandbox --profile 'my prof' auth login",
        ),
        # Already there: not given twice.
        (
            "Run 'aitasker auth login --profile x'",
            "Run 'aitasker --sandbox auth login --profile x'",
        ),
        # Not a command line: a word, a path, a command that does not talk to the API.
        ("aitasker never sends them", "aitasker never sends them"),
        ("~/.config/aitasker agents", "~/.config/aitasker agents"),
        ("Run 'aitasker sandbox reset'", "Run 'aitasker sandbox reset'"),
        (
            "'aitasker history' or 'aitasker undo'",
            "'aitasker --sandbox --profile 'my prof' history' or 'aitasker undo'",
        ),
    ],
)
def test_with_flags(text: str, expected: str) -> None:
    assert hints.with_flags(text) == expected


def test_api_url_is_left_out_with_the_sandbox_and_when_refused() -> None:
    hints.select(sandbox=True, profile=None, api_url="https://x.example", commands=COMMANDS)
    with_sandbox = hints.with_flags("'aitasker agents list'")
    hints.select(sandbox=False, profile=None, api_url="https://x.example/a b", commands=COMMANDS)
    with_url = hints.with_flags("'aitasker agents list'")
    hints.without_url()
    refused = hints.with_flags("'aitasker agents list'")
    hints.forget()

    assert with_sandbox == "'aitasker --sandbox agents list'"
    assert with_url == "'aitasker --api-url 'https://x.example/a b' agents list'"
    assert refused == "'aitasker agents list'"
