"""The sandbox as the CLI runs it behind `--sandbox`: its own failures become the CLI's errors.

The one module of the sandbox that knows aitasker_cli.core.errors. The app is called in-process
(through httpx's WSGI transport), so what it raises comes out of the client's request into the
command; here it becomes an error with the contract's exit code instead of a traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from aitasker_cli.core.errors import LocalIOError, UsageError
from aitasker_cli.sandbox.app import SandboxApp
from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.errors import SandboxIOError, SandboxStateError
from aitasker_cli.sandbox.lifecycle import LONGEST_TICK_SECONDS, Lifecycle

RESET_HINT = "Run 'aitasker sandbox reset' to start again from the demo fleet."
TICK_VARIABLE = "AITASKER_SANDBOX_TICK"
"""Seconds between two ticks of the task lifecycle (lifecycle.py); unset, empty or 0: still."""


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Damaged state becomes a usage error (exit 2), a folder or file that fails exit 10."""
    try:
        yield
    except SandboxStateError as exc:
        raise UsageError(exc.message, hint=RESET_HINT) from None
    except SandboxIOError as exc:
        raise LocalIOError(exc.message) from None


def tick_seconds(environ: Mapping[str, str] | None = None) -> float | None:
    """The tick set by AITASKER_SANDBOX_TICK, None for a still fleet; a usage error (exit 2)
    for anything but a number of seconds from 0 to a day."""
    text = (os.environ if environ is None else environ).get(TICK_VARIABLE, "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not (0 <= seconds <= LONGEST_TICK_SECONDS):  # also refuses NaN and infinities
        raise UsageError(
            f"{TICK_VARIABLE}={text[:40]!r} is not a number of seconds from 0 to 86400.",
            hint=f"Set {TICK_VARIABLE} to the seconds between two moves of the sandbox's "
            "tasks, or 0 (or nothing) to keep them still.",
        )
    return seconds or None


class EmbeddedSandbox:
    """The sandbox API over the state database in `directory`, as a WSGI app for the client.

    With AITASKER_SANDBOX_TICK set, tasks move by the time gone by since the last tick (its
    clock is in the database, so the time between commands counts too).
    """

    def __init__(self, directory: Path, environ: Mapping[str, str] | None = None) -> None:
        self.store = FileStore(directory)
        every = tick_seconds(environ)
        # No rate limit: one invocation's limiter would count only its own requests, so it is
        # not the platform's per-client limit, and it stalled any bulk run past 300 requests
        # for a minute. `sandbox serve --rate-limit N` counts across invocations, as the
        # platform does.
        self._app = SandboxApp(
            self.store, rate_limit=0, lifecycle=Lifecycle(every) if every else None
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        # SandboxApp answers in full before it returns, so every failure surfaces here.
        with cli_errors():
            return self._app(environ, start_response)
