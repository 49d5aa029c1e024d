"""A second MCP client, independent of the Python SDK: the MCP Inspector's command-line client
(npm `@modelcontextprotocol/inspector-cli`, pinned in tools/mcp-inspector/package-lock.json)
lists the tools of `aitasker mcp` and calls one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.sandbox.seed import seed_state
from tests.processes import clean_env, installed_script
from tests.test_mcp_support import READ_TOOLS, sdk

FOLDER = Path(__file__).resolve().parent.parent / "tools" / "mcp-inspector"
CLIENT = FOLDER / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build" / "index.js"
INSTALL = "npm ci --prefix tools/mcp-inspector"


def inspector(options: list[str], server: list[str], env: dict[str, str]) -> Any:
    """`inspector-cli AITASKER OPTIONS -- SERVER`: what it printed, as JSON."""
    node = shutil.which("node")
    if node is None or not CLIENT.exists():
        pytest.skip(f"the MCP Inspector's CLI is not installed: {INSTALL}")
    sdk()
    done = subprocess.run(
        [node, str(CLIENT), installed_script(), *options, "--", *server],
        capture_output=True,
        text=True,
        env=env,
        # It reads its own package.json as `../package.json` if that exists from where it runs.
        cwd=CLIENT.parent,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def test_the_inspector_lists_the_tools_and_calls_one() -> None:
    env = clean_env()
    agent = next(iter(seed_state()["agents"].values()))
    server = ["mcp", "--sandbox"]
    listed = inspector(["--method", "tools/list"], server, env)
    call = ["--method", "tools/call", "--tool-name", "show_agent", "--tool-arg"]
    called = inspector([*call, f"agent={agent['id']}"], server, env)

    assert [tool["name"] for tool in listed["tools"]] == READ_TOOLS
    assert all(tool["annotations"]["readOnlyHint"] for tool in listed["tools"])
    assert called.get("isError") is not True
    assert called["structuredContent"]["id"] == agent["id"]
    assert json.loads(called["content"][0]["text"]) == called["structuredContent"]
