"""The one way out: every byte aitasker writes to stdout or stderr passes through here.

On the way, control characters a terminal would act on are made visible (only the colour
codes of our own tables pass), and secrets are blanked out by one rule: on stdout, which
carries data, only the registered token is replaced; stderr also loses anything shaped like a
token. `auth token` is the one deliberate exception (`secret_out`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from aitasker_cli.core import secrets
from aitasker_cli.core.errors import LocalIOError, OutputClosed
from aitasker_cli.core.patterns import TOKEN_SHAPE
from aitasker_cli.output import github

REDACTED = secrets.REDACTED
SHORTEST_SECRET = secrets.SHORTEST_SECRET
"""A registered token shorter than this, and not shaped like one of the platform's keys or a
JWT, is too short to be a credential: replacing it would alter data (every "a" for a token "a")."""

TOKEN_LIKE = (
    f"(?i){TOKEN_SHAPE}"
    r"|(?<=[?&])(?P<name>[^=&\s]*(?:token|key|secret|password|auth)[^=&\s]*)=[^&\s]*"
)
"""Token-looking values a message could carry: the platform's API keys, JWTs, and the values of
query parameters named like secrets."""

# Patterns are text, compiled on first use (re caches them), so importing this stays cheap.
# C0 and C1 controls, DEL, the bidirectional overrides that can reorder what a terminal shows,
# and lone surrogates (from a JSON "\ud800"), which cannot be encoded at all. ZWJ is left
# alone because emoji sequences need it.
UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
# On stdout, line and field breaks are the formats' own, and so are our tables' colours.
_STDOUT_UNSAFE = (
    "(\x1b\\[[0-9;]*m)"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

_secrets = secrets.REGISTERED
"""The registry (core/secrets.py): the journal redacts from it too."""


def add_secret(value: str) -> None:
    """Never show `value`, if it can be a credential: it is replaced wherever it is written."""
    secrets.add(value)


def redact_registered(text: str) -> str:
    return secrets.redact(text)


def redact_patterns(text: str) -> str:
    return re.sub(TOKEN_LIKE, _blank_secret, text)


def _blank_secret(match: re.Match[str]) -> str:
    name = match.group("name")
    return f"{name}={REDACTED}" if name else REDACTED


def escape(text: str) -> str:
    """Make control characters visible (`\\x1b`) so they cannot act on a terminal."""
    return re.sub(UNSAFE, _visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _stdout_safe(text: str) -> str:
    if not re.search(_STDOUT_UNSAFE, text):
        return text
    return re.sub(_STDOUT_UNSAFE, lambda m: m.group(1) or _visible(m), text)


def out(text: str) -> None:
    """Data on stdout; in GitHub mode, no line of it a workflow command (see github.py)."""
    safe = _stdout_safe(redact_registered(text))
    _to_stdout(github.inert(safe) if github.active() else safe)


def secret_out(text: str) -> None:
    """A token on stdout, by design (`auth token`): the one write that is not redacted."""
    _to_stdout(text)


def err(text: str, end: str = "\n") -> None:
    """Text on stderr, its lines kept (a traceback, the debug log); see err_lines."""
    err_lines(text.split("\n"), end)


def err_lines(lines: Sequence[str], end: str = "\n") -> None:
    """Lines on stderr, each kept on one: its controls and line breaks escaped, secrets and
    token shapes blanked. `end=""` leaves the cursor on the last line, for a question.

    A message names things the server sent (an agent's name), which may hold a line break:
    unescaped, it would split a `[y/N]` question or "Paused ..." over several lines.
    """
    safe = "\n".join(escape(redact_patterns(redact_registered(line))) for line in lines)
    _to_stderr((github.inert(safe) if github.active() else safe) + end)


def workflow_command(kind: str, lines: Sequence[str]) -> None:
    """One of our own GitHub workflow commands on stderr (`::error title=…::message`): the one
    line that starts with `::`. Each of the message's `lines` is written as on any line of
    stderr (no secrets, controls and line breaks made visible); they are the annotation's."""
    safe = [escape(redact_patterns(redact_registered(line))) for line in lines]
    _to_stderr(github.command(kind, "\n".join(safe)) + "\n", own=True)


def _to_stderr(text: str, *, own: bool = False) -> None:
    """Write to stderr; `own` marks one of our workflow commands, which the stream in GitHub
    mode must let through as it is (it makes every other line inert: streams.QuietStream)."""
    try:
        write = getattr(sys.stderr, "write_own", None) if own else None
        (write or sys.stderr.write)(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass  # nowhere left to report to (closed, full, or its reader gone): see QuietStream


def _to_stdout(text: str) -> None:
    stream = sys.stdout
    if stream is None:
        raise LocalIOError("cannot write to standard output: it is closed")
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        raise OutputClosed from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "it is closed"
        raise LocalIOError(f"cannot write to standard output: {reason}") from None


def is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        return False
