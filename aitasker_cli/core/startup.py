"""What start-up shares between the executable, the fast path and the commands: the shell's
completion protocol variable, and when Python's garbage collector may start work.

Standard library only: the fast path imports it.
"""

from __future__ import annotations

import gc

COMPLETE_VAR = "_AITASKER_COMPLETE"
"""Typer's completion protocol: `complete_SHELL` asks for candidates, `source_SHELL` a script."""
TYPER_HELP_VAR = "_AITASKER_TYPER_HELP"
"""Set (to anything), `--help` comes from Typer itself: how the tests compare the two."""

START_UP_GC_THRESHOLD = 100_000
"""New objects a command may make before Python first looks for garbage among them. The
imports of one API call make ~60,000 and keep them all, so the ~90 collections that Python's
usual threshold (700) runs during them find nothing; they cost ~4% of the call."""
_USUAL_GC_THRESHOLDS = gc.get_threshold()


def begin() -> None:
    """No garbage collection while a command starts up (see START_UP_GC_THRESHOLD)."""
    gc.set_threshold(START_UP_GC_THRESHOLD, *_USUAL_GC_THRESHOLDS[1:])


def start_up_over() -> None:
    """Collect garbage as usual from now on, for commands that run long (bulk changes, pages
    of a listing, the sandbox server), so that garbage in cycles never piles up; what start-up
    made lives to the end, so it is frozen: no collection scans it."""
    if gc.get_threshold()[0] != START_UP_GC_THRESHOLD:
        return  # not started by begin() (the CLI run inside a test's process), or done already
    gc.freeze()
    gc.set_threshold(*_USUAL_GC_THRESHOLDS)
