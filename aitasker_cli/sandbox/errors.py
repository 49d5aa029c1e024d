"""What goes wrong on the sandbox's own side: its saved state, or the disk it is kept on.

The sandbox does not know the CLI's errors; aitasker_cli/sandbox/embedded.py turns these into
them where the CLI calls the sandbox.
"""

from __future__ import annotations

from pathlib import Path


class SandboxError(Exception):
    """Base of the sandbox's own failures (an API error is an ApiProblem response instead)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SandboxStateError(SandboxError):
    """The saved state is not what the sandbox writes: a hand edit, a damaged or foreign file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"the sandbox state in {path} is damaged: {problem}")
        self.path = path
        self.problem = problem


class SandboxIOError(SandboxError):
    """The state's folder or database could not be made, opened, read or written."""
