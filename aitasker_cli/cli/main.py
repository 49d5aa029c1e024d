"""The `aitasker` command: assembles the command groups and is the one error boundary."""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType
from typing import Annotated

import typer
import typer.core

from aitasker_cli import __version__
from aitasker_cli.cli.examples import examples_text
from aitasker_cli.cli.options import COMMON_NAMES, VALUE_OPTIONS, Common, api_command
from aitasker_cli.cli.typer_adapter import click
from aitasker_cli.core.errors import AitaskerError, ExitCode, LocalIOError, OutputClosed, Terminated
from aitasker_cli.domain.schemas import with_schema
from aitasker_cli.output import github, hints, streams

COMMANDS = {
    "agents": "List, inspect, pause, resume and cancel your hired agents.",
    "tasks": "List tasks across workspaces; approve or reject them.",
    "workspaces": "List and inspect workspaces and their tasks.",
    "auth": "Log in, log out and inspect the stored API token.",
    "history": "List recent changes and decisions from the local journal.",
    "undo": "Put back the agents an operation changed, if nobody has changed them since.",
    "api": "Call any API path with your token and print the response body (JSON).",
    "mcp": "Serve MCP for AI assistants; read-only unless allowed more.",
    "schema": "Print the JSON Schema of what a command prints, or list them.",
    "doctor": "Check the installation, config, token, keyring, API and clock; say what to fix.",
    "sandbox": "The embedded sandbox API: try every command, or test scripts, with no account.",
    "completion": "Print the shell completion script for bash, zsh, fish or PowerShell.",
}
"""Every command under `aitasker`, with its help, in the order `--help` lists them (core ones
first); each lives in aitasker_cli/cli/NAME.py."""
HELP_COMMAND = "help"
"""`aitasker help WORDS` is `aitasker WORDS --help`."""
HELP_SUMMARY = "Show the help of a command: aitasker help agents pause."
GROUPS = ("agents", "tasks", "workspaces", "auth", "sandbox")
_NOT_API = ("sandbox", "completion")
"""Commands that never talk to the API, so their command lines need no flag choosing one."""
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
        cls=RootGroup,
        epilog=examples_text(()),
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
            group = typer.Typer(cls=HelpGroup, no_args_is_help=True)
            for sub_name, function in (module.COMMANDS if module else {}).items():
                real = sub_name == subcommand
                group.command(
                    sub_name,
                    cls=HelpCommand,
                    help=with_schema((name, sub_name), function.__doc__),
                    epilog=examples_text((name, sub_name)),
                )(function if real else _stand_in)
            app.add_typer(group, name=name, help=summary, epilog=examples_text((name,)))
        else:
            app.command(
                name,
                cls=HelpCommand,
                help=with_schema((name,), summary),
                epilog=examples_text((name,)),
            )(module.command if module else _stand_in)
    return app


