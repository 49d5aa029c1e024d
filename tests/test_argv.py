"""The one reading of argv that entry, help, TAB and the CLI share (aitasker_cli.fast)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aitasker_cli.cli.main import _as_help_request, requested_words
from aitasker_cli.cli.options import VALUE_OPTIONS
from aitasker_cli.fast import help_page, may_ask_for_help, partial_word, root_words, scan
from aitasker_cli.fast.tab_completion import load_table

if TYPE_CHECKING:
    from aitasker_cli.fast.tab_completion import Command, Option

ROOT = root_words(VALUE_OPTIONS)


@pytest.mark.parametrize(
    ("args", "asks"),
    [
        ([], True),
        (["agents"], True),
        (["help", "agents", "pause"], True),
        (["agents", "pause", "-h"], True),
        (["--sandbox", "agents", "--help"], True),
        (["agents", "list"], False),
        (["agents", "--help", "list"], False),
    ],
)
def test_may_ask_for_help(args: list[str], asks: bool) -> None:
    assert may_ask_for_help(args) is asks


@pytest.mark.parametrize(
    ("args", "page"),
    [
        ([], ([], "")),
        (["agents"], (["agents"], "")),
        (["help", "agents", "pause"], (["agents", "pause"], "--help")),
        (["help"], ([], "--help")),
        (["agents", "pause", "-h"], (["agents", "pause"], "-h")),
        (["agents", "list", "--status"], (["agents", "list"], "--status")),
        (["--sandbox", "agents", "--help"], None),
        (["help", "agents", "--help"], None),
        (["agents", "--", "--help"], None),
    ],
)
def test_the_page_of_a_plain_help_request(
    args: list[str], page: tuple[list[str], str] | None
) -> None:
    assert help_page(args) == page


def test_root_options_their_values_and_the_command_words() -> None:
    args = ["--profile", "work", "--sandbox", "agents", "pause", "-o", "json", "ID", "ID2"]

    found = scan(args, *ROOT)

    assert found.path == ["agents", "pause"]
    assert found.command_at == [3, 4]
    assert found.options == [("--profile", "work"), ("--sandbox", None), ("-o", "json")]
    assert found.positional == 2


@pytest.mark.parametrize(
    ("args", "options"),
    [
        (["--profile=work", "agents"], [("--profile", "work")]),
        (["-ojson", "agents"], [("-o", "json")]),
        (["-o", "--profile", "agents"], [("-o", "--profile")]),
        (["--output", "id", "--", "agents"], [("--output", "id")]),
    ],
)
def test_option_values_as_click_reads_them(
    args: list[str], options: list[tuple[str, str | None]]
) -> None:
    found = scan(args, *ROOT)

    assert (found.options, found.path) == (options, ["agents"])


def test_the_help_word_counts_only_as_the_first_command_word() -> None:
    assert scan(["--profile", "p", "help", "agents"], *ROOT).help_word_at() == 2
    assert scan(["agents", "help"], *ROOT).help_word_at() is None
    assert scan(["--profile", "help", "agents"], *ROOT).help_word_at() is None


def table_grammar() -> tuple[Callable[[str, str], Option | None], Callable[[str, str], bool]]:
    """What tab_completion tells the scan: the command table's commands and options."""
    commands = load_table()["commands"]
    nothing: Command = {"commands": {}, "options": [], "arguments": []}

    def option(path: str, name: str) -> Option | None:
        known = commands.get(path, nothing)["options"]
        return next((each for each in known if name in each["names"]), None)

    def is_command(path: str, word: str) -> bool:
        return word in commands.get(path, nothing)["commands"]

    return option, is_command


def test_against_the_command_table_options_count_with_their_aliases() -> None:
    option, is_command = table_grammar()

    found = scan(["agents", "list", "-o", "json", "--status", "paused"], option, is_command)

    assert found.path == ["agents", "list"]
    assert {"-o", "--output", "--status"} <= found.given
    assert found.positional == 0


def test_after_a_double_dash_nothing_is_an_option_until_the_next_command() -> None:
    option, is_command = table_grammar()

    found = scan(["agents", "pause", "--", "--wait"], option, is_command)

    assert (found.literal, found.positional, found.given) == (True, 1, set())


def test_a_subcommand_after_a_double_dash_takes_options_again() -> None:
    option, is_command = table_grammar()

    found = scan(["agents", "--", "pause", "--wait"], option, is_command)

    assert (found.path, found.literal, found.given) == (["agents", "pause"], False, {"--wait"})


def test_a_word_after_an_argument_is_no_command() -> None:
    option, is_command = table_grammar()

    found = scan(["api", "agents", "list"], option, is_command)

    assert (found.path, found.positional) == (["api"], 2)


@pytest.mark.parametrize(
    ("words", "incomplete", "split", "expected"),
    [
        (["agents", "list"], "--st", True, ("list", "", "--st")),
        (["agents", "list", "--status"], "pa", True, ("--status", "", "pa")),
        (["agents", "list"], "--status=pa", True, ("--status", "", "pa")),
        (["agents", "list"], "--status=pa", False, ("--status", "--status=", "pa")),
        (["agents", "list", "--status"], "=", True, ("--status", "", "")),
        ([], "", True, ("", "", "")),
    ],
)
def test_the_partial_word(
    words: list[str], incomplete: str, split: bool, expected: tuple[str, str, str]
) -> None:
    assert partial_word(words, incomplete, split_equals=split) == expected


def old_requested_words(args: list[str]) -> list[str]:
    """cli/main.py's own loop before the scanner, for comparison."""
    names: list[str] = []
    expects_value = False
    for arg in args:
        if expects_value:
            expects_value = False
        elif arg in VALUE_OPTIONS:
            expects_value = True
        elif not arg.startswith("-"):
            names.append(arg)
            if len(names) == 2:
                break
    return names


def old_as_help_request(args: list[str]) -> list[str]:
    """cli/main.py's own loop before the scanner, for comparison."""
    expects_value = False
    for index, arg in enumerate(args):
        if expects_value:
            expects_value = False
        elif arg in VALUE_OPTIONS:
            expects_value = True
        elif not arg.startswith("-"):
            if arg == "help":
                return [*args[:index], *args[index + 1 :], "--help"]
            break
    return args


WORDS = ["agents", "pause", "help", "ID", "--profile", "--profile=p", "-o", "-ojson", "json"]
WORDS += ["--sandbox", "--debug", "-h", "--timeout", "5"]


@given(st.lists(st.sampled_from(WORDS), max_size=8))
def test_the_cli_reads_argv_as_before(args: list[str]) -> None:
    assert requested_words(args) == old_requested_words(args)
    assert _as_help_request(args) == old_as_help_request(args)
