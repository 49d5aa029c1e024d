"""`aitasker completion SHELL`: print the completion script for bash, zsh, fish or PowerShell."""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import os
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer
import typer.core

from aitasker_cli.cli.options import choices, completes, completion_of
from aitasker_cli.cli.typer_adapter import click, parameter_infos
from aitasker_cli.core.startup import COMPLETE_VAR

if TYPE_CHECKING:
    from aitasker_cli.fast.help_text import HelpTable, Page, Section
    from aitasker_cli.fast.tab_completion import Argument, Command, Option, Table


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


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
    shell: Annotated[
        Shell,
        typer.Argument(
            metavar="SHELL",
            help="bash, zsh, fish or powershell.",
            autocompletion=completes(choices(Shell)),
        ),
    ],
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


def table() -> Table:
    """What TAB needs to know of every command, read from the commands themselves.

    tab_completion answers TAB from this (as JSON) without importing Typer or Click.
    """
    from aitasker_cli.cli.main import GROUPS, HELP_COMMAND, HELP_SUMMARY, build_app, command_paths
    from aitasker_cli.domain import views

    commands: dict[str, Command] = {}
    for words in command_paths():
        root = typer.main.get_command(build_app(list(words)))
        context = click.Context(root, info_name="aitasker", **root.context_settings)
        command: click.Command = root
        for word in words:
            assert isinstance(command, typer.core.TyperGroup)
            command = command.commands[word]
            context = click.Context(command, context, word, **command.context_settings)
        commands[" ".join(words)] = _described(command, context)
    commands[""]["commands"][HELP_COMMAND] = HELP_SUMMARY
    for words in [(), *((group,) for group in GROUPS)]:
        listed = commands[" ".join(words)]["commands"]
        subcommands = {name: text for name, text in listed.items() if name != HELP_COMMAND}
        path = " ".join((HELP_COMMAND, *words))
        commands[path] = {"commands": subcommands, "options": [], "arguments": []}
    fields = {
        view.plural: list(dict.fromkeys((*view.columns, *view.detail)))
        for view in (views.AGENTS, views.WORKSPACES, views.TASKS)
    }
    return {"commands": commands, "fields": fields}


def table_text() -> str:
    """The table as aitasker_cli/fast/command_table.json holds it."""
    return json.dumps(table(), indent=1, ensure_ascii=False) + "\n"


def help_table() -> HelpTable:
    """What `--help` shows of every command, bar the layout, read from the commands themselves.

    help_text answers `--help` from this (as JSON) without importing Typer or Click.
    """
    from aitasker_cli.cli.main import HELP_COMMAND, HELP_SUMMARY, build_app, command_paths

    pages: dict[str, Page] = {}
    envvars: list[str] = []
    for words in command_paths():
        root = typer.main.get_command(build_app(list(words)))
        context = click.Context(root, info_name="aitasker", **root.context_settings)
        if not words:
            for param in root.get_params(context):
                names = [param.envvar] if isinstance(param.envvar, str) else param.envvar or []
                envvars.extend(names)
        command: click.Command = root
        for word in words:
            assert isinstance(command, typer.core.TyperGroup)
            command = command.commands[word]
            context = click.Context(command, context, word, **command.context_settings)
        pages[" ".join(words)] = _page(command, context, words, (HELP_COMMAND, HELP_SUMMARY))
    return {"pages": pages, "envvars": sorted(set(envvars))}


def help_table_text() -> str:
    """The table as aitasker_cli/fast/help_table.json holds it."""
    return json.dumps(help_table(), indent=1, ensure_ascii=False) + "\n"


def _page(
    command: click.Command, context: click.Context, words: tuple[str, ...], extra: tuple[str, str]
) -> Page:
    """One command's help page, as HelpCommand, HelpGroup and RootGroup write it."""
    from aitasker_cli.cli.main import HelpCommand, HelpGroup, RootGroup, parameter_sections

    assert isinstance(command, (HelpCommand, HelpGroup)), words
    assert not command.deprecated, words
    sections: list[Section] = []
    if isinstance(command, HelpGroup):
        listed = [
            (name, command.commands[name])
            for name in command.list_commands(context)
            if not command.commands[name].hidden
        ]
        rows = [(name, _help_to_shorten(found)) for name, found in listed]
        names = [name for name, _ in listed]
        if isinstance(command, RootGroup):
            names.append(extra[0])
        if listed:
            reserve = max(len(name) for name in names)
            after = [extra] if isinstance(command, RootGroup) else []
            sections.append({"title": "Commands", "rows": rows, "reserve": reserve, "after": after})
    for title, records in parameter_sections(command, context):
        sections.append({"title": title, "rows": records, "reserve": None, "after": []})
    help_text = inspect.cleandoc(command.help).partition("\f")[0] if command.help else ""
    return {
        "usage": (context.command_path, " ".join(command.collect_usage_pieces(context))),
        "help": help_text,
        "sections": sections,
        "examples": command.epilog.splitlines() if command.epilog else [],
        "help_options": sorted(command.get_help_option_names(context)),
        "bare": isinstance(command, HelpGroup) and command.no_args_is_help,
    }


def _help_to_shorten(command: click.Command) -> str:
    """What Click shortens to a command's line in a list (help_text.short_help does it now)."""
    assert not command.short_help and not command.deprecated, command.name
    return command.help or ""


def _described(command: click.Command, context: click.Context) -> Command:
    subcommands: dict[str, str] = {}
    if isinstance(command, typer.core.TyperGroup):
        for name in command.list_commands(context):
            found = command.commands[name]
            if not found.hidden:
                subcommands[name] = found.get_short_help_str(limit=200)
    options: list[Option] = []
    arguments: list[Argument] = []
    infos = parameter_infos(command)
    for param in command.get_params(context):
        info = infos.get(param.name or "")
        completion = completion_of(info.autocompletion if info else None)
        source = completion.source if completion else ""
        if isinstance(param, typer.core.TyperArgument):
            arguments.append({"nargs": param.nargs, "value": source})
        elif isinstance(param, typer.core.TyperOption) and not param.hidden:
            flag = param.is_flag or param.count
            options.append(
                {
                    # Click keeps the names of --help in a set: sorted, the table stays the same.
                    "names": _names(param),
                    "help": param.help or "",
                    "value": None if flag else source,
                    "multiple": param.multiple,
                }
            )
    return {"commands": subcommands, "options": options, "arguments": arguments}


def _names(option: typer.core.TyperOption) -> list[str]:
    names = [*option.opts, *option.secondary_opts]
    return sorted(names, key=len) if option.name == "help" else names
