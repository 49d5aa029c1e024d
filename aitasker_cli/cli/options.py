"""The options every command that talks to the API shares, and how commands receive them."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from aitasker_cli.cli.typer_adapter import whole_number
from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.formats import OutputFormat
from aitasker_cli.domain.statuses import Status, names, status_help

if TYPE_CHECKING:
    from aitasker_cli.local.config import Settings


Completer = Callable[[typer.Context, str], list[tuple[str, str]]]


class Completion:
    """Where TAB finds an option's or argument's values, in tab_completion's terms."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source

    def complete(self, ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
        """The values for TAB (tab_completion answers it first, from the command table)."""
        from aitasker_cli.fast.tab_completion import values

        return values(self.source, incomplete, ctx.command_path.split()[1:])


def completes(source: str) -> Completer:
    """The `autocompletion=` of a parameter whose values TAB takes from `source`.

    TAB never reaches Typer (tab_completion answers it from the command table); the table is
    written from the `Completion` behind this callback (`completion_of`), so a command says
    once what it offers.
    """
    return Completion(source).complete


def choices(values: type[Enum]) -> str:
    """The completion source offering each of an enum's values."""
    return "values:" + ",".join(str(member.value) for member in values)


def completion_of(autocompletion: object) -> Completion | None:
    """The `Completion` an `autocompletion=` callback came from (`completes`), if any."""
    owner = getattr(autocompletion, "__self__", None)
    return owner if isinstance(owner, Completion) else None


ApiUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar="AITASKER_API_URL",
        metavar="URL",
        help="API base URL [default: https://api.aitasker.co].",
    ),
]
SandboxOpt = Annotated[
    bool,
    typer.Option(
        "--sandbox",
        envvar="AITASKER_SANDBOX",
        help="Use the embedded sandbox API instead of the network; no token needed.",
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        envvar="AITASKER_PROFILE",
        metavar="NAME",
        help="Stored login and settings to use [default: default].",
        autocompletion=completes("profiles"),
    ),
]
OutputOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--output",
        "-o",
        envvar="AITASKER_OUTPUT",
        metavar="FORMAT",
        show_default=False,
        help="Output format: table, json, ndjson, csv, tsv, id or markdown [default: table on a "
        "terminal, tsv otherwise].",
        autocompletion=completes(choices(OutputFormat)),
    ),
]
FieldsOpt = Annotated[
    str | None,
    typer.Option(
        "--fields",
        metavar="A,B,C",
        help="Fields to show, in order (a.b for nested); for json, the keys kept.",
        autocompletion=completes("fields"),
    ),
]
LONGEST_WAIT_SECONDS = 86_400.0
"""No timeout is longer than a day: a larger number is a typo, and some overflow sockets."""


def finite_seconds(value: float | None) -> float | None:
    """A timeout that is a real number of seconds (Typer's own range check lets NaN through)."""
    if value is not None and not (0 <= value <= LONGEST_WAIT_SECONDS):
        raise typer.BadParameter(f"{value:g} is not a number of seconds from 0 to 86400.")
    return value


TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        envvar="AITASKER_TIMEOUT",
        metavar="SECONDS",
        min=0.1,
        callback=finite_seconds,
        help="Each whole HTTP request, connect to last byte [default: 30]; with --retries N, "
        "at most N+1 tries plus back-off (at most 8 s each, or the API's Retry-After, at most "
        "60 s).",
    ),
]
RetriesOpt = Annotated[
    int | None,
    typer.Option(
        "--retries",
        envvar="AITASKER_RETRIES",
        metavar="N",
        min=0,
        max=10,
        help="Retries on connection errors, 429, 502, 503 and 504 [default: 3].",
    ),
]
DebugOpt = Annotated[
    bool,
    typer.Option(
        "--debug",
        envvar="AITASKER_DEBUG",
        help="Log HTTP exchanges (secrets redacted) and show tracebacks, on stderr.",
    ),
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR).")]


LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit",
        "-L",
        **whole_number("--limit", 1),
        metavar="N",
        help="At most N items [default: 50].",
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every item, following all pages.")]


VALUE_OPTIONS = ("--api-url", "--profile", "--output", "-o", "--fields", "--timeout", "--retries")
"""The common options that take a value (the word after them is not a command name)."""


@dataclass  # not frozen: a frozen dataclass costs start-up time on every TAB
class Common:
    """The values of the contract's common options, as given by flag or env (None if not)."""

    api_url: ApiUrlOpt = None
    sandbox: SandboxOpt = False
    profile: ProfileOpt = None
    output: OutputOpt = None
    fields: FieldsOpt = None
    timeout: TimeoutOpt = None
    retries: RetriesOpt = None
    debug: DebugOpt = False
    no_color: NoColorOpt = False

    def settings(self, *, creating_profile: bool = False) -> Settings:
        """The resolved settings; `creating_profile` lets `auth login` name a new profile."""
        from aitasker_cli.local.config import resolve_settings

        return resolve_settings(
            creating_profile=creating_profile,
            profile=self.profile,
            api_url=self.api_url,
            output=self.output.value if self.output else None,
            timeout=self.timeout,
            retries=self.retries,
            debug=self.debug,
            sandbox=self.sandbox,
        )


_CONTEXT_PARAMETER = inspect.Parameter(
    "context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
)
_COMMON_TYPES = get_type_hints(Common, include_extras=True)
_COMMON_PARAMETERS = [
    inspect.Parameter(
        f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=_COMMON_TYPES[f.name]
    )
    for f in fields(Common)
]
COMMON_NAMES = [parameter.name for parameter in _COMMON_PARAMETERS]
"""The parameter names of the common options, which `--help` lists as global options."""


def api_command(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the common options; it receives their values as `common: Common`.

    Typer reads a command's options from its signature, so the wrapper's signature is the
    command's own parameters followed by the common ones (and the context, which carries
    what was given before the command name: `aitasker --sandbox agents list`).
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "common"]

    @functools.wraps(command)
    def wrapper(context: typer.Context, **values: Any) -> None:
        resolved = {name: values.pop(name) for name in COMMON_NAMES}
        typed = {name: resolved[name] for name in COMMON_NAMES if _typed(context, name)}
        # A flag beats an env var wherever it was typed; one after the command name wins.
        before_command: dict[str, Any] = context.obj if isinstance(context.obj, dict) else {}
        context.obj = {**before_command, **typed}  # what subcommands of this one inherit
        command(common=Common(**{**resolved, **context.obj}), **values)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[_CONTEXT_PARAMETER, *own, *_COMMON_PARAMETERS]
    )
    return wrapper


def status_option(statuses: type[Status], plural: str) -> Any:
    """The `--status` option of a listing: its known values in the help and on TAB."""
    return typer.Option(
        "--status",
        metavar="STATUS",
        help=status_help(statuses, plural),
        autocompletion=completes("values:" + ",".join(names(statuses))),
    )


def seconds_option(name: str, help: str, *, minimum: float = 0) -> Any:
    """An option taking a finite number of seconds (`--wait-timeout`, `--interval`)."""
    return typer.Option(name, metavar="SECONDS", min=minimum, callback=finite_seconds, help=help)


def cached_ids(kind: str, statuses: tuple[str, ...] = ()) -> Completer:
    """A completion callback offering the cached IDs of `kind` (last seen in `statuses`)."""
    return completes(f"ids:{kind}:{','.join(statuses)}" if statuses else f"ids:{kind}")


def _typed(context: typer.Context, name: str) -> bool:
    """Whether the option was given on the command line (not by env var or default)."""
    source = context.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def page_limit(limit: int | None, all_pages: bool) -> int | None:
    """How many items to fetch: None for --all, else --limit (default one page)."""
    if all_pages and limit is not None:
        raise UsageError("--limit and --all cannot be used together")
    from aitasker_cli.domain.routes import PAGE_SIZE

    return None if all_pages else (limit or PAGE_SIZE)
