"""`aitasker completion SHELL`: print the completion script for bash, zsh, fish or PowerShell."""

from __future__ import annotations

import os
from enum import Enum
from typing import Annotated

import typer


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


COMPLETE_VAR = "_AITASKER_COMPLETE"
"""Typer's completion protocol: with this set, `aitasker` answers the shell instead of running."""


def command(shell: Annotated[Shell, typer.Argument(help="Which shell.")]) -> None:
    """Print the completion script for SHELL; see the README for where to put it."""
    from aitasker_cli.cli.main import build_app

    os.environ[COMPLETE_VAR] = f"source_{shell.value}"
    try:
        build_app([])(args=[], prog_name="aitasker")
    finally:
        del os.environ[COMPLETE_VAR]
