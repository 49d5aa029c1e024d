"""The sandbox's own route table: every route the CLI calls, and the API description's
hired-agent operations, no more."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx
import pytest

from aitasker_cli.domain.routes import ROUTES
from aitasker_cli.sandbox import app
from aitasker_cli.sandbox.routes import OPERATIONS
from aitasker_cli.sandbox.seed import seed_state

SPEC = Path(__file__).resolve().parents[3] / "shared" / "api" / "openapi.yaml"
SANDBOX_PACKAGE = Path(app.__file__).parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
STATE = seed_state()
IDS = {
    "agent_id": next(iter(STATE["agents"])),
    "workspace_id": next(iter(STATE["workspaces"])),
    "task_id": next(iter(STATE["tasks"])),
    "team_id": next(a["team_id"] for a in STATE["agents"].values() if a["team_id"]),
}
"""Real IDs from the demo fleet, so a 404 below means 'no such route', not 'no such thing'."""


def test_every_route_the_cli_calls_is_served_with_the_same_method() -> None:
    served = {(operation.method, operation.path) for operation in OPERATIONS.values()}

    unserved = {
        name: (route.method, route.path)
        for name, route in ROUTES.items()
        if (route.method, route.path) not in served
    }

    assert unserved == {}


def test_every_operation_has_a_handler() -> None:
    assert set(app.HANDLERS) == set(OPERATIONS) - {"health"}


def test_no_sandbox_module_borrows_the_clients_routes_or_errors() -> None:
    """The table is the sandbox's own, and only the CLI boundary (embedded.py) knows the CLI's
    errors: the rest raises the sandbox's."""
    borrowed = {}
    for module in sorted(SANDBOX_PACKAGE.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        forbidden = {"aitasker_cli.domain.routes"}
        if module.name != "embedded.py":
            forbidden.add("aitasker_cli.core.errors")
        if names & forbidden:
            borrowed[module.name] = sorted(names & forbidden)

    assert borrowed == {}


def spec_operations() -> dict[str, tuple[str, str]]:
    """Every operation of the API description: its operationId, method and path."""
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with schemathesis (test extras)")
    if not SPEC.exists():
        pytest.skip(f"the API description {SPEC} is not beside the project")
    paths: dict[str, dict[str, Any]] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["paths"]
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_the_table_is_the_api_descriptions_hired_agent_part() -> None:
    spec = spec_operations()
    hired_agents = {
        name: found
        for name, found in spec.items()
        if found[1] == "/health" or found[1].startswith("/api/v1/workspaces")
    }

    assert {name: (o.method, o.path) for name, o in OPERATIONS.items()} == hired_agents


def test_the_rest_of_the_api_description_is_not_served(sandbox: httpx.Client) -> None:
    """Marketplace tasks, teams, the assistant, admin, A2A, credits, categories and developer
    registration are 404, whatever the method."""
    others = {name: found for name, found in spec_operations().items() if name not in OPERATIONS}
    assert len(others) >= 10, others

    answers = {}
    for name, (method, path) in others.items():
        concrete = path.format_map({**IDS, "slug": "growth-team", "loop_id": IDS["task_id"]})
        response = sandbox.request(method, concrete, json={} if method != "GET" else None)
        answers[name] = (response.status_code, response.json())

    assert answers == {name: (404, {"detail": "Not Found"}) for name in others}
