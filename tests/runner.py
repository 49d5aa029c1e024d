"""A small stand-in for the GitHub Actions runner, enough to run aitasker's composite action.

It runs the steps of action.yml as the runner does: each `run:` with
`bash --noprofile --norc -eo pipefail SCRIPT`, with the step's `env:` (whose `${{ inputs.* }}`
and `${{ github.action_path }}` it fills in), `GITHUB_ACTION_PATH`, and fresh `GITHUB_OUTPUT`,
`GITHUB_ENV`, `GITHUB_PATH` files whose lines it applies to the later steps, as the runner does;
a step that fails skips the rest. It knows only the expressions action.yml uses, and refuses a
`${{ }}` inside a script, which the runner would paste in before bash reads it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Step:
    """How one step ended: None for a step that did not run."""

    name: str
    code: int | None
    stdout: str = ""
    stderr: str = ""


@dataclass
class Run:
    """How the action ended: its steps, its outputs, and the runner's files."""

    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    path_added: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        """The first failing step's exit code (the runner fails the action with it), else 0."""
        return next((step.code for step in self.steps if step.code), 0)

    @property
    def stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(step.stderr for step in self.steps)


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def run_action(inputs: dict[str, str], env: dict[str, str], workspace: Path) -> Run:
    """The action's steps with `inputs`, in `env` (a runner's environment: GITHUB_* and
    RUNNER_TEMP are added), in the folder `workspace`."""
    metadata = action()
    given = {
        name: inputs.get(name, str(spec.get("default", "")))
        for name, spec in metadata["inputs"].items()
    }
    unknown = set(inputs) - set(given)
    assert not unknown, f"not inputs of the action: {unknown}"
    env = {
        **env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(workspace / "runner_temp"),
    }
    env.setdefault("GITHUB_STEP_SUMMARY", str(workspace / "step_summary.md"))
    (workspace / "runner_temp").mkdir(exist_ok=True)
    done = Run()
    step_outputs: dict[str, dict[str, str]] = {}
    for number, spec in enumerate(metadata["runs"]["steps"]):
        name = spec.get("name", f"step {number}")
        if done.code or not _condition(spec.get("if"), given):
            done.steps.append(Step(name, None))
            continue
        assert "uses" not in spec, f"{name}: the stand-in runner cannot run `uses:` steps"
        files = {
            variable: workspace / f"{variable.lower()}_{number}"
            for variable in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")
        }
        for path in files.values():
            path.write_text("")
        step_env = {key: _fill(str(value), given) for key, value in spec.get("env", {}).items()}
        script = workspace / f"step_{number}.sh"
        script.write_text(_script(spec["run"]), encoding="utf-8")
        assert spec.get("shell") == "bash", f"{name}: every run step says `shell: bash`"
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**env, **{k: str(v) for k, v in files.items()}, **step_env},
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        done.steps.append(Step(name, completed.returncode, completed.stdout, completed.stderr))
        step_outputs[spec.get("id", name)] = _pairs(files["GITHUB_OUTPUT"].read_text())
        env.update(_pairs(files["GITHUB_ENV"].read_text()))
        added = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line]
        done.path_added += added
        env["PATH"] = os.pathsep.join([*reversed(added), env.get("PATH", "")])
    done.outputs = {
        name: _outputs(spec["value"], step_outputs) for name, spec in metadata["outputs"].items()
    }
    return done


def _script(run: str) -> str:
    assert "${{" not in run, "an expression inside `run:` is pasted into the script: injection"
    return run


def _condition(condition: str | None, inputs: dict[str, str]) -> bool:
    """The one form of `if:` action.yml uses: `inputs.NAME != ''`."""
    if condition is None:
        return True
    match = re.fullmatch(r"inputs\.([\w-]+) != ''", condition.strip())
    assert match, f"the stand-in runner does not know the condition {condition!r}"
    return inputs[match[1]] != ""


def _fill(value: str, inputs: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match[1]
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if expression == "github.action_path":
            return str(ROOT)
        raise AssertionError(f"the stand-in runner does not know ${{{{ {expression} }}}}")

    return EXPRESSION.sub(one, value)


def _outputs(value: str, step_outputs: dict[str, dict[str, str]]) -> str:
    match = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", value.strip())
    assert match, f"the stand-in runner does not know the output {value!r}"
    return step_outputs.get(match[1], {}).get(match[2], "")


def _pairs(text: str) -> dict[str, str]:
    """`NAME=value` lines, and `NAME<<DELIMITER` blocks, as the runner reads its files."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            found[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
    return found
