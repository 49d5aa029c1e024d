"""`aitasker tasks approve` and `tasks reject`: decisions on the tasks agents propose, one
command per row of the actions table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from aitasker_cli.cli.options import Common, api_command, cached_ids
from aitasker_cli.cli.session import connect
from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.actions import Action, commands_of

REASON_FILE = 1024 * 1024
"""The most of a --reason-file read: feedback, not a document."""

TasksArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="TASK",
        help="Tasks awaiting approval: IDs, unique starts of IDs (4+ characters, among "
        "awaiting tasks), or WORKSPACE/TASK.",
        show_default=False,
        autocompletion=cached_ids("tasks", ("awaiting_approval",)),
    ),
]
StdinOpt = Annotated[
    bool,
    typer.Option(
        "--stdin",
        help="Also read tasks from stdin: what `tasks inbox` prints (ndjson, json, tsv, csv, "
        "id), or WORKSPACE_ID/TASK_ID lines; a fingerprint read there must still match.",
    ),
]
SelectAllOpt = Annotated[
    bool,
    typer.Option(
        "--all", help="Every task awaiting approval, in every workspace; asks first on a terminal."
    ),
]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        metavar="FIELD=VALUE",
        help="With --all, only tasks whose FIELD (a.b for nested) is VALUE; repeat to narrow.",
        show_default=False,
    ),
]
IfMatchOpt = Annotated[
    str | None,
    typer.Option(
        "--if-match",
        metavar="FINGERPRINT",
        help="Decide only if the task still has this fingerprint (from `tasks show`); one task.",
        show_default=False,
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option("--reason", metavar="TEXT", help="Why: sent with the decision, and journaled."),
]
ReasonFileOpt = Annotated[
    str | None,
    typer.Option("--reason-file", metavar="FILE", help="Read the reason from FILE (- for stdin)."),
]
DryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Read each task and say what would be decided; send nothing."),
]
YesOpt = Annotated[
    bool,
    typer.Option(
        "--yes", "-y", help="Do not ask first (a terminal asks; elsewhere --yes is needed)."
    ),
]
ConcurrencyOpt = Annotated[
    int,
    typer.Option("--concurrency", "-j", min=1, max=64, metavar="N", help="Tasks decided at once."),
]


def _decision_command(action: Action) -> Callable[..., None]:
    def command(
        common: Common,
        tasks: TasksArg = None,
        reason: ReasonOpt = None,
        reason_file: ReasonFileOpt = None,
        stdin: StdinOpt = False,
        every: SelectAllOpt = False,
        where: WhereOpt = None,
        if_match: IfMatchOpt = None,
        dry_run: DryRunOpt = False,
        yes: YesOpt = False,
        concurrency: ConcurrencyOpt = 2,
    ) -> None:
        from aitasker_cli.cli.changing import engine_for, stdin_lines
        from aitasker_cli.domain import views
        from aitasker_cli.ops.deciding import Decision, decide_tasks

        given = _reason(action, reason, reason_file, stdin)
        decision = Decision(tasks or [], stdin, every, where or [], if_match, dry_run, yes, given)
        with connect(common) as session:
            decision.check(action.name)
            if stdin:
                decision = decision._replace(lines=stdin_lines("tasks"))
            engine = engine_for(session, views.TASKS)
            decide_tasks(engine, action, decision, concurrency=concurrency)

    command.__doc__ = action.summary
    return api_command(command)


def _reason(action: Action, text: str | None, path: str | None, stdin: bool) -> str | None:
    """The reason given, from --reason or --reason-file; a rejection needs one (exit 2)."""
    if text is not None and path is not None:
        raise UsageError("--reason and --reason-file do not mix", hint="Give one of them.")
    if path is not None:
        text = _read_reason(path, stdin)
    from aitasker_cli.core.patterns import visible

    if action.name == "reject" and not visible(text or ""):  # only blanks, controls, zero-widths
        raise UsageError(
            "a rejection needs a reason: the agent reads it as feedback",
            hint='Pass --reason "…" or --reason-file FILE.',
        )
    return text


def _read_reason(path: str, stdin: bool) -> str:
    from aitasker_cli.cli.changing import read_bounded

    if path == "-" and stdin:
        raise UsageError("--reason-file - and --stdin both read stdin", hint="Use a file.")
    return read_bounded(path, REASON_FILE, "a reason").rstrip("\n")


COMMANDS: dict[str, Callable[..., None]] = {
    name: _decision_command(action) for name, action in commands_of("tasks").items()
}
"""The decision subcommands of `aitasker tasks`, by name (cli/tasks.py adds them)."""
