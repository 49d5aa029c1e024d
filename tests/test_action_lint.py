"""The GitHub Action and the README's workflows pass actionlint (rhysd/actionlint built to
WebAssembly, in tools/node_modules from `npm ci --prefix tools`); its script passes shellcheck."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.runner import ROOT, action

SCRIPT = ROOT / "tools" / "action" / "run.sh"
LINTER = ROOT / "tools" / "node_modules" / "@tktco" / "node-actionlint"


def test_the_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (the Debian package 'shellcheck' provides it)")
    steps = [step["run"] for step in action()["runs"]["steps"] if "run" in step]

    checked = subprocess.run([shellcheck, str(SCRIPT)], capture_output=True, text=True, check=False)
    inline = [
        subprocess.run(
            [shellcheck, "--shell=bash", "-"],
            input=run,
            capture_output=True,
            text=True,
            check=False,
        )
        for run in steps
    ]

    assert checked.returncode == 0, checked.stdout
    assert all(result.returncode == 0 for result in inline), [r.stdout for r in inline]


LINT = """
const { runLint } = require(process.argv[2]);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  process.stdout.write(JSON.stringify(await runLint(input, "workflow.yml")));
  process.exit(0);  // the Go runtime inside would keep node waiting
});
"""
"""Lint stdin as a workflow file; print the findings as JSON. (Run from a file: under
`node -e` the WebAssembly's file system calls never return.)"""


def actionlint(workflow: str, tmp_path: Path) -> list[dict[str, Any]]:
    """actionlint's findings on a workflow (rhysd/actionlint, built to WebAssembly)."""
    node = shutil.which("node")
    if node is None or not LINTER.exists():
        pytest.skip("actionlint is not installed: run 'npm ci --prefix tools' (needs node)")
    script = tmp_path / "lint.js"
    script.write_text(LINT, encoding="utf-8")
    ran = subprocess.run(
        [node, str(script), str(LINTER)],
        input=workflow,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    findings: list[dict[str, Any]] = json.loads(ran.stdout)
    return findings


def action_as_workflow(metadata: dict[str, Any]) -> str:
    """The composite action as a reusable workflow: its inputs as the workflow's, its steps as
    one job's, its outputs as the job's. actionlint checks workflows; this one checks the
    action's expressions, step IDs and outputs."""
    inputs = {
        name: {"type": "string", "required": bool(spec.get("required"))}
        | ({"default": spec["default"]} if "default" in spec else {})
        for name, spec in metadata["inputs"].items()
    }
    outputs = {name: spec["value"] for name, spec in metadata["outputs"].items()}
    workflow = {
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": outputs,
                "steps": metadata["runs"]["steps"],
            }
        },
    }
    return str(yaml.safe_dump(workflow, sort_keys=False))


def test_the_action_passes_actionlint(tmp_path: Path) -> None:
    metadata = action()
    broken = action()
    broken["outputs"]["exit-code"]["value"] = "${{ steps.rnu.outputs.exit-code }}"

    assert actionlint(action_as_workflow(metadata), tmp_path) == []
    assert [f["message"] for f in actionlint(action_as_workflow(broken), tmp_path)] == [
        'property "rnu" is not defined in object type {run: {conclusion: string; outcome: string; '
        "outputs: {string => string}}}"
    ]


def readme_workflows() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [block for block in blocks if "jobs:" in block]


def test_the_readmes_workflows_pass_actionlint_and_use_the_actions_inputs(tmp_path: Path) -> None:
    workflows = readme_workflows()
    inputs = action()["inputs"]
    required = {name for name, spec in inputs.items() if spec.get("required")}

    assert workflows, "the README shows no workflow using the action"
    for workflow in workflows:
        assert actionlint(workflow, tmp_path) == []
        steps = [
            step
            for job in yaml.safe_load(workflow)["jobs"].values()
            for step in job["steps"]
            if re.search(r"(^\./$|/aitasker@)", step.get("uses", ""))
        ]
        assert steps
        assert all(required <= set(step["with"]) <= set(inputs) for step in steps)
