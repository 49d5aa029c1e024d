"""`aitasker sandbox`: serve the embedded sandbox API over HTTP, or reset its demo data."""

from __future__ import annotations

import errno
import signal
from collections.abc import Callable
from typing import Annotated, Any

import typer

from aitasker_cli.cli.options import finite_seconds
from aitasker_cli.core.errors import UsageError

AgentsOpt = Annotated[
    int | None,
    typer.Option(
        "--agents",
        min=1,
        max=1_000_000,
        metavar="N",
        help="How many demo agents to seed [default: 24].",
    ),
]


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on; 0 picks a free one.")
    ] = 8765,
    agents: AgentsOpt = None,
    max_page_size: Annotated[
        int,
        typer.Option(
            "--max-page-size",
            min=1,
            metavar="N",
            help="Largest page the server returns, whatever `limit` asks.",
        ),
    ] = 100,
    rate_limit: Annotated[
        int,
        typer.Option(
            "--rate-limit",
            min=0,
            metavar="N",
            help="Requests a minute per client before 429; 0 for no limit.",
        ),
    ] = 300,
    tick: Annotated[
        float | None,
        typer.Option(
            "--tick",
            envvar="AITASKER_SANDBOX_TICK",
            metavar="SECONDS",
            callback=finite_seconds,
            help="Move tasks every SECONDS: queued and approved ones start running, running "
            "ones complete or fail, and now and then a new one awaits approval; agents never "
            "move. 0 or left out: nothing moves.",
        ),
    ] = None,
) -> None:
    """Serve the sandbox API over HTTP for your own tools and CI jobs; Ctrl-C stops it.

    Prints the URL on stdout. Its state lives in memory and starts from the seed every time.
    It accepts any token, so on an address other than loopback anyone who can reach it can
    use it (a warning says so); for `--host 0.0.0.0` or `::` the URL printed is loopback's.

    With `--tick`, the demo fleet's tasks move on their own, the same moves for the same
    ticks every time, so `tasks wait` and `--watch` have something to follow.
    """
    from aitasker_cli.core.startup import start_up_over
    from aitasker_cli.output import render
    from aitasker_cli.sandbox.app import MAX_BODY_BYTES, SandboxApp
    from aitasker_cli.sandbox.lifecycle import Lifecycle
    from aitasker_cli.sandbox.seed import DEFAULT_AGENTS, seed_state
    from aitasker_cli.sandbox.server import SandboxServer
    from aitasker_cli.sandbox.store import MemoryStore

    count = agents or DEFAULT_AGENTS
    store = MemoryStore(seed_state(count))
    lifecycle = Lifecycle(tick) if tick else None
    if lifecycle is not None:
        lifecycle.catch_up(store)  # starts its clock: the first tick is one interval away
    sandbox = SandboxApp(
        store, max_page_size=max_page_size, rate_limit=rate_limit, lifecycle=lifecycle
    )
    try:
        server = SandboxServer((host, port), sandbox, max_body=MAX_BODY_BYTES)
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="Pick another --port, or --port 0 for a free one." if taken else None,
        ) from None
    # Both stop it cleanly; SIGINT is set too because a shell starts `&` jobs with it ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    render.line(server.url)
    if not server.on_loopback:
        where = (
            f"every interface ({server.host})" if server.host in ("0.0.0.0", "::") else server.host
        )
        render.warning(
            f"listening on {where}, not only this machine: the sandbox accepts any token, "
            "so anyone who can reach it can use it."
        )
    moving = f"; tasks move every {tick:g} s" if tick else ""
    render.message(f"Sandbox API with {count} agents on {server.url}{moving}; Ctrl-C stops it.")
    start_up_over()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        render.message("Sandbox stopped.")
    finally:
        server.server_close()


def reset(agents: AgentsOpt = None) -> None:
    """Put the --sandbox state back to the demo fleet."""
    from aitasker_cli.core.paths import sandbox_dir
    from aitasker_cli.output import render
    from aitasker_cli.sandbox.database import FileStore
    from aitasker_cli.sandbox.embedded import cli_errors
    from aitasker_cli.sandbox.seed import DEFAULT_AGENTS

    store = FileStore(sandbox_dir())
    with cli_errors():
        agent_count, task_count = store.reset(agents or DEFAULT_AGENTS)
    store.close()
    render.message(f"Sandbox reset: {agent_count} agents, {task_count} tasks ({store.path}).")


def _stop(_signal: int, _frame: Any) -> None:
    raise KeyboardInterrupt


COMMANDS: dict[str, Callable[..., None]] = {"serve": serve, "reset": reset}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
