"""Answers a shell's TAB from the generated command table, with the standard library only.

The shells run `aitasker` with `_AITASKER_COMPLETE=complete_SHELL` and the words typed so far
(Typer's protocol, so the scripts `aitasker completion SHELL` prints stay as they are). Typer
and Click would cost the start-up of a whole `--help` on every TAB, so this module reads
`command_table.json` instead: every command's subcommands, options and arguments, and where
their values come from. `aitasker_cli/cli/completion.py` writes that table from the commands
themselves, and a test keeps the two in step.

What a value comes from (the `value` of an option or argument):
- None: the option is a flag and takes no value;
- "": any value, nothing to offer (the shell may offer file names);
- "values:a,b,c": these words;
- "profiles": the profiles of config.toml;
- "fields": field names of what the command shows (agents, workspaces or tasks), after a
  comma the next one;
- "ids:KIND" or "ids:KIND:STATUS,STATUS": IDs of the completion cache, of items last seen in
  one of the statuses (or whose status is unknown).
"""

from __future__ import annotations

import json
import os
import re
import sys

from aitasker_cli.core.startup import COMPLETE_VAR
from aitasker_cli.fast import partial_word, scan

TYPE_CHECKING = False
"""typing.TYPE_CHECKING without importing typing, which would add a tenth to every TAB."""
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypedDict

    from aitasker_cli.fast import Known

    class Option(Known):
        help: str
        multiple: bool

    class Argument(TypedDict):
        nargs: int
        value: str

    class Command(TypedDict):
        commands: dict[str, str]
        options: list[Option]
        arguments: list[Argument]

    class Table(TypedDict):
        commands: dict[str, Command]
        fields: dict[str, list[str]]


_NOTHING: Command = {"commands": {}, "options": [], "arguments": []}
"""What `aitasker help agents pause` offers next."""
"""With this set to `complete_SHELL`, `aitasker` answers the shell instead of running."""
TABLE_FILE = "command_table.json"
if TYPE_CHECKING:
    Candidate = tuple[str, str]
    """A value the shell may offer, and its description (empty for none)."""


def requested() -> str | None:
    """The shell asking, when this process is a TAB press; None for a normal run."""
    shell = os.environ.get(COMPLETE_VAR, "")
    return shell.removeprefix("complete_") if shell.startswith("complete_") else None


def answer(shell: str) -> int:
    """Print the candidates for the words in the environment, as `shell` reads them.

    Returns the exit code; fish's `is-args` question is answered by it alone.
    """
    formats: dict[str, Callable[[list[Candidate]], tuple[str, int]]] = {
        "bash": _for_bash,
        "zsh": _for_zsh,
        "fish": _for_fish,
        "powershell": _for_powershell,
        "pwsh": _for_powershell,
    }
    if shell not in formats:
        return 1
    words, incomplete = _request(shell)
    found = candidates(words, incomplete, split_equals=shell == "bash")
    text, code = formats[shell](found)
    if text:
        sys.stdout.write(text + "\n")
    return code


def candidates(
    words: list[str], incomplete: str, table: Table | None = None, *, split_equals: bool = True
) -> list[Candidate]:
    """What may follow `aitasker WORDS` and starts with `incomplete`, as Click would offer it.

    After `--opt=`, values come bare with `split_equals` (bash splits the word at `=`), else
    as `--opt=value`: fish, zsh and PowerShell replace the whole word they were given.
    """
    table = table or load_table()
    commands = table["commands"]

    def option_of(path: str, name: str) -> Option | None:
        return _option(commands.get(path, _NOTHING), name)

    def names_command(path: str, word: str) -> bool:
        return word in commands.get(path, _NOTHING)["commands"]

    scanned = scan(words, option_of, names_command)
    path = " ".join(scanned.path)
    command, given = commands.get(path, _NOTHING), scanned.given
    # From here on, Click's own order (click.shell_completion._resolve_incomplete).
    last, prefix, incomplete = partial_word(words, incomplete, split_equals=split_equals)
    if "--" not in (*words, last) and incomplete.startswith("-"):
        return _option_names(command, given, incomplete)
    option = _option(command, last) if last.startswith("-") else None
    if option is not None and option["value"] is not None:  # Click looks at the last word only
        found = _values(option["value"], incomplete, path.split(), table)
        return [(prefix + value, help_) for value, help_ in found]
    argument = _argument(command, scanned.positional)
    if argument is not None:
        return _values(argument["value"], incomplete, path.split(), table)
    # The command itself answers, with option names too after all (Click's shell_complete).
    listed = command["commands"].items()
    found = [(name, help_) for name, help_ in listed if name.startswith(incomplete)]
    return found + (_option_names(command, given, incomplete) if incomplete[:1] == "-" else [])


def _option_names(command: Command, given: set[str], incomplete: str) -> list[Candidate]:
    """The names of the options not given yet (or that may be repeated) that fit."""
    return [
        (name, option["help"])
        for option in command["options"]
        if option["multiple"] or not given.intersection(option["names"])
        for name in option["names"]
        if name.startswith(incomplete)
    ]


