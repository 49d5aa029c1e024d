"""The entry point: version, help, usage errors, and the error boundary."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli import __version__
from aitasker_cli.output import render
from tests.conftest import AGENT_ID


def test_version(run: Any) -> None:
    result = run("--version")

    assert result.exit_code == 0
    assert result.stdout == f"aitasker {__version__}\n"


def test_python_dash_m_behaves_like_the_script() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "aitasker_cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0
    assert completed.stdout == f"aitasker {__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["agents", "--help"],
        ["agents", "pause", "--help"],
        ["workspaces", "tasks", "--help"],
        ["auth", "login", "--help"],
        ["auth", "status", "-h"],
    ],
)
def test_help_needs_no_token_or_network(run: Any, api: respx.MockRouter, argv: list[str]) -> None:
    result = run(*argv)

    assert result.exit_code == 0
    assert "Usage: aitasker" in result.stdout
    assert not api.calls


def test_help_text_keeps_brackets(run: Any) -> None:
    assert "[default: 50]" in run("agents", "list", "--help").stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["agents", "frobnicate"],
        ["agents", "list", "--limit", "0"],
        ["agents", "list", "-o", "yaml"],
        ["agents", "show"],
        ["agents", "list", "--retries", "-1"],
        ["agents", "list", "--fields", ","],
        ["agents", "list", "--timeout", "abc"],
    ],
)
def test_usage_errors_exit_2(
    run: Any, api: respx.MockRouter, logged_in: str, argv: list[str]
) -> None:
    result = run(*argv)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert not api.calls


def test_bad_env_value_is_a_usage_error(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_OUTPUT", "xml")

    result = run("agents", "list")

    assert result.exit_code == 2
    assert "AITASKER_OUTPUT" in result.stderr


def test_unexpected_error_is_one_line_exit_1(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(render, "show", broken)
    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json={"id": AGENT_ID, "status": "active"})
    )

    plain = run("agents", "show", AGENT_ID)
    debug = run("agents", "show", AGENT_ID, "--debug")

    assert plain.exit_code == 1
    assert "Traceback" not in plain.stderr
    assert plain.stderr.splitlines()[0] == "Error: unexpected ZeroDivisionError: boom"
    assert debug.exit_code == 1
    assert (
        "Traceback (most recent call last)" in debug.stderr and "ZeroDivisionError" in debug.stderr
    )


def test_debug_traceback_shows_no_locals(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        secret_local = logged_in  # noqa: F841 - a local a locals-printing traceback would show
        raise RuntimeError("boom")

    monkeypatch.setattr(render, "show", broken)
    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json={"id": AGENT_ID, "status": "active"})
    )

    result = run("agents", "show", AGENT_ID, "--debug")  # the run fixture fails on a leak

    assert result.stderr.rstrip().endswith("RuntimeError: boom")


def test_ctrl_c_exits_130_with_one_line(run: Any, api: respx.MockRouter, logged_in: str) -> None:
    def interrupt(_request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(side_effect=interrupt)

    result = run("agents", "show", AGENT_ID)

    assert result.exit_code == 130
    assert result.stderr == "Interrupted.\n"


def test_closed_stdout_ends_quietly(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ReaderGone(io.StringIO):
        def write(self, _text: str) -> int:
            raise BrokenPipeError

    monkeypatch.setattr(sys, "stdout", ReaderGone())
    api.get("/api/v1/workspaces/agents").mock(
        return_value=httpx.Response(200, json=[{"id": AGENT_ID, "status": "active"}])
    )

    result = run("agents", "list", "-o", "ndjson")

    assert result.exit_code == 0
    assert result.stderr == ""


def test_value_options_cover_every_common_option_that_takes_a_value() -> None:
    from typing import get_args, get_type_hints

    from aitasker_cli.cli.options import VALUE_OPTIONS, Common

    declared: set[str] = set()
    for hint in get_type_hints(Common, include_extras=True).values():
        option = hint.__metadata__[0]
        if get_args(hint)[0] is not bool:
            declared |= {option.default, *(option.param_decls or ())}
    assert declared == set(VALUE_OPTIONS)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--profile", "agents", "workspaces", "list"], ["workspaces", "list"]),
        (["-o", "json", "--sandbox", "agents", "pause", "x"], ["agents", "pause"]),
        (["--output=json", "api", "/health"], ["api", "/health"]),
        (["--help"], []),
    ],
)
def test_the_command_to_load_is_found_past_the_options(argv: list[str], words: list[str]) -> None:
    from aitasker_cli.cli.main import requested_words

    assert requested_words(argv) == words


def test_options_before_the_command_and_env_precedence(
    run: Any, api: respx.MockRouter, logged_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_OUTPUT", "json")
    api.get(f"/api/v1/workspaces/agents/{AGENT_ID}").mock(
        return_value=httpx.Response(200, json={"id": AGENT_ID, "status": "active"})
    )

    before = run("-o", "id", "agents", "show", AGENT_ID)
    after_wins = run("-o", "id", "agents", "show", AGENT_ID, "-o", "tsv", "--fields", "status")

    assert before.stdout == f"{AGENT_ID}\n"  # a typed flag beats the env var
    assert after_wins.stdout == "active\n"
