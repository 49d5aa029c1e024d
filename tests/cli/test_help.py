"""`--help` teaches: examples that work, own options before global ones, clean usage lines,
commands in order of use, and `aitasker` alone or `aitasker help` as ways to ask for it."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest

from aitasker_cli.cli.examples import EXAMPLES
from aitasker_cli.cli.main import COMMANDS, command_paths
from tests.processes import aitasker, clean_env

GLOBAL_FLAGS = (
    "--api-url",
    "--sandbox",
    "--profile",
    "--output",
    "--fields",
    "--timeout",
    "--retries",
    "--debug",
    "--no-color",
)


def sections(text: str) -> dict[str, str]:
    """A help text's sections by title ("Options", "Global options", ...), in order."""
    found: dict[str, str] = {}
    title = ""
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            found[title] = ""
        elif title:
            found[title] += line + "\n"
    return found


def commands_in(lines: tuple[str, ...]) -> list[str]:
    """The commands of an example block: comments dropped, `|` and `\\` lines joined."""
    commands: list[str] = []
    going_on = False
    for line in lines:
        if line.startswith("#"):
            continue
        if going_on:
            commands[-1] += " " + line.strip()
        else:
            commands.append(line)
        going_on = line.endswith(("|", "\\"))
        if line.endswith("\\"):
            commands[-1] = commands[-1][:-1].rstrip()
    return commands


@pytest.mark.parametrize("words", command_paths(), ids=lambda words: " ".join(words) or "-")
def test_every_help_ends_with_two_to_four_examples(run: Any, words: tuple[str, ...]) -> None:
    result = run(*words, "--help")

    assert result.exit_code == 0
    found = sections(result.stdout)
    assert list(found)[-1] == "Examples"
    shown = found["Examples"].strip().splitlines()
    assert [line.strip() for line in shown] == [line.strip() for line in EXAMPLES[words]]
    assert 2 <= len(commands_in(EXAMPLES[words])) <= 4


def test_every_example_table_entry_is_a_real_command() -> None:
    assert set(EXAMPLES) == set(command_paths())


SANDBOX_EXAMPLES = sorted(
    {
        command
        for lines in EXAMPLES.values()
        for command in commands_in(lines)
        if all(part.strip().startswith("aitasker --sandbox ") for part in command.split("|"))
        and not set("$>&`") & set(command)
    }
)


@pytest.mark.parametrize("command", SANDBOX_EXAMPLES)
def test_sandbox_examples_work_as_shown(run: Any, command: str) -> None:
    """Each `--sandbox` example, pipes between aitasker commands included, exits 0."""
    piped = ""
    for part in command.split("|"):
        words = shlex.split(part)
        assert words[0] == "aitasker"
        result = run(*words[1:], stdin=piped)
        assert result.exit_code == 0, (part, result.stderr)
        assert result.stdout.strip(), part
        piped = result.stdout


def test_sandbox_examples_cover_the_api_commands() -> None:
    covered = {tuple(shlex.split(c.split("|")[-1])[2:4]) for c in SANDBOX_EXAMPLES}

    for words in [("agents", s) for s in ("list", "show", "pause", "resume")] + [
        ("workspaces", s) for s in ("list", "show", "tasks")
    ]:
        assert words in covered


def test_own_options_come_first_and_the_shared_ones_in_their_own_section(run: Any) -> None:
    found = sections(run("agents", "pause", "--help").stdout)

    assert list(found).index("Options") < list(found).index("Global options")
    assert found["Options"].split()[0] == "--stdin"
    for flag in GLOBAL_FLAGS:
        assert flag not in found["Options"]
        assert flag in found["Global options"]
    assert "-o, --output FORMAT" in found["Global options"]


def test_a_command_without_the_shared_options_has_no_global_section(run: Any) -> None:
    found = sections(run("completion", "--help").stdout)

    assert "Global options" not in found
    assert "Options" in found


def test_top_level_commands_in_order_of_use(run: Any) -> None:
    rows = sections(run("--help").stdout)["Commands"].split("\n")
    listed = [row.split()[0] for row in rows if row.strip()]

    assert listed[:4] == ["agents", "tasks", "workspaces", "auth"]
    assert listed == [*COMMANDS, "help"]
    assert list(COMMANDS)[4:] == [
        "history",
        "undo",
        "api",
        "mcp",
        "schema",
        "doctor",
        "sandbox",
        "completion",
    ]


@pytest.mark.parametrize("words", command_paths(), ids=lambda words: " ".join(words) or "-")
def test_usage_lines_and_metavars_carry_no_type_noise(run: Any, words: tuple[str, ...]) -> None:
    text = run(*words, "--help").stdout
    usage = text.splitlines()[0].removeprefix("Usage: ")

    assert not re.search(r"[{}<>:]", usage), usage
    for noise in ("<str>", "<int", "<float", "{shell}", "shell:", "<table|"):
        assert noise not in text


@pytest.mark.parametrize(
    ("words", "usage"),
    [
        (("agents", "pause"), "Usage: aitasker agents pause [OPTIONS] AGENT_ID..."),
        (("agents", "show"), "Usage: aitasker agents show [OPTIONS] AGENT_ID"),
        (("completion",), "Usage: aitasker completion [OPTIONS] SHELL"),
        (("api",), "Usage: aitasker api [OPTIONS] PATH"),
    ],
)
def test_usage_names_arguments_plainly(run: Any, words: tuple[str, ...], usage: str) -> None:
    assert run(*words, "--help").stdout.splitlines()[0] == usage


def test_options_without_a_metavar_are_named_after_themselves(run: Any) -> None:
    text = run("sandbox", "serve", "--help").stdout

    assert "--host HOST" in text
    assert "--port PORT" in text


def test_no_arguments_prints_the_help_on_stdout(run: Any) -> None:
    result = run()

    assert result.exit_code == 0
    assert result.stdout == run("--help").stdout
    assert result.stderr == ""


def test_a_bare_group_prints_its_help_on_stdout(run: Any) -> None:
    result = run("agents")

    assert result.exit_code == 0
    assert result.stdout == run("agents", "--help").stdout
    assert result.stderr == ""


@pytest.mark.parametrize("words", [(), ("agents",), ("agents", "pause"), ("sandbox", "reset")])
def test_help_command_is_dash_dash_help(run: Any, words: tuple[str, ...]) -> None:
    result = run("help", *words)

    assert result.exit_code == 0
    assert result.stdout == run(*words, "--help").stdout


def test_help_command_after_the_common_options(run: Any) -> None:
    result = run("--profile", "work", "help", "agents", "list")

    assert result.exit_code == 0
    assert result.stdout == run("agents", "list", "--help").stdout


def test_help_is_only_a_command_in_first_place(run: Any) -> None:
    result = run("--sandbox", "agents", "show", "help")

    assert "Usage:" not in result.stdout
    assert result.exit_code != 0


@pytest.mark.parametrize("words", [("nope",), ("agents", "nope")])
def test_help_for_an_unknown_command_is_a_usage_error(run: Any, words: tuple[str, ...]) -> None:
    result = run("help", *words)

    assert result.exit_code == 2
    assert "No such command 'nope'" in result.stderr
    assert result.stdout == ""


def test_installed_script_with_no_arguments_exits_0_with_help_on_stdout() -> None:
    completed = aitasker(env=clean_env())

    assert completed.returncode == 0
    assert completed.stdout.startswith("Usage: aitasker [OPTIONS] COMMAND [ARGS]...")
    assert "Examples:" in completed.stdout
    assert completed.stderr == ""
