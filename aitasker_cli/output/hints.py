"""Commands named in messages carry the flags that chose the API, so pasting one works.

`aitasker --sandbox agents show Maya` ends with "List them with 'aitasker agents list'": without
`--sandbox`, that command asks for a login. Messages are written with plain `aitasker ...`, and
here, as they go out, the flags in effect are put after `aitasker`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

_flags: list[tuple[str, str | None]] = []
"""(flag, value or None), in the order they are put in: --sandbox, --profile, --api-url."""
_commands: tuple[str, ...] = ()
"""The commands that talk to the API (and so take the flags), as named in messages."""
# The word `aitasker` where a command line starts: not inside a path or another word.
_START = r"(?<![\w./~-])aitasker (?=(?:{names})\b)"
# Where a command named in a message ends: its closing quote, or the end of the line.
_END = re.compile(r"['`\"]|$", re.MULTILINE)


def select(
    *,
    sandbox: bool,
    profile: str | None,
    api_url: str | None,
    commands: Sequence[str],
    default_profile: str = "default",
) -> None:
    """Remember the flags that chose the API, as given by flag or environment variable.

    The sandbox ignores the API URL, so `--api-url` is left out with `--sandbox`.
    """
    global _commands
    _commands = tuple(commands)
    _flags.clear()
    if sandbox:
        _flags.append(("--sandbox", None))
    if profile and profile != default_profile:
        _flags.append(("--profile", profile))
    if api_url and not sandbox:
        _flags.append(("--api-url", api_url))


def forget() -> None:
    """No flags: for a new run in the same process (tests), before its command is known."""
    _flags.clear()


def without_url() -> None:
    """Leave `--api-url` out: the URL was refused, so a command carrying it would fail too."""
    _flags[:] = [(flag, value) for flag, value in _flags if flag != "--api-url"]


def with_flags(text: str) -> str:
    """`text` with the flags in effect after each `aitasker` that starts a command in it."""
    if not _flags or not _commands or "aitasker " not in text:
        return text
    pattern = _START.format(names="|".join(map(re.escape, _commands)))
    return re.sub(pattern, lambda match: _insert(match, text), text)


def _insert(match: re.Match[str], text: str) -> str:
    """`aitasker ` and the flags this command does not already carry."""
    end = _END.search(text, match.end())
    given = text[match.end() : end.start() if end else len(text)].split()
    # A command that names its API itself (undo of another API's operation) says exactly where
    # it goes: the flags in effect would send it elsewhere.
    names_its_api = {"--sandbox", "--api-url"} & set(given)
    words = ["aitasker"]
    for flag, value in _flags if not names_its_api else ():
        if flag not in given:
            words += [flag] if value is None else [flag, shlex.quote(value)]
    return " ".join(words) + " "
