"""The fast path, and the one reading of the words after `aitasker` that every part shares.

What may ask for help, which help page a plain request names, and Click's walk through
commands, options and their values: entry, help_text, tab_completion and the CLI read argv
only through this module. It lives in the package itself, with the standard library only:
help and TAB import the package anyway, and each module more is one more file to find and
read on every TAB press.
"""

from __future__ import annotations

TYPE_CHECKING = False
"""typing.TYPE_CHECKING without importing typing, which would add a tenth to every TAB."""
if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from typing import TypedDict

    class Known(TypedDict):
        names: list[str]
        value: str | None
        """None: a flag, which takes no value."""


HELP_WORD = "help"
"""`aitasker help WORDS` is `aitasker WORDS --help`."""
HELP_FLAGS = ("--help", "-h")


def may_ask_for_help(args: list[str]) -> bool:
    """Cheap: whether ARGS may ask for help (only then is the help table read)."""
    return len(args) <= 1 or args[0] == HELP_WORD or args[-1] in HELP_FLAGS


def help_page(args: list[str]) -> tuple[list[str], str] | None:
    """The command words and flag of `help WORDS`, `WORDS -FLAG` or `WORDS`; else None."""
    # Only requests this plain are answered from the help table (whether the page exists and
    # takes the flag is the table's to say); anything else is left to the CLI.
    if not args:
        return [], ""
    if args[0] == HELP_WORD:
        words, flag = args[1:], "--help"
    elif args[-1].startswith("-"):
        words, flag = args[:-1], args[-1]
    else:
        words, flag = args, ""
    if any(word.startswith("-") for word in words):
        return None
    return words, flag


def partial_word(words: list[str], incomplete: str, *, split_equals: bool) -> tuple[str, str, str]:
    """The word INCOMPLETE may be the value of, the prefix of values offered, what to complete."""
    # Click looks at the last word only. `--opt=val` is an option and its partial value,
    # offered bare with `split_equals` (bash splits the word at `=`), else as `--opt=value`,
    # since fish, zsh and PowerShell replace the whole word they were given.
    last = words[-1] if words else ""
    if incomplete == "=":
        return last, "", ""
    if "=" in incomplete and incomplete.startswith("-"):
        name, _equals, value = incomplete.partition("=")
        return name, "" if split_equals else f"{name}=", value
    return last, "", incomplete


class Scan:
    """What `scan` found in ARGS: the commands, options and arguments."""

    __slots__ = ("command_at", "given", "literal", "options", "path", "positional")

    def __init__(self) -> None:
        self.path: list[str] = []
        """The command words, `["agents", "pause"]`."""
        self.command_at: list[int] = []
        """The index in ARGS of each command word."""
        self.options: list[tuple[str, str | None]] = []
        """Every option typed, by the name typed, with its value (None for a flag, or when the
        option is not known)."""
        self.given: set[str] = set()
        """The names (each with its aliases) of the options given to the last command."""
        self.positional = 0
        """The arguments given to the last command."""
        self.literal = False
        """Whether a `--` came after the last command: nothing after it is an option."""

    def help_word_at(self) -> int | None:
        """The index of `help` when it is the first command word, as in `aitasker help auth`."""
        return self.command_at[0] if self.path[:1] == [HELP_WORD] else None


def scan(
    args: list[str],
    option: Callable[[str, str], Known | None],
    is_command: Callable[[str, str], bool],
) -> Scan:
    """ARGS read as Click reads them, given what the options and commands at each path are."""
    # `option(path, name)`: the option NAME of the command at PATH (its words joined by
    # spaces), or None; `is_command(path, word)`: whether WORD names one of its subcommands.
    found = Scan()
    path = ""
    awaiting: Known | None = None
    for index, word in enumerate(args):
        if awaiting is not None:  # Click counts an option as given once it has its value
            found.given.update(awaiting["names"])
            found.options.append((found.options.pop()[0], word))
            awaiting = None
        elif word == "--" and not found.literal:
            found.literal = True
        elif word.startswith("--") and not found.literal:
            name, equals, value = word.partition("=")
            known = option(path, name)
            found.options.append((name, value if equals else None))
            if known is not None and known["value"] is not None and not equals:
                awaiting = known
            elif known is not None:
                found.given.update(known["names"])
        elif word.startswith("-") and len(word) > 1 and not found.literal:
            awaiting = _short_options(found, word, option, path)
        elif found.positional == 0 and is_command(path, word):
            path = f"{path} {word}".lstrip()
            found.path.append(word)
            found.command_at.append(index)
            found.given, found.literal = set(), False
        else:
            found.positional += 1
    return found


def _short_options(
    found: Scan, word: str, option: Callable[[str, str], Known | None], path: str
) -> Known | None:
    """Read `-abc` into FOUND as Click does; returns the option still waiting for its value."""
    # Flags, up to one that takes a value: the rest of the word, or the next word.
    for index, letter in enumerate(word[1:], start=1):
        name = f"-{letter}"
        known = option(path, name)
        if known is None:
            found.options.append((name, None))
        elif known["value"] is None:
            found.options.append((name, None))
            found.given.update(known["names"])
        elif index == len(word) - 1:
            found.options.append((name, None))
            return known
        else:
            found.options.append((name, word[index + 1 :]))
            found.given.update(known["names"])
            return None
    return None


def root_words(
    value_options: Collection[str], depth: int = 2
) -> tuple[Callable[[str, str], Known | None], Callable[[str, str], bool]]:
    """`scan`'s arguments for knowing only which options take a value, and DEPTH commands."""
    # Enough to find which commands to build before Typer knows them: any plain word names a
    # command, up to DEPTH of them.

    def option(_path: str, name: str) -> Known | None:
        return {"names": [name], "value": ""} if name in value_options else None

    def is_command(path: str, _word: str) -> bool:
        return path.count(" ") + bool(path) < depth

    return option, is_command
