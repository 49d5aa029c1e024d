"""Ctrl-C and SIGTERM, held back while one bulk item is being reported.

The signal handlers (cli/main.py) raise KeyboardInterrupt or Terminated in the main thread
wherever it is. Reporting an item is two steps, noting it for the journal and printing its
result; a signal between them would lose one or the other. Inside `held()` the signal waits,
and is raised as soon as the item is wholly reported.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_depth = 0
_waiting: BaseException | None = None


def deliver(signalled: BaseException) -> None:
    """Raise `signalled` now, or, inside `held()`, when it ends."""
    global _waiting
    if _depth:
        _waiting = _waiting or signalled
        return
    raise signalled


@contextlib.contextmanager
def held() -> Iterator[None]:
    """A block that a Ctrl-C or SIGTERM does not cut in two."""
    global _depth, _waiting
    if threading.current_thread() is not threading.main_thread():
        # Signals land in the main thread only. A bulk worker reports under its run's lock,
        # which the main thread takes before it reports the rest, so that lock keeps the
        # worker's block whole; deferring here would raise the signal in the worker.
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth and _waiting is not None:
            signalled, _waiting = _waiting, None
            raise signalled
