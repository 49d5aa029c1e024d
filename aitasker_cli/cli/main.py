"""The `aitasker` command: assembles the command groups and is the one error boundary."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType
from typing import Annotated

import typer

from aitasker_cli import __version__
from aitasker_cli.cli.options import VALUE_OPTIONS, Common, api_command
from aitasker_cli.errors import AitaskerError, ExitCode, LocalIOError, OutputClosed, Terminated

COMMANDS = {
    "agents": "List, inspect, pause and resume your hired agents.",
    "workspaces": "List and inspect workspaces and their tasks.",
    "auth": "Log in, log out and inspect the stored API token.",
    "api": "Call any API path with your token and print the response body (JSON).",
    "sandbox": "The embedded sandbox API: try every command, or test scripts, with no account.",
    "doctor": "Check the installation, config, token, keyring, API and clock; say what to fix.",
    "completion": "Print the shell completion script for bash, zsh, fish or PowerShell.",
}
"""Every command under `aitasker`, with its help; each lives in aitasker_cli/cli/NAME.py."""
GROUPS = ("agents", "workspaces", "auth", "sandbox")
_FALSE = ("", "0", "false", "no", "off", "n", "f")
"""What AITASKER_DEBUG may be set to and still mean off, as Typer reads booleans."""


def build_app(wanted: list[str]) -> typer.Typer:
    """The `aitasker` app, with only the `wanted` command (and subcommand) really built.

    Building every command's parameters costs start-up time on each run and each TAB, so the
    others are stand-ins that carry only their name and help: enough for `--help` listings,
    for "No such command", and for completing command names.
    """
    app = typer.Typer(
        name="aitasker",
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
    app.callback()(root)
    command, subcommand = [*wanted, None, None][:2]
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"aitasker_cli.cli.{name}") if name == command else None
        if name in GROUPS:
            group = typer.Typer(no_args_is_help=True)
            for sub_name, function in (module.COMMANDS if module else {}).items():
                real = sub_name == subcommand
                group.command(sub_name, help=None if real else function.__doc__)(
                    function if real else _stand_in
                )
            app.add_typer(group, name=name, help=summary)
        else:
            app.command(name, help=summary)(module.command if module else _stand_in)
    return app


def _stand_in() -> None:
    """Never run: a command is loaded before it is run."""


def _print_version(value: bool) -> None:
    if value:
        from aitasker_cli import render

        render.line(f"aitasker {__version__}")
        raise typer.Exit()


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


def requested_words(args: list[str]) -> list[str]:
    """The command and subcommand names in ARGV, or in a shell's completion request."""
    if os.environ.get("_AITASKER_COMPLETE"):
        words = os.environ.get("COMP_WORDS") or os.environ.get("_TYPER_COMPLETE_ARGS", "")
        args = words.split()[1:]
    names: list[str] = []
    expects_value = False
    for arg in args:
        if expects_value:
            expects_value = False
        elif arg in VALUE_OPTIONS:
            expects_value = True
        elif not arg.startswith("-"):
            names.append(arg)
            if len(names) == 2:
                break
    return names


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every failure into one message and the contract's exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or os.environ.get("AITASKER_DEBUG", "").lower() not in _FALSE
    _hold_standard_descriptors()
    _tolerate_unencodable_output()
    _stop_on_signals()
    if os.environ.get("_AITASKER_COMPLETE"):
        from aitasker_cli.cli.completion import keep_completion_help_plain

        keep_completion_help_plain()
    try:
        build_app(requested_words(args))(args=args, prog_name="aitasker")
    except SystemExit as exit_:
        if exit_.code == ExitCode.INTERRUPTED:  # Typer's translation of Ctrl-C, silent
            _report(KeyboardInterrupt(), debug)
        raise
    except (Exception, KeyboardInterrupt, Terminated) as exc:
        sys.exit(_report(exc, debug))
    sys.exit(ExitCode.OK)


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind the command once, so every bulk item is still reported.

    A second signal while that report is being written is ignored: it must not end in a
    traceback halfway through the results. Outside the main thread (tests), nothing is set.
    """

    def stop(number: int, _frame: FrameType | None) -> None:
        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt if number == signal.SIGINT else Terminated

    try:
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    except ValueError:
        pass  # not the main thread


def _hold_standard_descriptors() -> None:
    """Keep descriptors 0-2 taken even when the caller closed them (`>&-`).

    Otherwise the next file opened (the sandbox state, a cache) would get descriptor 1 and a
    write meant for stdout could land in it. A closed stdout stays closed for Python
    (`sys.stdout` is None), so writing to it is still reported as an error.
    """
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            try:
                opened = os.open(os.devnull, os.O_RDWR)
            except OSError:
                return
            if opened != descriptor:
                os.dup2(opened, descriptor)
                os.close(opened)


def _report(exc: BaseException, debug: bool) -> int:
    """Tell the user what went wrong, in one place; returns the exit code."""
    from aitasker_cli import render

    if isinstance(exc, AitaskerError):
        if isinstance(exc, LocalIOError):
            _discard_stdout()  # what could not be written must not fail again at exit
        render.error(exc)
        return exc.exit_code
    if isinstance(exc, OutputClosed):
        _discard_stdout()
        return ExitCode.OK
    if isinstance(exc, KeyboardInterrupt):
        render.interrupted()
        return ExitCode.INTERRUPTED
    if isinstance(exc, Terminated):
        render.terminated()
        return ExitCode.TERMINATED
    if debug:
        render.traceback_of(exc)
    else:
        render.unexpected(exc)
    return ExitCode.UNEXPECTED


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