def load_table() -> Table:
    """The table `aitasker_cli/cli/completion.py` generated, installed beside this module."""
    with open(os.path.join(os.path.dirname(__file__), TABLE_FILE), encoding="utf-8") as file:
        table: Table = json.load(file)
    return table


def values(source: str, incomplete: str, words: list[str]) -> list[Candidate]:
    """The candidates of one value source (see the module's docstring) for Typer callbacks."""
    return _values(source, incomplete, words, None)


def _values(source: str, incomplete: str, words: list[str], table: Table | None) -> list[Candidate]:
    """The candidates of `source` for the command named by `words` (`agents list`)."""
    kind, _, detail = source.partition(":")
    if kind == "values":
        return [(value, "") for value in detail.split(",") if value.startswith(incomplete)]
    if kind == "profiles":
        return [(name, "") for name in _profiles() if name.startswith(incomplete)]
    if kind == "fields":
        resource = "tasks" if words[-1:] == ["tasks"] else (words or [""])[0]
        known = (table or load_table())["fields"].get(resource, [])
        done, comma, current = incomplete.rpartition(",")
        return [(done + comma + name, "") for name in known if name.startswith(current)]
    if kind == "ids":
        from aitasker_cli.local import cache

        resource, _, statuses = detail.partition(":")
        wanted = statuses.split(",") if statuses else None
        return cache.candidates(resource, incomplete, wanted)
    return []


_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""Profile names a shell can be given as they are; others are left out of TAB."""


def _profiles() -> list[str]:
    from aitasker_cli.local.config import DEFAULT_PROFILE, profile_names

    names = dict.fromkeys((DEFAULT_PROFILE, *profile_names()))
    return [name for name in names if _PROFILE_NAME.fullmatch(name)]


def _option(command: Command, name: str) -> Option | None:
    return next((option for option in command["options"] if name in option["names"]), None)


def _argument(command: Command, position: int) -> Argument | None:
    """The argument that a word at `position` (0 for the first) would be given to."""
    for argument in command["arguments"]:
        if argument["nargs"] < 0 or position < argument["nargs"]:
            return argument
        position -= argument["nargs"]
    return None


def _request(shell: str) -> tuple[list[str], str]:
    """The words after `aitasker` that are complete, and the one being typed."""
    if shell == "bash":
        words = _split(os.environ.get("COMP_WORDS", ""))
        try:
            current = int(os.environ.get("COMP_CWORD", ""))
        except ValueError:
            current = len(words)
        return words[1:current], (words[current] if 0 < current < len(words) else "")
    line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
    words = _split(line)[1:]
    if shell in ("powershell", "pwsh"):
        incomplete = os.environ.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
        return (words[:-1] if incomplete else words), incomplete
    if words and not line.endswith(" "):
        return words[:-1], words[-1]
    return words, ""


def _split(line: str) -> list[str]:
    """Shell words, as `shlex.split` makes them, keeping an unfinished last one as it is."""
    import shlex

    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    try:
        words.extend(lexer)
    except ValueError:  # an unclosed quote or a trailing backslash: the word typed so far
        words.append(lexer.token)
    return words


def _for_bash(found: list[Candidate]) -> tuple[str, int]:
    return "\n".join(value for value, _help in found), 0


def _for_zsh(found: list[Candidate]) -> tuple[str, int]:
    """The `_arguments` call the zsh script evaluates; values and help are quoted for it."""
    if not found:
        return "_files", 0
    items = [
        f'"{_zsh_quoted(value)}":"{_zsh_quoted(help_)}"' if help_ else f'"{_zsh_quoted(value)}"'
        for value, help_ in found
    ]
    return "_arguments '*: :((" + "\n".join(items) + "))'", 0


def _zsh_quoted(text: str) -> str:
    """`text` for a double-quoted word in `_arguments`' `((value:help ...))` list.

    zsh reads it twice: the script's `eval` sees it inside single quotes, then `_arguments`
    evaluates the list, where `\\`, `$`, `` ` `` and `"` are special inside double quotes, and
    `_describe` splits value from help at the first colon not escaped. The backslash goes
    first, or a typed `\\$(…)` would become `\\\\$(…)`, a backslash and a command.
    """
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("$", "\\$")
        .replace("`", "\\`")
        .replace(":", r"\\:")
        .replace("'", "'\\''")
    )


def _for_fish(found: list[Candidate]) -> tuple[str, int]:
    """fish asks twice: whether there are candidates (`is-args`), then for them (`get-args`)."""
    action = os.environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
    if action == "is-args":
        return "", 0 if found else 1
    if action != "get-args":
        return "", 0
    lines = [f"{value}\t{_one_line(help_)}" if help_ else value for value, help_ in found]
    return "\n".join(lines), 0


def _for_powershell(found: list[Candidate]) -> tuple[str, int]:
    return "\n".join(f"{value}:::{help_ or ' '}" for value, help_ in found), 0


def _one_line(text: str) -> str:
    return re.sub(r"\s", " ", text)
