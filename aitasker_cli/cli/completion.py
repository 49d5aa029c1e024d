"""`aitasker completion SHELL`: print the completion script for bash, zsh, fish or PowerShell."""

from __future__ import annotations

import contextlib
import io
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

ZSH_REGISTRATION = "compdef _aitasker_completion aitasker"
ZSH_AUTOLOADABLE = """\
compdef _aitasker_completion aitasker
if (( $+compstate )); then
  _aitasker_completion "$@"
fi"""
"""Typer's zsh script only registers its function, so the first TAB after compinit loaded the
file from $fpath did nothing; inside a completion (compstate is set) it now answers that TAB
too. Sourced, it only registers, as before."""


def command(
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh, fish or powershell.")],
) -> None:
    """Print the completion script for SHELL; see the README for where to put it."""
    typer.echo(script(shell), nl=False)


def script(shell: Shell) -> str:
    """Typer's completion script for `shell`, made to work when installed as the README says.

    Its first line is `#compdef aitasker` (compinit ignores a file in $fpath otherwise).
    """
    from aitasker_cli.cli.main import build_app

    printed = io.StringIO()
    os.environ[COMPLETE_VAR] = f"source_{shell.value}"
    try:
        with contextlib.redirect_stdout(printed):
            build_app([])(args=[], prog_name="aitasker")
    except SystemExit as finished:
        if finished.code not in (0, None):
            raise
    finally:
        del os.environ[COMPLETE_VAR]
    text = printed.getvalue().lstrip("\n")
    if shell is Shell.zsh:
        text = text.replace(ZSH_REGISTRATION, ZSH_AUTOLOADABLE)
    return text


def keep_completion_help_plain() -> None:
    """Stop Typer from passing completion help (agent names, command summaries) through rich.

    Typer renders each item's help as rich markup, at the terminal's width: that imports rich
    on every TAB, and it wraps long help onto a new line, which fish and PowerShell then read
    as one more candidate made of server text. aitasker's help texts are plain already.
    """
    from typer import _completion_classes

    if hasattr(_completion_classes, "_sanitize_help_text"):
        _completion_classes._sanitize_help_text = _unchanged


def _unchanged(text: str) -> str:
    return text
