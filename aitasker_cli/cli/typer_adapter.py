"""The parts of Typer (and its own copy of Click) that are not public API, imported only here.

Each is imported as this module loads; a Typer without one fails here, with an error naming
the Typer version and the part, instead of a ModuleNotFoundError deep inside one command.
Why each is used (README, Private parts of libraries):

- `typer._click`: since 0.26 Typer carries its own Click, and only that copy's Context,
  Command and HelpFormatter are the types Typer's commands and help are made of.
- `typer._click.exceptions.UsageError`: a usage error (exit 2) that Typer reports as its own.
- `typer._click.utils.PacifyFlushWrapper`: Click's sign that stdout's reader left.
- `typer._click.globals.get_current_context`: the command line a usage error is about, where
  Typer 0.29 calls a parser with the value alone.
- `typer._click.types.IntRange` (Typer 0.28 only): the type that shows `[x>=1]` in help;
  0.29 dropped Click's types and shows the range of an option's `min` instead.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from typing import Any

import typer
import typer.models

from aitasker_cli.core.errors import AitaskerError

SUPPORTED_TYPER = ">=0.28,<0.30"
"""The Typer versions pyproject.toml allows, which CI tests at both ends."""
TYPER_VERSION = tuple(int(part) for part in typer.__version__.split(".")[:2] if part.isdigit())


class TyperMismatch(AitaskerError):
    """The installed Typer lacks a part aitasker relies on: an unsupported version."""


def missing(part: str) -> TyperMismatch:
    """The error for a Typer without `part`, naming the version installed and the one needed."""
    return TyperMismatch(
        f"Typer {typer.__version__} lacks a part of it that aitasker uses: {part}",
        hint=f"Install a supported Typer: pip install 'typer{SUPPORTED_TYPER}'",
    )


try:
    from typer import _click as click
    from typer._click.exceptions import UsageError as ClickUsageError
    from typer._click.globals import get_current_context
    from typer._click.utils import PacifyFlushWrapper
except ImportError as exc:
    raise missing(str(exc)) from None

IntRange: Any = None
"""Click's IntRange in Typer 0.28; None from 0.29 on, which has no Click types."""
if TYPER_VERSION < (0, 29):
    try:
        IntRange = importlib.import_module("typer._click.types").IntRange
    except (ImportError, AttributeError):
        raise missing("typer._click.types.IntRange") from None

__all__ = [
    "ClickUsageError",
    "PacifyFlushWrapper",
    "TyperMismatch",
    "click",
    "parameter_infos",
    "whole_number",
]


def whole_number(option: str, minimum: int) -> dict[str, Any]:
    """`typer.Option` settings for a whole number of at least `minimum`, errors in plain words.

    Help shows `[x>=MINIMUM]` under either Typer: 0.28 from Click's IntRange, 0.29 from `min`.
    """
    if IntRange is None:
        # Typer 0.29 calls a parser with the word alone, before its own checks of `min`.
        return {"parser": lambda value: _whole(option, minimum, value, None), "min": minimum}
    return {"click_type": _whole_number_range(option, minimum)}


def _whole(option: str, minimum: int, value: Any, ctx: Any) -> int:
    """`value` as a whole number of at least `minimum`, or the usage error saying why not."""
    context = ctx if ctx is not None else get_current_context(silent=True)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ClickUsageError(f"{option}: {value!r} is not a whole number.", context) from None
    if number < minimum:
        raise ClickUsageError(f"{option}: {number} is less than {minimum}.", context)
    return number


def _whole_number_range(option: str, minimum: int) -> Any:
    """Click's IntRange (so help shows the range), with `_whole`'s errors."""

    class WholeNumber(IntRange):  # type: ignore[misc]
        def convert(self, value: Any, param: Any, ctx: Any) -> Any:
            return super().convert(_whole(option, minimum, value, ctx), param, ctx)

    return WholeNumber(min=minimum)


_TYPERS_OWN = (None, "help", "install_completion", "show_completion")
"""Parameters Typer adds to commands itself, not in the function's signature."""


def parameter_infos(command: click.Command) -> dict[str, typer.models.ParameterInfo]:
    """The `typer.Option`/`typer.Argument` of each of `command`'s parameters, by name.

    Read from the signature of the function the command runs (Typer's wrapper of it keeps
    `__wrapped__`), where commands attach what Typer does not carry onto Click's parameters,
    such as where TAB finds their values.
    """
    callback: Callable[..., Any] | None = command.callback
    if callback is None:
        return {}
    signature = inspect.signature(callback, eval_str=True)
    infos: dict[str, typer.models.ParameterInfo] = {}
    for name, parameter in signature.parameters.items():
        found = [parameter.default]
        if typing.get_origin(parameter.annotation) is typing.Annotated:
            found.extend(parameter.annotation.__metadata__)
        for info in found:
            if isinstance(info, typer.models.ParameterInfo):
                infos[name] = info
    own = {param.name for param in command.params if param.name not in _TYPERS_OWN}
    if not own <= set(signature.parameters):
        raise missing(f"the function behind the command {command.name!r} (__wrapped__)")
    return infos


def bash_completer() -> Any:
    """Typer's bash completion class, which tests ask what Click itself would offer a TAB."""
    try:
        return importlib.import_module("typer._completion_classes").BashComplete
    except (ImportError, AttributeError):
        raise missing("typer._completion_classes.BashComplete") from None
