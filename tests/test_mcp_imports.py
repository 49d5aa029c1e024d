"""The MCP SDK is an optional extra: only `aitasker mcp` loads it (and says how to install it
when it is missing), the server's package never touches the terminal, and the schemas it
offers are valid JSON Schemas whose references all resolve."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no types of its own; no stubs in [test]
import pytest

from aitasker_cli.mcp import schemas, tools
from aitasker_cli.mcp.context import Context
from tests.conftest import AGENT_ID, TOKEN, agent
from tests.loopback import serve
from tests.processes import clean_env
from tests.test_layers import PACKAGE, terminal_uses

PROBE = """
import json, sys
if sys.argv[1] == "--without-mcp":  # as in an install of aitasker without the extra
    sys.modules["mcp"] = None
from aitasker_cli.entry import main
try:
    main(sys.argv[2:])
except SystemExit as finished:
    code = finished.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
SDK = ("mcp.", "mcp_types", "aitasker_cli.mcp", "starlette", "uvicorn")
"""The SDK, what it brings, and the server's package (`mcp` itself is matched exactly)."""


def probe(*argv: str, env: dict[str, str], without_mcp: bool = False) -> tuple[int, set[str], str]:
    """The exit code, the modules loaded by the end, and stderr but its last line."""
    flag = "--without-mcp" if without_mcp else "--with-mcp"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, flag, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    *said, last = done.stderr.splitlines()
    found = json.loads(last)
    return found["code"], set(found["modules"]), "\n".join(said)


@pytest.mark.parametrize(
    "argv",
    [
        ["agents", "show", AGENT_ID, "-o", "json"],
        ["agents", "pause", AGENT_ID, "-o", "id"],
        ["history", "-o", "json"],
        ["--help"],
        ["mcp", "--help"],
    ],
)
def test_no_other_command_loads_the_mcp_sdk(argv: list[str]) -> None:
    with serve() as api:
        api.reply("GET", f"/api/v1/workspaces/agents/{AGENT_ID}", 200, agent(status="active"))
        api.reply("POST", f"/api/v1/workspaces/agents/{AGENT_ID}/pause", 200, agent())
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)
        code, loaded, said = probe(*argv, env=env)

    assert code in (0, None), said
    assert {name for name in loaded if name == "mcp" or name.startswith(SDK)} == set()
    if argv[0] != "mcp":
        assert "aitasker_cli.cli.mcp" not in loaded


def test_without_the_extra_mcp_is_exit_2_with_the_install_command() -> None:
    code, loaded, said = probe("mcp", "--sandbox", env=clean_env(), without_mcp=True)

    assert code == 2
    assert (
        "Error: the MCP server needs the MCP SDK (the extra aitasker[mcp]), which is not " in said
    )
    assert "pip install 'aitasker[mcp]'" in said
    assert "aitasker_cli.mcp.server" not in loaded


def test_the_server_package_never_touches_the_terminal() -> None:
    """stdout carries the protocol alone: no print, no input, no sys.stdout in aitasker_cli/mcp
    (stdin is read from descriptor 0 by the transport, wire.StdinLines)."""
    uses = [use for path in sorted((PACKAGE / "mcp").rglob("*.py")) for use in terminal_uses(path)]
    assert uses == []


def test_only_the_server_modules_import_the_sdk() -> None:
    """tools, schemas, reading and changing are plain Python over ops/ (tested without it)."""
    importers = {
        path.name
        for path in (PACKAGE / "mcp").glob("*.py")
        if any(
            line.lstrip().startswith(("import mcp", "from mcp ", "from mcp.", "import mcp_types"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    }
    assert importers == {"server.py", "wire.py"}


def every_schema() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for tool in tools.TOOLS:
        found.append((tool.name, "input", tool.input_schema))
        found.append((tool.name, "output", tool.output_schema()))
    return found


@pytest.mark.parametrize(("name", "kind", "schema"), every_schema())
def test_each_schema_is_an_object_schema_whose_references_resolve(
    name: str, kind: str, schema: dict[str, Any]
) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert "$id" not in json.dumps(schema)  # one document: nothing refers outside it
    for ref in references(schema):
        assert ref.startswith("#/$defs/"), (name, kind, ref)
        assert ref.removeprefix("#/$defs/") in schema["$defs"], (name, kind, ref)
    assert schemas.MISSING == []


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return own + [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def test_what_is_offered_follows_the_flags() -> None:
    def names(**allowed: bool) -> list[str]:
        context = Context(None, None, **allowed)  # type: ignore[arg-type]
        return [tool.name for tool in tools.offered(context)]

    read = names()
    assert read == [tool.name for tool in tools.TOOLS if tool.hints["readOnlyHint"]]
    assert names(allow_changes=True) == [*read, "pause_agents", "resume_agents", "undo"]
    assert names(allow_final=True) == [tool.name for tool in tools.TOOLS]
    assert all(tool.hints["destructiveHint"] for tool in tools.TOOLS if tool.level == 2)
