"""The errors aitasker reports, each carrying its message, hint and the contract's exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes promised to scripts by CLI-CONTRACT.md."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    NOT_FOUND = 3
    NOT_AUTHENTICATED = 4
    FORBIDDEN = 5
    REJECTED = 6
    UNAVAILABLE = 7
    WAIT_TIMEOUT = 8
    PARTIAL_FAILURE = 9
    LOCAL_IO = 10
    WAIT_ENDED = 11
    INTERRUPTED = 130
    TERMINATED = 143


class AitaskerError(Exception):
    """Base of every error the CLI reports to the user instead of a traceback."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        self.request_id = request_id


class UsageError(AitaskerError):
    """Bad arguments, a malformed ID or config, or a refused URL; nothing was sent."""

    exit_code = ExitCode.USAGE


class NotFoundError(AitaskerError):
    exit_code = ExitCode.NOT_FOUND


class AuthError(AitaskerError):
    """No token, a token the API refused, or no credential store that works."""

    exit_code = ExitCode.NOT_AUTHENTICATED


class ForbiddenError(AitaskerError):
    exit_code = ExitCode.FORBIDDEN


class RejectedError(AitaskerError):
    """The API understood the request and said no (409, 422 and other 4xx)."""

    exit_code = ExitCode.REJECTED


class UnavailableError(AitaskerError):
    """Network failure, timeout, 429 or 5xx after retries, or a body unlike the documented JSON."""

    exit_code = ExitCode.UNAVAILABLE


class WaitTimeout(AitaskerError):
    """`--wait` gave up before the agent reached the status asked for."""

    exit_code = ExitCode.WAIT_TIMEOUT


class WaitEnded(AitaskerError):
    """What was awaited can no longer happen (a final status not waited for), or ended without
    success (`--exit-status`: a task that failed or was rejected)."""

    exit_code = ExitCode.WAIT_ENDED


class PartialFailure(AitaskerError):
    """A bulk run where at least one item failed; each item's result says why."""

    exit_code = ExitCode.PARTIAL_FAILURE


class LocalIOError(AitaskerError):
    """A local file or stream could not be read or written (full disk, read-only folder)."""

    exit_code = ExitCode.LOCAL_IO


class Terminated(BaseException):
    """SIGTERM arrived; like KeyboardInterrupt, it unwinds everything and is reported once."""


class OutputClosed(Exception):
    """The reader of stdout went away (`| head -1`); not an error for the user."""


ERROR_BY_STATUS: dict[int, type[AitaskerError]] = {
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    429: UnavailableError,
}

HINT_BY_STATUS: dict[int, str] = {
    401: "Run 'aitasker auth login', or set AITASKER_TOKEN to a valid token.",
    403: "The token is valid but may not act on this resource; check its scope.",
    429: "The API is rate limiting this client; wait a minute and try again.",
}


def error_for_status(status: int) -> type[AitaskerError]:
    """The error class for an HTTP status the client will not retry (or has stopped retrying)."""
    if status in ERROR_BY_STATUS:
        return ERROR_BY_STATUS[status]
    if 400 <= status < 500:
        return RejectedError
    return UnavailableError
