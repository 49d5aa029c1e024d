"""The `aitasker` command: assembles the command groups and is the one error boundary."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from aitasker_cli import __version__, render
from aitasker_cli.cli import agents, api, auth, completion, doctor, sandbox, workspaces
from aitasker_cli.cli.common import Common, api_command
from aitasker_cli.errors import AitaskerError, ExitCode, OutputClosed

app = typer.Typer(
    name="aitasker",
    help="Manage your hired agents on the AITasker platform.",
    no_args_is_help=True,
    # Adds --install-completion and --show-completion, and Typer's completion protocol.
    add_completion=True,
    # Help text is plain: brackets in it stay brackets, and --help never loads rich.
    rich_markup_mode=None,
    # main() reports errors itself; a traceback must never show locals (tokens live there).
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(agents.app, name="agents")
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(auth.app, name="auth")
app.add_typer(sandbox.app, name="sandbox")
app.command("api")(api.api)
app.command("doctor")(doctor.doctor_command)
app.command("completion")(completion.completion)


def _print_version(value: bool) -> None:
    if value:
        render.line(f"aitasker {__version__}")
        raise typer.Exit()


@app.callback()
@api_command
def root(
    common: Common,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """Manage your hired agents on the AITasker platform.

    The common options may come before the command name or after it.
    """


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every failure into one message and the contract's exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or os.environ.get("AITASKER_DEBUG", "") not in ("", "0", "false")
    _tolerate_unencodable_output()
    try:
        app(args=args, prog_name="aitasker")
    except SystemExit as exit_:
        if exit_.code == ExitCode.INTERRUPTED:  # Typer's translation of Ctrl-C, silent
            render.interrupted()
        raise
    except AitaskerError as err:
        render.error(err)
        code = err.exit_code
    except OutputClosed:
        _discard_stdout()
        code = ExitCode.OK
    except KeyboardInterrupt:
        render.interrupted()
        code = ExitCode.INTERRUPTED
    except Exception as exc:
        if debug:
            render.traceback_of(exc)
        else:
            render.unexpected(exc)
        code = ExitCode.UNEXPECTED
    else:
        code = ExitCode.OK
    sys.exit(code)


def _discard_stdout() -> None:
    """After the reader left, point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests capture stdout): nothing will be flushed to a pipe


def _tolerate_unencodable_output() -> None:
    """On a non-UTF-8 terminal, show unencodable characters as escapes instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
