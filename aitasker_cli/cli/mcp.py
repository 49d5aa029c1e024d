"""`aitasker mcp`: serve the Model Context Protocol on stdio, so an AI assistant can use the
same engine, journal and undo as the terminal; read-only unless the person allows more.

Needs the extra `aitasker[mcp]` (the MCP SDK). Without it, exit 2 with the install command;
nothing else in aitasker imports the SDK.
"""

from __future__ import annotations

from typing import Annotated

import typer

from aitasker_cli.cli.options import Common, api_command
from aitasker_cli.core.errors import ExitCode, Terminated, UsageError

INSTALL = "pip install 'aitasker[mcp]'"
PIPX = "pipx install --force 'aitasker[mcp]'"

AllowChangesOpt = Annotated[
    bool,
    typer.Option(
        "--allow-changes",
        help="Also offer pause_agents, resume_agents and undo (journaled; undo reverses them).",
    ),
]
AllowFinalOpt = Annotated[
    bool,
    typer.Option(
        "--allow-final",
        help="Also offer approve_tasks, reject_tasks and cancel_agents, which nothing can undo "
        "(implies --allow-changes).",
    ),
]


@api_command
def command(
    common: Common, allow_changes: AllowChangesOpt = False, allow_final: AllowFinalOpt = False
) -> None:
    """Serve MCP on stdio for AI assistants (read-only unless allowed); needs aitasker[mcp]."""
    from aitasker_cli.cli.session import connect

    _check_installed()
    from aitasker_cli.mcp.context import Context
    from aitasker_cli.mcp.server import serve

    with connect(common) as session:
        context = Context(
            session.client,
            session.settings,
            allow_changes=allow_changes or allow_final,
            allow_final=allow_final,
        )
        code = serve(context)
    if code == ExitCode.TERMINATED:
        raise Terminated
    if code == ExitCode.INTERRUPTED:
        raise KeyboardInterrupt


def _check_installed() -> None:
    """Exit 2 with the install command if the MCP SDK cannot be imported."""
    try:
        import mcp.server.lowlevel  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"the MCP server needs the MCP SDK (the extra aitasker[mcp]), which is not "
            f"installed ({exc})",
            hint=f"Install it with: {INSTALL} (with pipx: {PIPX}).",
        ) from None
