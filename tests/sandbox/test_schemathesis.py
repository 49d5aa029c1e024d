"""Schemathesis against `aitasker sandbox serve`: every operation it serves (the hired-agent
ones and /health) holds to the API description (../shared/api/openapi.yaml) for any input,
valid or not, and any method."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aitasker_cli.sandbox.seed import seed_state
from tests.processes import clean_env, sandbox_server

SPEC = Path(__file__).resolve().parents[3] / "shared" / "api" / "openapi.yaml"
SERVED_PATHS = r"^(/api/v1/workspaces|/health$)"
"""What the sandbox serves: hired agents and workspaces, with their tasks, and /health."""
SEED = 20261128
EXAMPLES = 10
"""Per operation and phase: enough to find what the sandbox used to get wrong, in seconds."""
EXCLUDED_CHECKS = "ignored_auth"
"""The sandbox accepts any bearer token by design (it has no accounts), so Schemathesis's check
that a wrong token is refused can never pass. Every other check runs."""


def known_ids() -> str:
    """A Schemathesis config that draws most path IDs from the demo fleet, so that requests
    reach the operations' logic instead of stopping at 404.

    Cancelling is for good, so cancel gets agents of its own: the others stay pausable.
    Approve and reject each get a workspace with a task awaiting approval.
    """
    state = seed_state()
    agents: dict[str, list[str]] = {}
    for agent in state["agents"].values():
        agents.setdefault(agent["status"], []).append(agent["id"])
    waiting = [t for t in state["tasks"].values() if t["status"] == "awaiting_approval"]
    dictionaries = {
        "agents": agents["active"][:2] + agents["paused"][:2] + agents["cancelled"][:1],
        "cancellable": agents["active"][2:4],
        "approvable_workspace": [waiting[0]["workspace_id"]],
        "approvable_task": [waiting[0]["id"]],
        "rejectable_workspace": [waiting[1]["workspace_id"]],
        "rejectable_task": [waiting[1]["id"]],
        "workspaces": [waiting[2]["workspace_id"]],
        "tasks": [
            t["id"]
            for t in state["tasks"].values()
            if t["workspace_id"] == waiting[2]["workspace_id"]
        ],
    }

    def bind(**names: str) -> str:
        pairs = (
            f'"path.{p}" = {{ dictionary = "{d}", probability = 0.8 }}' for p, d in names.items()
        )
        return "{ " + ", ".join(pairs) + " }"

    sections = [
        f"parameters = {bind(agent_id='agents', workspace_id='workspaces', task_id='tasks')}"
    ]
    sections += [
        f"[dictionaries.{name}]\nvalues = {json.dumps(ids)}" for name, ids in dictionaries.items()
    ]
    for operation, names in (
        ("cancelHiredAgent", {"agent_id": "cancellable"}),
        (
            "approveWorkspaceTask",
            {"workspace_id": "approvable_workspace", "task_id": "approvable_task"},
        ),
        (
            "rejectWorkspaceTask",
            {"workspace_id": "rejectable_workspace", "task_id": "rejectable_task"},
        ),
    ):
        sections.append(
            f'[[operations]]\ninclude-operation-id = "{operation}"\nparameters = {bind(**names)}'
        )
    return "\n\n".join(sections) + "\n"


def test_sandbox_meets_the_api_description(tmp_path: Path) -> None:
    pytest.importorskip("schemathesis", reason="schemathesis is in the test extras")
    if not SPEC.exists():
        pytest.skip(f"the API description {SPEC} is not beside the project")
    config = tmp_path / "schemathesis.toml"
    config.write_text(known_ids(), encoding="utf-8")

    with sandbox_server("--rate-limit", "0") as url:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "--config-file",
                str(config),
                "run",
                str(SPEC),
                "--url",
                url,
                "--header",
                "Authorization: Bearer sandbox",
                "--include-path-regex",
                SERVED_PATHS,
                "--checks",
                "all",
                "--exclude-checks",
                EXCLUDED_CHECKS,
                "--seed",
                str(SEED),
                "--max-examples",
                str(EXAMPLES),
                "--workers",
                "1",
                "--no-shrink",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # Schemathesis and Hypothesis keep their files in the working folder
            env=clean_env(HOME=str(tmp_path), NO_COLOR="1"),
            timeout=300,
            check=False,
        )

    assert completed.returncode == 0, completed.stdout[-20_000:] + completed.stderr[-5_000:]
    selected = re.search(r"Selected: (\d+)/\d+\s+Tested: (\d+)", completed.stdout)
    assert selected and selected[1] == selected[2] != "0", completed.stdout[-5_000:]
