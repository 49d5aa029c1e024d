"""`aitasker undo`: put the agents an operation changed back to their status before it."""

from __future__ import annotations

from typing import Annotated

import typer

from aitasker_cli.cli.agents import DEFAULT_CONCURRENCY, ConcurrencyOpt, DryRunOpt
from aitasker_cli.cli.options import Common, api_command
from aitasker_cli.cli.session import connect

OperationArg = Annotated[
    str | None,
    typer.Argument(
        metavar="OPERATION_ID",
        help="The operation (see 'aitasker history'), or a unique start of its ID "
        "[default: the last one of this profile and API].",
        show_default=False,
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="FILE",
        help="Undo the per-item results an earlier run printed with -o ndjson (- for stdin), "
        "instead of a journal entry.",
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")]


@api_command
def command(
    common: Common,
    operation_id: OperationArg = None,
    from_file: FromOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
) -> None:
    """Put back the agents an operation changed, if nobody has changed them since."""
    from aitasker_cli.cli.changing import engine_for, read_results
    from aitasker_cli.ops.undoing import undo

    with connect(common) as session:
        results = None if from_file is None else read_results(from_file)
        undo(
            engine_for(session),
            operation_id,
            results,
            dry_run=dry_run,
            yes=yes,
            concurrency=concurrency,
        )
