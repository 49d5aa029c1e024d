"""TAB is answered from the command table, as Click would answer it from the commands."""

from __future__ import annotations

import pytest
import typer

from aitasker_cli import entry
from aitasker_cli.cli.main import COMMANDS, build_app, requested_words
from aitasker_cli.core.startup import COMPLETE_VAR
from aitasker_cli.domain.actions import PAUSE
from aitasker_cli.fast import tab_completion
from aitasker_cli.fast.tab_completion import candidates
from aitasker_cli.local import cache
from tests.conftest import AGENT_ID, WORKSPACE_ID, agent, workspace

PAUSED = "6f1c2b9e-4d7a-4c1e-9b2a-3e5f8a1d2c48"


@pytest.fixture
def cached() -> None:
    cache.learn("agents", [agent(status="active"), agent(id=PAUSED, status="paused")])
    cache.learn("workspaces", [workspace()])


def click_offers(words: list[str], incomplete: str) -> list[str]:
    """What Click's own completion offers for the same words, from the real commands."""
    from aitasker_cli.cli.typer_adapter import bash_completer

    BashComplete = bash_completer()
    command = typer.main.get_command(build_app(requested_words(words)))
    completer = BashComplete(command, {}, "aitasker", COMPLETE_VAR)
    return [item.value for item in completer.get_completions(list(words), incomplete)]


LINES = [
    "agents ",
    "agents p",
    "agents pause ",
    "agents pause 6f",
    f"agents pause {AGENT_ID} ",
    "agents resume ",
    "agents show ",
    f"agents show {AGENT_ID} ",
    "agents pause -",
    "agents pause --w",
    "agents pause --wait --w",
    "agents pause --wait-timeout ",
    "agents pause -- -",
    "agents list --status ",
    "agents list --status pa",
    "agents list --status=pa",
    "agents list --status active --st",
    "agents list -o ",
    "agents list --output j",
    "agents list --output=n",
    "agents list --fields display_name,st",
    "agents list --limit ",
    "--sandbox agents list --fields i",
    "--profile default agents l",
    "--profile ",
    "-o json ag",
    "workspaces ",
    "workspaces show ",
    f"workspaces tasks {WORKSPACE_ID} --status r",
    "workspaces tasks 0b --fields c",
    "auth ",
    "auth login --",
    "api /x -",
    "completion ",
    "completion z",
    "sandbox serve --",
    "doctor --o",
    "agents nosuch ",
    # A word starting with "-" asks for option names, even where a value is awaited.
    "agents list --status -",
    "agents list --status --l",
    "agents list -o -",
    "agents list --status=-",
    "agents list --status=",
    "agents list -o=j",
    # The value of the option named last, however the words before parsed.
    "agents list --status --limit ",
    "agents list --all --status ",
    # `--` anywhere on the line: no option names, also in a later command.
    "-- agents pause -",
    "-- agents pause --w",
    "agents -- pause -",
    "--profile -- agents pause -",
    "agents list --status -- -",
    "agents pause -- 6f",
    # A value joined to its option is given: the option is not offered again.
    "agents list -L5 --",
    "agents list -L5 --l",
    "agents list -L 5 --l",
    "agents list -L5 --status ",
    "agents list --limit=5 --li",
    "agents list --status=active --s",
    "agents list -ojson --o",
    "agents list -o json -",
    "agents pause -h -",
    "-- agents -",
    "agents list --status -- --s",
    "agents list --profile",
    "agents list --profile -",
]


@pytest.mark.usefixtures("cached")
@pytest.mark.parametrize("line", LINES)
def test_the_table_answers_as_click_does(line: str) -> None:
    words = line.split()
    incomplete = "" if line.endswith(" ") else words.pop()

    offered = [value for value, _help in candidates(words, incomplete)]

    # Click lists -h and --help in a random order (it keeps them in a set); shells sort anyway.
    assert sorted(offered) == sorted(click_offers(words, incomplete))


@pytest.mark.usefixtures("cached")
def test_each_action_is_offered_the_agents_it_acts_on() -> None:
    assert candidates(["agents", "pause"], "") == [(AGENT_ID, agent()["display_name"])]
    assert [value for value, _ in candidates(["agents", "resume"], "")] == [PAUSED]
    assert [value for value, _ in candidates(["agents", "show"], "")] == [AGENT_ID, PAUSED]


def test_the_top_level_offers_every_command_and_help() -> None:
    offered = [value for value, _help in candidates([], "")]

    assert offered == [*click_offers([], ""), "help"]
    assert offered[:4] == ["agents", "tasks", "workspaces", "auth"]


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("help ", [*COMMANDS]),
        ("help ag", ["agents"]),
        ("help agents ", ["list", "show", "pause", "resume", "cancel", "wait"]),
        ("help agents pause ", []),
        ("help sandbox s", ["serve"]),
    ],
)
def test_help_completes_command_names(line: str, offered: list[str]) -> None:
    words = line.split()
    incomplete = "" if line.endswith(" ") else words.pop()

    assert [value for value, _help in candidates(words, incomplete)] == offered


def test_commands_and_options_come_with_their_help() -> None:
    commands = dict(candidates(["agents"], ""))
    options = dict(candidates(["agents", "pause"], "--st"))

    assert commands["pause"] == PAUSE.summary
    assert options["--stdin"].startswith("Also read IDs from stdin")


def test_a_table_that_cannot_be_read_offers_nothing_and_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise ValueError("not JSON")

    monkeypatch.setattr(tab_completion, "load_table", broken)
    monkeypatch.setenv(COMPLETE_VAR, "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "aitasker ag")
    monkeypatch.setenv("COMP_CWORD", "1")
    monkeypatch.delenv("AITASKER_DEBUG", raising=False)

    with pytest.raises(SystemExit) as finished:
        entry.main()

    assert finished.value.code == 1
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("shell", ["tcsh", ""])
def test_an_unknown_shell_gets_no_answer(
    shell: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(COMPLETE_VAR, f"complete_{shell}")

    with pytest.raises(SystemExit) as finished:
        entry.main()

    assert finished.value.code == 1
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("aitasker agents 'pa", ["agents", "pa"]),
        ('aitasker "agents" pause\\', ["agents", "pause"]),
        ("aitasker 'a b' c", ["a b", "c"]),
    ],
)
def test_unfinished_quotes_are_read_as_typed_so_far(typed: str, words: list[str]) -> None:
    assert tab_completion._split(typed)[1:] == words
