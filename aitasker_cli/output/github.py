"""GitHub Actions mode: workflow commands of our own, and no workflow command from anyone else.

In a workflow (`GITHUB_ACTIONS=true`, unless `AITASKER_GITHUB=0`) the runner reads every line a
step writes, on stdout and stderr, looking for workflow commands: a line that starts with `::`
once leading whitespace is trimmed, or that holds the older `##[` form anywhere (actions/runner,
ActionCommand.cs). A server's text (an agent named `::add-mask::x`) must never become one. So in
this mode, wherever such text would start a value or a line with `::` (after whitespace), its
two colons are written as escapes, and so is every `##[`:

- `\\x3a\\x3a` and `\\x23\\x23\\x5b` in text: stderr, table, tsv, csv and id, the visible
  escapes those formats already use for control characters (tsv doubles a literal backslash, so
  it can be read back exactly);
- `\\u003a\\u003a` and `\\u0023\\u0023\\u005b` inside JSON strings: the same data for any JSON
  parser;
- Markdown needs nothing: it escapes `#` and `[` already, and its lines start with `|`.

Standard library only, and nothing written here: the sink writes (it imports this module), and
a front end names the command being run (`running`) for the annotations' titles.
"""

from __future__ import annotations

import os
import re

ENV = "GITHUB_ACTIONS"
OFF_SWITCH = "AITASKER_GITHUB"
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
_OFF = ("0", "false", "no", "off")

# A line start, then the whitespace (and colour codes) the runner would trim before `::`.
_LINE_COMMAND = re.compile(r"(^|[\r\n])((?:[^\S\r\n]|\x1b\[[0-9;]*m)*)::")
_OLD_COMMAND = "##["
_TEXT_COLONS = r"\x3a\x3a"
_TEXT_OLD = r"\x23\x23\x5b"
# A JSON string token (a key or a value): what is between its quotes, escapes included.
_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# Whitespace at the start of a JSON string's content, literal or as an escape.
_JSON_COMMAND = re.compile(r"^((?:\s|\\[tnrfb]|\\u(?:000b|0085|2028|2029))*)::")
_JSON_COLONS = r"\u003a\u003a"
_JSON_OLD = r"\u0023\u0023\u005b"

_command = "aitasker"


def active() -> bool:
    """Whether this run is a step of a GitHub Actions workflow, and GitHub mode is not off."""
    if os.environ.get(ENV, "").strip().lower() != "true":
        return False
    return os.environ.get(OFF_SWITCH, "").strip().lower() not in _OFF


def running(command_path: str) -> None:
    """Name the command being run (`aitasker agents pause`), for the annotations' titles."""
    global _command
    _command = " ".join(command_path.split()) or "aitasker"


def title() -> str:
    return _command


# --- no workflow command but ours --------------------------------------------------------------


def inert(text: str) -> str:
    """`text` (a value, or lines) with no line that the runner would read as a command."""
    if "::" not in text and _OLD_COMMAND not in text:
        return text
    text = _LINE_COMMAND.sub(lambda m: f"{m.group(1)}{m.group(2)}{_TEXT_COLONS}", text)
    return text.replace(_OLD_COMMAND, _TEXT_OLD)


def inert_json(text: str) -> str:
    """JSON text with no string that starts (after whitespace) with `::` or holds `##[`."""
    if "::" not in text and _OLD_COMMAND not in text:
        return text
    return _JSON_STRING.sub(_inert_json_string, text)


def _inert_json_string(match: re.Match[str]) -> str:
    content = _JSON_COMMAND.sub(lambda m: f"{m.group(1)}{_JSON_COLONS}", match.group(1))
    return '"' + content.replace(_OLD_COMMAND, _JSON_OLD) + '"'


# --- workflow commands ----------------------------------------------------------------------


def escape_data(text: str) -> str:
    """A command's message, as GitHub documents it (and actions/toolkit does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value (`title=`): also its `:` and `,`, which would end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, *, title: str | None = None) -> str:
    """`::error title=aitasker agents pause::message`, its parts escaped.

    The message was made safe for a terminal by the caller, except for its line breaks: they
    are the annotation's own (`%0A`), the rest stays on the command's one line.
    """
    named = escape_property(_command if title is None else title)
    return f"::{kind} title={named}::{inert(escape_data(message))}"


# --- the job summary ------------------------------------------------------------------------


def summary_path() -> str | None:
    """The step's job summary file, in GitHub mode; None elsewhere."""
    path = os.environ.get(SUMMARY_ENV, "")
    return path if path and active() else None
