"""The standard descriptors when the caller closed them or their reader left.

Standard library only: entry.py uses it on the `--help` path, which must stay fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO


def point_at_devnull(descriptor: int) -> bool:
    """Make `descriptor` refer to /dev/null; whether that worked."""
    try:
        opened = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return False
    if opened == descriptor:  # it was closed, and open() took the lowest free number
        return True
    try:
        os.dup2(opened, descriptor)
    except OSError:
        return False
    finally:
        os.close(opened)
    return True


def hold_standard_descriptors() -> None:
    """Keep descriptors 0-2 taken even when the caller closed them (`>&-`).

    Otherwise the next file opened (the sandbox state, a cache) would get descriptor 1 and a
    write meant for stdout could land in it. A closed stdout stays closed for Python
    (`sys.stdout` is None), so writing to it is still reported as an error.
    """
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            if not point_at_devnull(descriptor):
                return


def discard_stdout() -> None:
    """After the reader left, point stdout at /dev/null so the final flush cannot fail."""
    _discard(sys.stdout)


class QuietStream:
    """Stderr that, once a write fails, drops everything written to it instead of raising.

    Whoever writes (our messages, Click's usage errors, Python's own reports), a closed or full
    stderr, or one whose reader left, must not change the exit code or end in a traceback.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        """Write `text`; in GitHub mode, whoever wrote it (Click's usage error quotes what was
        typed), no line of it becomes a workflow command."""
        from aitasker_cli.output import github

        return self.write_own(github.inert(text) if github.active() else text)

    def write_own(self, text: str) -> int:
        """Write `text` as it is: for aitasker's own workflow commands (sink.workflow_command)."""
        try:
            return self.stream.write(text)
        except (OSError, ValueError):
            self._give_up()
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            self._give_up()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def _give_up(self) -> None:
        # What the failed write left in the buffer goes to /dev/null too: otherwise Python's
        # own flush at exit fails again, prints a traceback nobody can read, and exits 120.
        _discard(self.stream)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Make sys.stderr a QuietStream while the block runs (nothing to do when it is closed)."""
    original = sys.stderr
    if original is None or isinstance(original, QuietStream):
        yield
        return
    sys.stderr = QuietStream(original)
    try:
        yield
    finally:
        sys.stderr = original


def _discard(stream: TextIO | None) -> None:
    if stream is None:
        return  # closed by the caller: Python writes nothing to it
    try:
        point_at_devnull(stream.fileno())
    except (OSError, ValueError):
        return  # not a real file (tests capture it): nothing will be flushed to a pipe
    with contextlib.suppress(OSError, ValueError):
        stream.flush()
