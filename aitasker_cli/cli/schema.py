"""`aitasker schema [NAME]`: the JSON Schema of what a command prints, or the list of them.

Each schema is a file of the package (aitasker_cli/schemas/NAME.json, written by
tools/regen.py from the models and result types, as docs/schemas/ holds them): printing one
reads that file, and loads neither pydantic nor the models.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from aitasker_cli.cli.options import Common, api_command, completes
from aitasker_cli.core.errors import LocalIOError, UsageError
from aitasker_cli.domain.formats import OutputFormat
from aitasker_cli.domain.schemas import NAMES, SCHEMAS
from aitasker_cli.domain.views import View

FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")
"""aitasker_cli/schemas/, where the package keeps the schemas."""
SCHEMA_LIST = View(
    noun="schema",
    plural="schemas",
    columns=("name", "description"),
    detail=("name", "title", "description"),
    keep=("name", "description"),
    wrap=("description",),
    named_by="name",
)
"""How `aitasker schema` lists them."""

NameArg = Annotated[
    str | None,
    typer.Argument(
        metavar="NAME",
        help=f"The schema to print: {', '.join(NAMES)} [default: list them].",
        show_default=False,
        autocompletion=completes("values:" + ",".join(NAMES)),
    ),
]


@api_command
def command(common: Common, name: NameArg = None) -> None:
    """Print the JSON Schema (draft 2020-12) of what a command prints, or list the schemas."""
    from aitasker_cli.output import render

    settings = common.settings()
    output = render.output_options(settings.output, common.fields, no_color=common.no_color)
    if name is None:
        rows = (dict(schema._asdict()) for schema in SCHEMAS)
        render.show_many(rows, SCHEMA_LIST, output)
        return
    schema = read(name)
    if output.format in (OutputFormat.json, OutputFormat.ndjson):
        render.show(schema, SCHEMA_LIST, output)  # ndjson: on one line; --fields: those keys
    else:
        render.response_body(schema)  # JSON whatever the format: a schema is JSON


def read(name: str) -> dict[str, Any]:
    """The schema called `name`, as the package holds it; UsageError for an unknown name."""
    import json

    if name not in NAMES:
        from aitasker_cli.core.suggest import close_matches

        close = close_matches(name, NAMES, limit=1)
        guess = f"Did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            f"there is no schema '{name}'", hint=f"{guess}Schemas: {', '.join(NAMES)}."
        )
    path = os.path.join(FOLDER, f"{name}.json")
    try:
        with open(path, encoding="utf-8") as file:
            found: dict[str, Any] = json.load(file)
    except (OSError, ValueError) as exc:
        raise LocalIOError(
            f"cannot read the schema file {path}: {exc}",
            hint="This installation of aitasker is damaged; reinstall it.",
        ) from exc
    return found
