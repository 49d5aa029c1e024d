"""Helpers for the `aitasker mcp` tests (no tests here): the installed `aitasker mcp` as a
subprocess, driven by the MCP SDK's own stdio client, behind a synchronous facade.

The SDK is the optional extra `aitasker[mcp]`: it is imported inside functions only, and a
test that needs it asks `sdk()` first, which skips (a failure under AITASKER_CI_STRICT) when
it is missing, so that collecting the tests never needs it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import SECRETS
from tests.processes import aitasker, installed_script

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal
    from mcp import ClientSession
    from mcp_types import CallToolResult, Tool

INSTALL = "pip install -e '.[test,mcp]'"
READ_TOOLS = ["list_agents", "show_agent", "list_workspaces", "list_tasks", "show_task", "history"]
CHANGE_TOOLS = ["pause_agents", "resume_agents", "undo"]
FINAL_TOOLS = ["approve_tasks", "reject_tasks", "cancel_agents"]


def sdk() -> None:
    """Skip the test, saying how to install it, when the MCP SDK is missing."""
    pytest.importorskip("mcp", reason=f"the MCP SDK (extra aitasker[mcp]) is missing: {INSTALL}")


class Server:
    """A running `aitasker mcp`, initialized, with calls made through the SDK's client."""

    def __init__(self, portal: BlockingPortal, session: ClientSession, log: Path) -> None:
        self._portal = portal
        self._session = session
        self.log = log
        self.instructions = ""

    def tools(self) -> list[Tool]:
        listed = self._portal.call(self._session.list_tools)
        no_secret(listed.model_dump_json())
        return list(listed.tools)

    def call(self, name: str, arguments: Mapping[str, Any] | None = None) -> CallToolResult:
        """The tool's result (the SDK checked structured content against the output schema);
        the token is in none of it."""
        from mcp_types import CallToolResult

        result = self._portal.call(self._session.call_tool, name, dict(arguments or {}))
        assert isinstance(result, CallToolResult)
        no_secret(result.model_dump_json())
        return result

    def data(self, name: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """The structured result of a call that must succeed."""
        result = self.call(name, arguments)
        assert not result.is_error, text_of(result)
        assert json.loads(text_of(result)) == result.structured_content
        return result.structured_content

    def error(self, name: str, arguments: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The error of a call that must fail as a tool error (exit code, message, hint)."""
        result = self.call(name, arguments)
        assert result.is_error, text_of(result)
        error: dict[str, Any] = json.loads(text_of(result))["error"]
        return error

    def stderr(self) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        no_secret(text)
        return text


@contextmanager
def mcp_server(*argv: str, env: dict[str, str], log: Path) -> Iterator[Server]:
    """`aitasker mcp ARGV` run by the SDK's stdio client, its stderr in `log`."""
    from anyio.from_thread import start_blocking_portal

    with start_blocking_portal() as portal:
        opened = portal.wrap_async_context_manager(_session(list(argv), env, log))
        session, instructions = opened.__enter__()
        server = Server(portal, session, log)
        server.instructions = instructions
        try:
            yield server
        finally:
            # Closed as after success: a test's failure passed into the SDK's task groups
            # would come back out wrapped in exception groups, its message buried.
            opened.__exit__(None, None, None)


@asynccontextmanager
async def _session(
    argv: list[str], env: dict[str, str], log: Path
) -> AsyncIterator[tuple[ClientSession, str]]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    parameters = StdioServerParameters(command=installed_script(), args=["mcp", *argv], env=env)
    with log.open("w", encoding="utf-8") as errlog:
        async with (
            stdio_client(parameters, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            initialized = await session.initialize()
            assert initialized.server_info.name == "aitasker"
            yield session, initialized.instructions or ""


def text_of(result: CallToolResult) -> str:
    """The text part of a result (one text block)."""
    from mcp_types import TextContent

    [block] = result.content
    assert isinstance(block, TextContent)
    return block.text


def no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def history(env: dict[str, str], *argv: str) -> list[dict[str, Any]]:
    """`aitasker history -o json` (with the flags ARGV) from the terminal."""
    done = aitasker(*argv, "history", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    listed: list[dict[str, Any]] = json.loads(done.stdout)
    return listed


def raw_server(*argv: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`aitasker mcp ARGV` with pipes, for tests that write the protocol's bytes themselves."""
    return subprocess.Popen(
        [installed_script(), "mcp", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def line(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def call_line(request_id: int, name: str, arguments: Mapping[str, Any]) -> bytes:
    params = {"name": name, "arguments": dict(arguments)}
    return line({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params})
