"""The sandbox as the CLI runs it behind `--sandbox`: its own failures become the CLI's errors.

The one module of the sandbox that knows aitasker_cli.core.errors. The app is called in-process
(through httpx's WSGI transport), so what it raises comes out of the client's request into the
command; here it becomes an error with the contract's exit code instead of a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from aitasker_cli.core.errors import LocalIOError, UsageError
from aitasker_cli.sandbox.app import SandboxApp
from aitasker_cli.sandbox.database import FileStore
from aitasker_cli.sandbox.errors import SandboxIOError, SandboxStateError

RESET_HINT = "Run 'aitasker sandbox reset' to start again from the demo fleet."


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Damaged state becomes a usage error (exit 2), a folder or file that fails exit 10."""
    try:
        yield
    except SandboxStateError as exc:
        raise UsageError(exc.message, hint=RESET_HINT) from None
    except SandboxIOError as exc:
        raise LocalIOError(exc.message) from None


class EmbeddedSandbox:
    """The sandbox API over the state database in `directory`, as a WSGI app for the client."""

    def __init__(self, directory: Path) -> None:
        self.store = FileStore(directory)
        # No rate limit: one invocation's limiter would count only its own requests, so it is
        # not the platform's per-client limit, and it stalled any bulk run past 300 requests
        # for a minute. `sandbox serve --rate-limit N` counts across invocations, as the
        # platform does.
        self._app = SandboxApp(self.store, rate_limit=0)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        # SandboxApp answers in full before it returns, so every failure surfaces here.
        with cli_errors():
            return self._app(environ, start_response)
