"""The composite GitHub Action (action.yml and tools/action/run.sh), step by step under a
stand-in runner (tests/runner.py), against `aitasker sandbox serve`.

pipx is not used here (it would fetch packages): the aitasker installed for the tests is on
PATH, so the install step leaves it; a stand-in pipx checks the install step's command line.
tests/test_action_lint.py lints them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aitasker_cli import __version__
from aitasker_cli.sandbox.seed import seed_state
from tests.conftest import TOKEN
from tests.processes import aitasker, clean_env, sandbox_server
from tests.runner import ROOT, action, run_action

SCRIPT = ROOT / "tools" / "action" / "run.sh"
SEED = seed_state()
PRO = sorted(
    a["id"] for a in SEED["agents"].values() if a["status"] == "active" and a["tier"] == "pro"
)
CANCELLED = next(a["id"] for a in SEED["agents"].values() if a["status"] == "cancelled")
ACTIVE = next(
    a["id"] for a in SEED["agents"].values() if a["status"] == "active" and a["tier"] != "pro"
)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with sandbox_server("--rate-limit", "0") as url:
        yield url


@pytest.fixture
def runner_env(served: str, tmp_path: Path) -> dict[str, str]:
    """A runner's environment: aitasker (this test run's) on PATH, private folders."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return clean_env(
        PATH=path,
        AITASKER_CONFIG_DIR=str(tmp_path / "config"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "step_summary.md"),
    )


def statuses(url: str, env: dict[str, str]) -> dict[str, str]:
    listed = aitasker("agents", "list", "--all", "-o", "json", env=with_api(url, env))
    return {agent["id"]: agent["status"] for agent in json.loads(listed.stdout)}


def with_api(url: str, env: dict[str, str]) -> dict[str, str]:
    """`env` for running aitasker directly against the sandbox at `url`."""
    return {**env, "AITASKER_API_URL": url, "AITASKER_TOKEN": TOKEN}


# --- action.yml ------------------------------------------------------------------------------


def test_a_composite_action_with_the_inputs_and_outputs_the_readme_promises() -> None:
    metadata = action()

    assert metadata["runs"]["using"] == "composite"
    assert set(metadata["inputs"]) == {"command", "token", "api-url", "python-version"}
    assert metadata["inputs"]["command"]["required"] is True
    assert set(metadata["outputs"]) == {"exit-code", "operation-id"}


def test_inputs_reach_the_scripts_only_through_the_environment() -> None:
    steps = action()["runs"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]

    assert scripts and all("${{" not in script for script in scripts)
    install, run = (step for step in steps if "run" in step)
    # The install step never sees the token; the run step gets each input under its own name.
    assert "env" not in install
    assert run["env"] == {
        "AITASKER_ACTION_COMMAND": "${{ inputs.command }}",
        "AITASKER_ACTION_TOKEN": "${{ inputs.token }}",
        "AITASKER_ACTION_API_URL": "${{ inputs.api-url }}",
    }


def test_the_python_version_input_sets_up_python_with_a_pinned_action() -> None:
    setup = action()["runs"]["steps"][0]

    assert setup["if"] == "inputs.python-version != ''"
    assert re.fullmatch(r"actions/setup-python@[0-9a-f]{40}", setup["uses"])
    assert setup["with"] == {"python-version": "${{ inputs.python-version }}"}


# --- the steps, under a stand-in runner ------------------------------------------------------


def test_pause_then_undo_whatever_happened_in_between(
    served: str, runner_env: dict[str, str], tmp_path: Path
) -> None:
    pause = run_action(
        {
            "command": "agents pause --all --where tier=pro --yes",
            "token": TOKEN,
            "api-url": served,
        },
        runner_env,
        tmp_path,
    )
    paused = statuses(served, runner_env)
    undo = run_action(
        {
            "command": f"undo {pause.outputs['operation-id']} --yes",
            "token": TOKEN,
            "api-url": served,
        },
        runner_env,
        tmp_path,
    )

    assert pause.code == 0, pause.stderr
    assert pause.steps[0].code is None  # no python-version: the runner's python
    assert "Using aitasker " in pause.steps[1].stdout
    assert pause.path_added == []  # this version is on PATH already: nothing installed
    results = [json.loads(line) for line in pause.steps[2].stdout.splitlines()[1:]]
    assert sorted(r["id"] for r in results) == PRO
    assert pause.outputs == {"exit-code": "0", "operation-id": results[0]["operation"]}
    assert {agent_id: paused[agent_id] for agent_id in PRO} == dict.fromkeys(PRO, "paused")
    assert undo.code == 0, undo.stderr
    assert undo.outputs["exit-code"] == "0"
    assert {agent_id: statuses(served, runner_env)[agent_id] for agent_id in PRO} == dict.fromkeys(
        PRO, "active"
    )
    summary = (tmp_path / "step_summary.md").read_text()
    assert summary.count("### aitasker agents pause\n") == 1
    assert summary.count("### aitasker undo\n") == 1
    assert f"{len(PRO)} agents: {len(PRO)} changed." in summary


