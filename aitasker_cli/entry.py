"""The `aitasker` executable: TAB is answered from the command table, anything else runs the CLI.

A shell asks for completions on every TAB press, so that path imports neither Typer nor Click
nor anything else the commands need; see tab_completion.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Answer the shell's TAB, or run the command line (ARGV, else sys.argv)."""
    if os.environ.get("_AITASKER_COMPLETE", "").startswith("complete_"):
        sys.exit(_complete())
    from aitasker_cli.cli.main import main as run

    run(argv)


def _complete() -> int:
    """Candidates on stdout; a failure shows nothing, since stderr would land in the prompt."""
    from aitasker_cli import tab_completion

    try:
        return tab_completion.answer(tab_completion.requested() or "")
    except KeyboardInterrupt:
        return 130
    except Exception:  # one TAB with no candidates, never a traceback
        if os.environ.get("AITASKER_DEBUG"):
            raise
        return 1
