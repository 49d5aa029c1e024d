"""`--help` is answered from the help table, byte for byte as Typer and Click print it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from aitasker_cli import entry
from aitasker_cli.cli.main import command_paths
from aitasker_cli.core import startup
from aitasker_cli.fast import help_text
from tests.processes import clean_env

WIDTHS = (40, 52, 60, 67, 80, 100, 120, 200)
"""COLUMNS values; Click takes at most 80 less 2, and at least 50."""
PATHS = command_paths()


def static(capsys: pytest.CaptureFixture[str], *argv: str) -> str | None:
    """What help_text prints for ARGV, or None when it leaves ARGV to the CLI."""
    answered = help_text.answer(list(argv))
    printed = capsys.readouterr().out
    assert answered == bool(printed)
    return printed if answered else None


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("words", PATHS, ids=lambda words: " ".join(words) or "-")
def test_every_help_is_typers_at_every_width(
    run: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    words: tuple[str, ...],
    columns: int,
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    typer_help = run(*words, "--help")

    assert typer_help.exit_code == 0
    assert static(capsys, *words, "--help") == typer_help.stdout
    assert static(capsys, *words, "-h") == typer_help.stdout
    assert static(capsys, "help", *words) == typer_help.stdout


@pytest.mark.parametrize("words", [(), ("agents",), ("workspaces",), ("auth",), ("sandbox",)])
def test_bare_groups_are_answered_too(
    run: Any, capsys: pytest.CaptureFixture[str], words: tuple[str, ...]
) -> None:
    assert static(capsys, *words) == run(*words).stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["api"],
        ["nope", "--help"],
        ["help", "nope"],
        ["help", "help"],
        ["agents", "nope", "--help"],
        ["--sandbox", "agents", "--help"],
        ["agents", "list", "--all", "--help"],
        ["help", "agents", "--help"],
        ["agents", "list", "--status"],
        ["agents", "list"],
    ],
)
def test_anything_else_is_left_to_the_cli(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert static(capsys, *argv) is None


def test_the_root_options_env_vars_leave_subcommand_help_to_the_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typer reads them (and may refuse their values) before the subcommand's --help."""
    monkeypatch.setenv("AITASKER_TIMEOUT", "soon")

    assert static(capsys, "agents", "pause", "--help") is None
    assert static(capsys, "--help") is not None


def test_a_completion_script_request_is_left_to_the_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_AITASKER_COMPLETE", "source_bash")

    assert static(capsys, "--help") is None


@pytest.mark.parametrize("argv", [["--help"], ["agents", "pause", "-h"], ["help", "auth"], []])
def test_the_installed_command_prints_typers_help_off_a_terminal(argv: list[str]) -> None:
    """No COLUMNS and no terminal: the width comes from the fallback, as Click's does."""
    env = {k: v for k, v in clean_env().items() if k != "COLUMNS"}
    command = [sys.executable, "-c", "from aitasker_cli.entry import main; main()", *argv]
    fast = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    slow = subprocess.run(
        command,
        env={**env, startup.TYPER_HELP_VAR: "1"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert (fast.returncode, fast.stdout, fast.stderr) == (0, slow.stdout, "")
    assert slow.returncode == 0
    assert fast.stdout.startswith("Usage: aitasker")


@pytest.mark.parametrize(("columns", "width"), [(10, 50), (52, 50), (60, 58), (80, 78), (300, 78)])
def test_the_width_is_clicks(monkeypatch: pytest.MonkeyPatch, columns: int, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))

    assert help_text.width() == width


def test_help_into_a_pipe_closed_early_exits_0_quietly() -> None:
    import subprocess

    from tests.processes import clean_env, installed_script

    env = {**clean_env(), "COLUMNS": "80"}
    with subprocess.Popen(
        [installed_script(), "agents", "pause", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        bufsize=0,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # the reader leaves before anything is read
        stderr = child.stderr.read()
        code = child.wait(timeout=30)

    assert (code, stderr) == (0, b"")


def test_a_damaged_help_table_falls_back_to_typer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aitasker_cli.fast import help_text

    def damaged() -> None:
        raise ValueError("not JSON")

    monkeypatch.setattr(help_text, "load", damaged)

    with pytest.raises(SystemExit) as finished:
        entry.main(["agents", "--help"])

    assert finished.value.code == 0
    assert "Usage: aitasker agents" in capsys.readouterr().out