def test_a_failure_is_the_exit_code_output_and_annotations(
    served: str, runner_env: dict[str, str], tmp_path: Path
) -> None:
    ran = run_action(
        {"command": f"agents pause {CANCELLED} {ACTIVE}", "token": TOKEN, "api-url": served},
        runner_env,
        tmp_path,
    )
    aitasker("agents", "resume", ACTIVE, env=with_api(served, runner_env))

    assert ran.code == 9
    assert ran.outputs["exit-code"] == "9"
    assert re.fullmatch(r"[0-9T]+-[0-9a-f]+", ran.outputs["operation-id"])
    annotations = [line for line in ran.stderr.splitlines() if line.startswith("::")]
    assert annotations[0].startswith(f"::error title=aitasker agents pause::agent {CANCELLED} (")
    assert annotations[0].endswith("failed: Cancelled agents cannot be paused (HTTP 409)")


def test_the_operation_id_is_read_from_json_too(
    served: str, runner_env: dict[str, str], tmp_path: Path
) -> None:
    ran = run_action(
        {"command": f"agents pause {ACTIVE} {PRO[0]} -o json", "token": TOKEN, "api-url": served},
        runner_env,
        tmp_path,
    )
    aitasker("undo", ran.outputs["operation-id"], "--yes", env=with_api(served, runner_env))

    assert ran.code == 0, ran.stderr
    results = json.loads(ran.steps[2].stdout.split("\n", 1)[1])
    assert ran.outputs["operation-id"] == results[0]["operation"] != ""


def test_a_command_without_a_change_has_no_operation_id(
    served: str, runner_env: dict[str, str], tmp_path: Path
) -> None:
    ran = run_action(
        {"command": f"agents show {ACTIVE}", "token": TOKEN, "api-url": served},
        runner_env,
        tmp_path,
    )

    assert ran.code == 0, ran.stderr
    assert ran.outputs == {"exit-code": "0", "operation-id": ""}
    assert json.loads(ran.steps[2].stdout.splitlines()[1])["id"] == ACTIVE


# --- what the script hands aitasker ----------------------------------------------------------


