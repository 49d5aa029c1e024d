"""No test writes into the real HOME: subprocesses and in-process tests get private homes, and
a run that writes there anyway fails."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from aitasker_cli.core import paths
from tests.processes import aitasker, clean_env

ROOT = Path(__file__).resolve().parents[1]
HOME_VARIABLES = ("HOME", "ZDOTDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")
FOLDER_VARIABLES = (
    "AITASKER_CONFIG_DIR",
    "AITASKER_CACHE_DIR",
    "AITASKER_SANDBOX_DIR",
    "AITASKER_STATE_DIR",
)


def test_each_clean_env_is_a_fresh_private_home() -> None:
    first, second = clean_env(), clean_env()

    home = Path(first["HOME"])
    assert home.is_relative_to(tempfile.gettempdir())
    assert first["HOME"] != second["HOME"]
    for name in HOME_VARIABLES + FOLDER_VARIABLES + ("XDG_STATE_HOME",):
        assert Path(first[name]).is_relative_to(home), name


def test_a_caller_still_chooses_any_folder() -> None:
    env = clean_env(HOME="/elsewhere", AITASKER_CACHE_DIR="/cache")

    assert (env["HOME"], env["AITASKER_CACHE_DIR"]) == ("/elsewhere", "/cache")


def test_aitasker_in_a_clean_env_writes_into_its_private_home() -> None:
    env = clean_env()
    by_default = {name: value for name, value in env.items() if name not in FOLDER_VARIABLES}

    listed = aitasker("--sandbox", "agents", "list", "-o", "id", env=env)
    listed_by_default = aitasker("--sandbox", "agents", "list", "-o", "id", env=by_default)

    assert listed.returncode == listed_by_default.returncode == 0
    assert Path(env["AITASKER_CACHE_DIR"], "completion.tsv").is_file()
    assert Path(env["AITASKER_SANDBOX_DIR"], "sandbox.db").is_file()
    # With no AITASKER_*_DIR, the XDG folders, which are private too.
    assert Path(env["XDG_CACHE_HOME"], "aitasker", "completion.tsv").is_file()
    assert Path(env["XDG_DATA_HOME"], "aitasker", "sandbox", "sandbox.db").is_file()


def test_in_process_tests_have_a_private_home(tmp_path: Path) -> None:
    assert Path.home() == tmp_path / "home"
    for name in HOME_VARIABLES:
        assert Path(os.environ[name]).is_relative_to(tmp_path), name
    assert paths.cache_dir().is_relative_to(tmp_path)


INNER_TEST = """
from pathlib import Path

HOME = Path({home!r})


def test_writes_where_it_must_not():
    (HOME / ".cache" / "aitasker").mkdir(parents=True)
    (HOME / ".cache" / "aitasker" / "completion.tsv").write_text("agents")
    (HOME / ".config" / "fish" / "fish_variables").write_text("changed by a test")
    (HOME / ".local" / "share" / "fish" / "fish_history").unlink()
    (HOME / ".zcompdump-host-5.9").write_text("")
"""


def test_a_run_that_writes_into_the_real_home_fails(tmp_path: Path) -> None:
    home = tmp_path / "real-home"
    (home / ".config" / "fish").mkdir(parents=True)
    (home / ".config" / "fish" / "fish_variables").write_text("untouched")
    (home / ".local" / "share" / "fish").mkdir(parents=True)
    (home / ".local" / "share" / "fish" / "fish_history").write_text("- cmd: ls")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pytest.ini").write_text("[pytest]\n")
    (inner / "test_leak.py").write_text(INNER_TEST.format(home=str(home)))
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("XDG_", "AITASKER_")) and name != "ZDOTDIR"
    }

    # The same hooks as this run's: tests/conftest.py, loaded as a plugin.
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"],
        cwd=inner,
        env={**env, "HOME": str(home), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert "1 passed" in ran.stdout, ran.stdout + ran.stderr
    assert ran.returncode == 1
    assert f"added {home}/.cache/aitasker/completion.tsv" in ran.stdout
    assert f"modified {home}/.config/fish/fish_variables" in ran.stdout
    assert f"removed {home}/.local/share/fish/fish_history" in ran.stdout
    assert f"added {home}/.zcompdump-host-5.9" in ran.stdout
