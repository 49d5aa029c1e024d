"""`aitasker history`: the recent operations (pauses, resumes, undos, cancellations and
decisions), from the local journal, or one operation's items."""

from __future__ import annotations

from typing import Annotated

import typer

from aitasker_cli.cli.options import AllOpt, Common, LimitOpt, api_command, page_limit
from aitasker_cli.domain import views

OperationArg = Annotated[
    str | None,
    typer.Argument(
        metavar="OPERATION_ID",
        help="Show this operation's agents or tasks (a unique start of its ID works) "
        "[default: list the operations].",
        show_default=False,
    ),
]


@api_command
def command(
    common: Common,
    operation_id: OperationArg = None,
    limit: LimitOpt = None,
    all_pages: AllOpt = False,
) -> None:
    """List recent changes and decisions (this machine's journal), newest first."""
    from aitasker_cli.local import journal_reading
    from aitasker_cli.output import render

    settings = common.settings()
    output = render.output_options(settings.output, common.fields, no_color=common.no_color)
    wanted = page_limit(limit, all_pages)
    if operation_id is not None:
        # One operation's agents are all shown unless --limit says otherwise.
        operation = journal_reading.find(operation_id)
        items = (item.as_dict() for item in operation.items[:limit])
        render.show_many(items, views.OPERATION_ITEMS, output)
        return
    operations = journal_reading.operations()[:wanted]
    render.show_many((operation.summary() for operation in operations), views.OPERATIONS, output)