class HelpCommand(typer.core.TyperCommand):
    """A command whose plain `--help` reads like gh's: own options, global ones, examples."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_parameters(self, ctx, formatter)

    def format_epilog(self, _ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_examples(self.epilog, formatter)

    def invoke(self, ctx: click.Context) -> object:
        _note_api_flags(ctx)
        github.running(ctx.command_path)  # names the command in GitHub annotations
        return super().invoke(ctx)


class HelpGroup(typer.core.TyperGroup):
    """A command group with the same help as HelpCommand, printed on stdout when called bare."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            # A bare group is a request for its help, as in gh: stdout, exit 0.
            typer.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_commands(ctx, formatter)
        _format_parameters(self, ctx, formatter)

    def format_epilog(self, _ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _format_examples(self.epilog, formatter)


class RootGroup(HelpGroup):
    """`aitasker` itself: its commands in COMMANDS' order, and `help` among them."""

    def list_commands(self, _ctx: click.Context) -> list[str]:
        return sorted(self.commands, key=lambda name: [*COMMANDS, name].index(name))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [name for name in self.list_commands(ctx) if not self.commands[name].hidden]
        limit = formatter.width - 6 - max(len(name) for name in [*names, HELP_COMMAND])
        rows = [(name, self.commands[name].get_short_help_str(limit)) for name in names]
        rows.append((HELP_COMMAND, HELP_SUMMARY))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _usage_pieces(command: click.Command, ctx: click.Context) -> list[str]:
    """`[OPTIONS] AGENT_ID...`: each argument by its name, without type or brace noise."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = _argument_name(param)
            pieces.append(name if param.required or param.nargs != 1 else f"[{name}]")
    return pieces


def _argument_name(param: click.Parameter) -> str:
    """An argument as help shows it: AGENT_ID, or AGENT_ID... when it takes many."""
    name = param.metavar or (param.name or "").upper()
    return f"{name}..." if param.nargs != 1 else name


def _format_parameters(
    command: click.Command, ctx: click.Context, formatter: click.HelpFormatter
) -> None:
    """Arguments, the command's own options, then the options every API command shares."""
    for title, rows in parameter_sections(command, ctx):
        with formatter.section(title):
            formatter.write_dl(rows)


def parameter_sections(
    command: click.Command, ctx: click.Context
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The sections of parameters `--help` shows, each with its (name, help) rows."""
    arguments: list[tuple[str, str]] = []
    own: list[tuple[str, str]] = []
    shared: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        if param.param_type_name == "option" and param.metavar is None and takes_value:
            param.metavar = (param.name or "").upper()  # not Typer's `<str>` or `<int range>`
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            arguments.append((_argument_name(param), record[1]))
        elif param.name in COMMON_NAMES:
            shared.append(record)
        else:
            own.append(record)
    sections = (("Arguments", arguments), ("Options", own), ("Global options", shared))
    return [(title, rows) for title, rows in sections if rows]


def _format_examples(epilog: str | None, formatter: click.HelpFormatter) -> None:
    """The examples, one a line as written: Click's epilog would re-wrap them into prose."""
    if not epilog:
        return
    with formatter.section("Examples"):
        for line in epilog.splitlines():
            formatter.write(f"{'':>{formatter.current_indent}}{line}\n")


def command_paths() -> list[tuple[str, ...]]:
    """`aitasker` itself, every command and group, and every subcommand, in help order."""
    found: list[tuple[str, ...]] = [()]
    for name in COMMANDS:
        found.append((name,))
        if name in GROUPS:
            module = importlib.import_module(f"aitasker_cli.cli.{name}")
            found.extend((name, sub) for sub in module.COMMANDS)
    return found


def _note_api_flags(ctx: click.Context) -> None:
    """Tell hints which --sandbox, --profile and --api-url the command runs with.

    As the command itself merges them (cli/options.py): a flag typed after the command name,
    else one typed before it, else the environment variable.
    """
    if "sandbox" not in ctx.params:
        return  # a command that does not talk to the API
    before_command = ctx.obj if isinstance(ctx.obj, dict) else {}

    def value(name: str) -> object:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name == "COMMANDLINE":
            return ctx.params[name]
        return before_command.get(name, ctx.params[name])

    profile, api_url = value("profile"), value("api_url")
    hints.select(
        sandbox=bool(value("sandbox")),
        profile=profile if isinstance(profile, str) else None,
        api_url=api_url if isinstance(api_url, str) else None,
        commands=[name for name in COMMANDS if name not in _NOT_API],
    )


def _stand_in() -> None:
    """Never run: a command is loaded before it is run."""


def _print_version(value: bool) -> None:
    if value:
        from aitasker_cli.output import render

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
    """The command and subcommand names in ARGV."""
    from aitasker_cli.fast import root_words, scan

    return scan(args, *root_words(VALUE_OPTIONS)).path


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every failure into one message and the contract's exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in args or os.environ.get("AITASKER_DEBUG", "").lower() not in _FALSE
    streams.hold_standard_descriptors()
    hints.forget()  # another run in this process (tests) may have named some
    github.running("aitasker")
    _tolerate_unencodable_output()
    _stop_on_signals()
    args = _as_help_request(args)
    with streams.quiet_stderr():
        try:
            build_app(requested_words(args))(args=args, prog_name="aitasker")
        except SystemExit as exit_:
            if exit_.code == ExitCode.INTERRUPTED:  # Typer's translation of Ctrl-C, silent
                _report(KeyboardInterrupt(), debug)
            if isinstance(sys.stdout, click.utils.PacifyFlushWrapper):
                # Click's sign that stdout's reader left while it wrote (help, a completion
                # script); it would exit 1, but a reader that leaves is no error.
                sys.exit(ExitCode.OK)
            raise
        except (Exception, KeyboardInterrupt, Terminated) as exc:
            sys.exit(_report(exc, debug))
        sys.exit(ExitCode.OK)


def _as_help_request(args: list[str]) -> list[str]:
    """`aitasker [OPTIONS] help WORDS` asks for help: `aitasker [OPTIONS] WORDS --help`."""
    from aitasker_cli.fast import root_words, scan

    index = scan(args, *root_words(VALUE_OPTIONS, depth=1)).help_word_at()
    return args if index is None else [*args[:index], *args[index + 1 :], "--help"]


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind the command once, so every bulk item is still reported.

    A second signal while that report is being written is ignored: it must not end in a
    traceback halfway through the results. Outside the main thread (tests), nothing is set.
    """

    def stop(number: int, _frame: FrameType | None) -> None:
        from aitasker_cli.core import interrupts

        for each in (signal.SIGINT, signal.SIGTERM):
            signal.signal(each, signal.SIG_IGN)
        interrupts.deliver(KeyboardInterrupt() if number == signal.SIGINT else Terminated())

    try:
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    except ValueError:
        pass  # not the main thread


def _report(exc: BaseException, debug: bool) -> int:
    """Tell the user what went wrong, in one place; returns the exit code."""
    from aitasker_cli.output import render

    if isinstance(exc, AitaskerError):
        from aitasker_cli.local.config import ApiUrlError

        if isinstance(exc, ApiUrlError):
            hints.without_url()
        if isinstance(exc, LocalIOError):
            streams.discard_stdout()  # what could not be written must not fail again at exit
        render.error(exc)
        return exc.exit_code
    if isinstance(exc, OutputClosed):
        streams.discard_stdout()
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


def _tolerate_unencodable_output() -> None:
    """On a non-UTF-8 terminal, show unencodable characters as escapes instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