def fake_aitasker(folder: Path, version: str = "aitasker 0.0.0") -> Path:
    """An `aitasker` that records its arguments and environment, NUL-separated, and says
    `version` to --version."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "aitasker"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'if [ "${{1:-}}" = --version ]; then echo "{version}"; exit 0; fi\n'
        f'printf "%s\\0" "$@" > "{folder}/argv"\n'
        f'env -0 > "{folder}/env"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def recorded(folder: Path) -> tuple[list[str], dict[str, str]]:
    argv = (folder / "argv").read_text().split("\0")[:-1]
    pairs = (folder / "env").read_text().split("\0")[:-1]
    return argv, dict(pair.split("=", 1) for pair in pairs)


def test_the_token_is_in_aitaskers_environment_only_and_words_are_never_run(
    runner_env: dict[str, str], tmp_path: Path
) -> None:
    fake = fake_aitasker(tmp_path / "fake")
    env = {
        **runner_env,
        "PATH": f"{fake}{os.pathsep}{runner_env['PATH']}",
        "AITASKER_ACTION_INSTALL": "never",
    }
    pwned = tmp_path / "pwned"
    command = (
        f"aitasker agents pause --where 'display_name=Maya – Sales' $(touch {pwned}) "
        f'"`touch {pwned}`" ; touch {pwned} \\$HOME'
    )

    ran = run_action(
        {"command": command, "token": TOKEN, "api-url": "http://127.0.0.1:9"}, env, tmp_path
    )

    argv, seen = recorded(fake)
    assert ran.code == 0, ran.stderr
    assert argv == [
        "agents", "pause", "--where", "display_name=Maya – Sales", "$(touch", f"{pwned})",
        f"`touch {pwned}`", ";", "touch", str(pwned), "$HOME",
    ]  # fmt: skip
    assert not pwned.exists()
    assert seen["AITASKER_TOKEN"] == TOKEN and "AITASKER_ACTION_TOKEN" not in seen
    assert seen["AITASKER_API_URL"] == "http://127.0.0.1:9"
    assert seen["AITASKER_OUTPUT"] == "ndjson"
    assert all(TOKEN not in word for word in argv)
    # The one place the token is written: the runner's add-mask command, which it never shows.
    assert [line for line in ran.stdout.splitlines() if TOKEN in line] == [f"::add-mask::{TOKEN}"]


def test_empty_inputs_leave_aitaskers_own_settings_alone(
    runner_env: dict[str, str], tmp_path: Path
) -> None:
    fake = fake_aitasker(tmp_path / "fake")
    env = {
        **runner_env,
        "PATH": f"{fake}{os.pathsep}{runner_env['PATH']}",
        "AITASKER_ACTION_INSTALL": "never",
        "AITASKER_TOKEN": "from-the-job",
        "AITASKER_OUTPUT": "tsv",
    }

    ran = run_action({"command": "agents list"}, env, tmp_path)

    _argv, seen = recorded(fake)
    assert ran.code == 0, ran.stderr
    assert seen["AITASKER_TOKEN"] == "from-the-job" and seen["AITASKER_OUTPUT"] == "tsv"
    assert "AITASKER_API_URL" not in seen
    assert "::add-mask::" not in ran.stdout


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "agents pause 'unclosed",
            "the command input cannot be split into words: No closing quotation",
        ),
        ("   ", "the command input is empty"),
        ("aitasker", "the command input is empty"),
    ],
)
def test_a_command_that_cannot_be_split_is_refused(
    runner_env: dict[str, str], tmp_path: Path, command: str, message: str
) -> None:
    ran = run_action({"command": command}, runner_env, tmp_path)

    assert ran.code == 2
    assert f"::error title=aitasker action::{message}" in ran.stderr.splitlines()
    assert ran.outputs == {"exit-code": "2", "operation-id": ""}  # aitasker never ran


# --- the install step ------------------------------------------------------------------------


def fake_pipx(folder: Path, real: str) -> Path:
    """A `pipx` that records how it was called and installs an `aitasker` that runs `real`."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pipx"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\0" "$@" > "{folder}/argv"\n'
        f'printf "%s\\0" "$PIPX_HOME" "$PIPX_BIN_DIR" > "{folder}/dirs"\n'
        'mkdir -p "$PIPX_BIN_DIR"\n'
        f'printf \'#!/usr/bin/env bash\\ntouch "{folder}/used"\\nexec "{real}" "$@"\\n\''
        ' > "$PIPX_BIN_DIR/aitasker"\n'
        'chmod +x "$PIPX_BIN_DIR/aitasker"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


@pytest.mark.parametrize("mode", ["always", "auto"])
def test_the_install_step_installs_the_actions_folder_with_pipx(
    served: str, runner_env: dict[str, str], tmp_path: Path, mode: str
) -> None:
    real = shutil.which("aitasker", path=runner_env["PATH"])
    assert real is not None
    pipx = fake_pipx(tmp_path / "pipx", real)
    # `auto` installs because the aitasker on PATH is another version.
    other = fake_aitasker(tmp_path / "other", version="aitasker 0.0.1")
    path = os.pathsep.join([str(pipx), str(other), runner_env["PATH"]])
    env = {**runner_env, "PATH": path, "AITASKER_ACTION_INSTALL": mode}

    ran = run_action(
        {"command": f"agents show {ACTIVE}", "token": TOKEN, "api-url": served}, env, tmp_path
    )

    bin_dir = tmp_path / "runner_temp" / "aitasker-action" / "bin"
    argv = (pipx / "argv").read_text().split("\0")[:-1]
    assert ran.code == 0, ran.stderr
    assert argv[:3] == ["install", "--force", "--python"] and argv[4:] == [str(ROOT)]
    assert Path(argv[3]).name.startswith("python")
    assert (pipx / "dirs").read_text().split("\0")[:-1] == [
        str(bin_dir.parent / "pipx"),
        str(bin_dir),
    ]
    assert ran.path_added == [str(bin_dir)]
    assert (pipx / "used").exists()  # the run step ran the aitasker pipx installed
    assert json.loads(ran.steps[2].stdout.splitlines()[1])["id"] == ACTIVE


def test_install_never_needs_an_aitasker_on_path(
    runner_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**runner_env, "PATH": "/usr/bin:/bin", "AITASKER_ACTION_INSTALL": "never"}

    ran = run_action({"command": "agents list"}, env, tmp_path)

    assert ran.code == 2
    assert ran.steps[1].stderr == (
        "::error title=aitasker action::AITASKER_ACTION_INSTALL is never, and no aitasker is on "
        "PATH\n"
    )


def test_the_action_installs_the_version_it_carries() -> None:
    version = subprocess.run(
        ["bash", "-c", f'source <(sed -n "/^action_version()/,/^}}/p" {SCRIPT}); '
         f'action_root={ROOT}; action_version'],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert version.stdout.strip() == __version__
