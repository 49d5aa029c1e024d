"""The `aitasker` executable: TAB and `--help` are answered from generated tables, anything
else runs the CLI.

A shell asks for completions on every TAB press, and `--help` is how people meet the tool, so
these paths import neither Typer nor Click nor anything else the commands need; see
tab_completion and help_text.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

from aitasker_cli.core import startup
from aitasker_cli.core.startup import COMPLETE_VAR, TYPER_HELP_VAR
from aitasker_cli.fast import may_ask_for_help

# As Python exits it collects garbage across every object still alive: after the imports of
# one command, a few hundred thousand, 50-80 ms here, more than the command's own work. Frozen
# first, they are not scanned, and the process ends as soon as it has flushed and closed what
# it must (atexit handlers registered later run earlier, so theirs still run first).
atexit.register(gc.freeze)


def main(argv: list[str] | None = None) -> None:
    """Answer the shell's TAB, or run the command line (ARGV, else sys.argv)."""
    startup.begin()
    if os.environ.get(COMPLETE_VAR, "").startswith("complete_"):
        sys.exit(_complete())
    args = sys.argv[1:] if argv is None else list(argv)
    if not os.environ.get(TYPER_HELP_VAR) and may_ask_for_help(args) and _answered(args):
        sys.exit(0)
    try:
        from aitasker_cli.cli.main import main as run
    except Exception as exc:
        from aitasker_cli.core.errors import AitaskerError

        # An installed library this version does not fit (Typer): one line, as for any error.
        if not isinstance(exc, AitaskerError) or os.environ.get("AITASKER_DEBUG"):
            raise
        sys.stderr.write(f"Error: {exc.message}\n" + (f"Hint: {exc.hint}\n" if exc.hint else ""))
        sys.exit(int(exc.exit_code))
    run(args)


def _answered(args: list[str]) -> bool:
    """Whether help_text printed the help ARGS ask for; anything it cannot, the CLI prints."""
    from aitasker_cli.fast import help_text

    try:
        return help_text.answer(args)
    except BrokenPipeError:
        # The reader left (`| head -1`): not an error, as the contract says; nothing more is
        # written, and stdout points at /dev/null so the final flush cannot fail again.
        from aitasker_cli.output import streams

        streams.discard_stdout()
        return True
    except (ValueError, KeyError, TypeError, OSError):
        return False  # a damaged install's table: Typer prints the help instead


def _complete() -> int:
    """Candidates on stdout; a failure shows nothing, since stderr would land in the prompt."""
    from aitasker_cli.fast import tab_completion

    try:
        return tab_completion.answer(tab_completion.requested() or "")
    except KeyboardInterrupt:
        return 130
    except Exception:  # one TAB with no candidates, never a traceback
        if os.environ.get("AITASKER_DEBUG"):
            raise
        return 1
