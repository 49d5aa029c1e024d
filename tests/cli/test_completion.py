"""Shell completion: committed scripts stay current, and TAB completes commands and cached IDs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli import cache
from tests.processes import clean_env, installed_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "bash": "aitasker.bash",
    "zsh": "aitasker.zsh",
    "fish": "aitasker.fish",
    "powershell": "aitasker.ps1",
}
AGENT = "1888df20-5bd0-4521-be84-762b3b9be05d"


@pytest.mark.parametrize("shell", SCRIPTS)
def test_committed_scripts_are_current(run: Any, shell: str) -> None:
    result = run("completion", shell)

    assert result.exit_code == 0
    committed = (ROOT / "completions" / SCRIPTS[shell]).read_text()
    assert result.stdout == committed, f"regenerate: aitasker completion {shell} > completions/..."


def test_unknown_shell_is_a_usage_error(run: Any) -> None:
    assert run("completion", "tcsh").exit_code == 2


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """An environment where `aitasker` is on PATH and the completion cache knows one agent."""
    env = clean_env(
        AITASKER_CACHE_DIR=str(tmp_path / "cache"), AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox")
    )
    env["PATH"] = f"{Path(installed_script()).parent}{os.pathsep}{env.get('PATH', '')}"
    listed = subprocess.run(
        [installed_script(), "--sandbox", "agents", "list", "-o", "id"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert AGENT in listed.stdout
    return env


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (the Debian package '{name}' provides it)")
    return found


def test_bash_tab_completes_commands_and_cached_ids(shell_env: dict[str, str]) -> None:
    bash = _shell("bash")
    script = ROOT / "completions" / "aitasker.bash"

    def tab(*words: str) -> list[str]:
        line = " ".join(["aitasker", *words])
        program = (
            f"source '{script}'; COMP_WORDS=({line}); COMP_CWORD={len(words)}; "
            "_aitasker_completion aitasker; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        done = subprocess.run(
            [bash, "-c", program],
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.split()

    assert tab("ag") == ["agents"]
    assert {"pause", "resume"} <= set(tab("agents", ""))
    assert tab("agents", "pause", "1888") == [AGENT]


def test_fish_tab_completes_with_agent_names(shell_env: dict[str, str]) -> None:
    fish = _shell("fish")
    script = ROOT / "completions" / "aitasker.fish"

    done = subprocess.run(
        [fish, "--no-config", "-c", f"source '{script}'; complete -C 'aitasker agents show 1888'"],
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == f"{AGENT}\tMaya – Sales"


def test_zsh_protocol_completes_with_agent_names(shell_env: dict[str, str]) -> None:
    _shell("zsh")
    env = {
        **shell_env,
        "_AITASKER_COMPLETE": "complete_zsh",
        "_TYPER_COMPLETE_ARGS": "aitasker agents resume 1888",
    }

    done = subprocess.run(
        [installed_script()], env=env, capture_output=True, text=True, timeout=60, check=True
    )

    assert AGENT in done.stdout and "Maya" in done.stdout


def test_zsh_script_loads(shell_env: dict[str, str]) -> None:
    zsh = _shell("zsh")
    script = ROOT / "completions" / "aitasker.zsh"

    done = subprocess.run(
        [
            zsh,
            "-f",
            "-c",
            f"autoload -Uz compinit && compinit -u; source '{script}'; "
            "print -r -- ${_comps[aitasker]}",
        ],
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.stdout.strip() == "_aitasker_completion", done.stderr


def test_listing_fills_the_cache_and_completion_reads_it_offline(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cache.candidates("agents", "") == []

    run("--sandbox", "agents", "list", "-o", "id")
    run("--sandbox", "workspaces", "list", "-o", "id")

    assert (AGENT, "Maya – Sales") in cache.candidates("agents", "18")
    assert cache.candidates("agents", "ffff") == []
    assert cache.candidates("workspaces", "")


def test_a_broken_cache_means_no_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AITASKER_CACHE_DIR", str(tmp_path))
    (tmp_path / "completion.tsv").write_bytes(b"\xff\xfe broken\tline")

    assert cache.candidates("agents", "") == []
