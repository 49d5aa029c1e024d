"""A warm `aitasker mcp` server's show_agent call against one `aitasker agents show` process.

    python benchmarks/mcp_call.py [--rounds 40] [--json FILE] [--check]

Both ask `aitasker sandbox serve --rate-limit 0` (loopback http) for the same agent by its
full ID, with a token in the environment. In each round the two run one after the other, so
the machine's noise falls on both alike: one `aitasker agents show ID -o json` process (start
to exit, its JSON checked), then one `tools/call show_agent` through the MCP SDK's stdio client
to a server started once and warmed by one call (request sent to result parsed and checked
against the tool's output schema, as the SDK does). The table gives each one's median, min
and max, and the ratio of the medians (target: at most 0.1x; `--check` exits 1 above it).
Needs `pip install -e '.[test,mcp]'`.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

TOKEN = "benchmark-token"
TARGET = 0.1
AITASKER = str(Path(sys.executable).with_name("aitasker"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {TARGET}x")
    args = parser.parse_args()
    # As in run.py: an installed wheel is byte-compiled; an editable install may not be.
    import aitasker_cli

    compileall.compile_dir(Path(aitasker_cli.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AIT"))}
        env.update(
            {
                f"AITASKER_{name}_DIR": str(Path(scratch, name.lower()))
                for name in ("CONFIG", "CACHE", "STATE", "SANDBOX")
            }
        )
        with _sandbox(env) as url:
            env.update(AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN)
            agent_id = _first_agent(url)
            process, mcp = _measure(env, agent_id, args.rounds)
    _print(process, mcp, args.rounds)
    if args.json:
        args.json.write_text(json.dumps({"process": process, "mcp": mcp}))
    if args.check and statistics.median(mcp) > TARGET * statistics.median(process):
        sys.exit(f"the MCP call is slower than {TARGET}x the process")


def _measure(env: dict[str, str], agent_id: str, rounds: int) -> tuple[list[float], list[float]]:
    from anyio.from_thread import start_blocking_portal

    process: list[float] = []
    mcp: list[float] = []
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_session(env)) as session,
    ):
        _check(portal.call(session.call_tool, "show_agent", {"agent": agent_id}), agent_id)
        for _ in range(rounds):
            started = time.perf_counter()
            done = subprocess.run(
                [AITASKER, "agents", "show", agent_id, "-o", "json"],
                env=env,
                capture_output=True,
                check=True,
            )
            process.append(time.perf_counter() - started)
            if json.loads(done.stdout)["id"] != agent_id:
                sys.exit("agents show printed another agent")
            started = time.perf_counter()
            result = portal.call(session.call_tool, "show_agent", {"agent": agent_id})
            mcp.append(time.perf_counter() - started)
            _check(result, agent_id)
    return process, mcp


@asynccontextmanager
async def _session(env: dict[str, str]) -> AsyncIterator[Any]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    parameters = StdioServerParameters(command=AITASKER, args=["mcp"], env=env)
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(parameters, errlog=quiet) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await session.list_tools()  # the client checks each result against its schema
            yield session


def _check(result: Any, agent_id: str) -> None:
    if result.is_error or result.structured_content["id"] != agent_id:
        sys.exit(f"show_agent failed: {result.content}")


@contextmanager
def _sandbox(env: dict[str, str]) -> Iterator[str]:
    server = subprocess.Popen(
        [AITASKER, "sandbox", "serve", "--port", "0", "--rate-limit", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert server.stdout is not None
    try:
        yield server.stdout.readline().strip()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def _first_agent(url: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/v1/workspaces/agents?limit=1", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)[0]["id"])


def _print(process: list[float], mcp: list[float], rounds: int) -> None:
    def row(name: str, samples: list[float]) -> str:
        median, low, high = (1000 * f(samples) for f in (statistics.median, min, max))
        return f"| {name} | {median:.1f} | {low:.1f} | {high:.1f} |"

    ratio = statistics.median(mcp) / statistics.median(process)
    print(
        f"{rounds} rounds; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    print("| case | median ms | min ms | max ms |")
    print("| --- | ---: | ---: | ---: |")
    print(row("`aitasker agents show ID -o json` (one process)", process))
    print(row("`show_agent` on a warm `aitasker mcp`", mcp))
    print(f"ratio of medians: {ratio:.3f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
