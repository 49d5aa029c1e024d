"""`aitasker history`: the recent pause, resume and undo operations, from the local journal."""

from __future__ import annotations

from aitasker_cli.cli.options import AllOpt, Common, LimitOpt, api_command, page_limit
from aitasker_cli.domain import views


@api_command
def command(common: Common, limit: LimitOpt = None, all_pages: AllOpt = False) -> None:
    """List recent pause, resume and undo operations (this machine's journal), newest first."""
    from aitasker_cli.local import journal_reading
    from aitasker_cli.output import render

    settings = common.settings()
    output = render.output_options(settings.output, common.fields, no_color=common.no_color)
    wanted = page_limit(limit, all_pages)
    operations = journal_reading.operations()[:wanted]
    render.show_many((operation.summary() for operation in operations), views.OPERATIONS, output)
