"""tools/regen.py writes every generated file, and its --check fails on any stale one."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from aitasker_cli.cli.main import command_paths
from aitasker_cli.domain.schemas import NAMES
from tests.processes import clean_env

ROOT = Path(__file__).resolve().parents[1]


def load_regen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regen", ROOT / "tools" / "regen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["regen"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


regen = load_regen()
SCHEMA_FOLDERS = ("docs/schemas", "aitasker_cli/schemas")


def test_every_generated_file_is_current() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "regen.py"), "--check"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (completed.stdout, completed.stderr) == ("", "")


def test_the_outputs_are_every_generated_file() -> None:
    names = {name for output in regen.OUTPUTS for name in output.make()}
    schemas = {f"{folder}/{name}.json" for folder in SCHEMA_FOLDERS for name in NAMES}
    man_pages = {f"docs/man/{'-'.join(('aitasker', *words))}.1" for words in command_paths()}

    assert names - schemas - man_pages == {
        "aitasker_cli/fast/command_table.json",
        "aitasker_cli/fast/help_table.json",
        "docs/commands.md",
        "completions/aitasker.bash",
        "completions/aitasker.zsh",
        "completions/aitasker.fish",
        "completions/aitasker.ps1",
    }
    assert schemas | man_pages <= names


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A root where `one` and `scripts/a` are current, `two` stale and `scripts/old` extra."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "one").write_text("1\n")
    (tmp_path / "two").write_text("2, as it was\n")
    (tmp_path / "scripts" / "a").write_text("a\n")
    (tmp_path / "scripts" / "old").write_text("for a shell no longer supported\n")
    return tmp_path


OUTPUTS = (
    regen.Output("numbers", lambda: {"one": "1\n", "two": "2\n", "deep/three": "3\n"}),
    regen.Output("scripts", lambda: {"scripts/a": "a\n"}, folder="scripts"),
)


def contents(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_check_names_every_stale_file_and_writes_nothing(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = contents(tree)

    code = regen.main(["--check"], root=tree, outputs=OUTPUTS)

    printed = capsys.readouterr()
    assert code == 1
    assert printed.out.splitlines() == [
        "stale: two",
        "stale: deep/three",
        "stale: scripts/old (no longer generated)",
    ]
    assert printed.err == "regenerate them: python tools/regen.py\n"
    assert contents(tree) == before


def test_regeneration_writes_the_stale_files_only_and_then_checks_clean(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = tree / "one"
    current.write_text("1\n")
    written_at = current.stat().st_mtime_ns

    assert regen.main([], root=tree, outputs=OUTPUTS) == 0

    assert contents(tree) == {"one": "1\n", "two": "2\n", "deep/three": "3\n", "scripts/a": "a\n"}
    assert current.stat().st_mtime_ns == written_at
    capsys.readouterr()
    assert regen.main(["--check"], root=tree, outputs=OUTPUTS) == 0
    assert capsys.readouterr().out == ""
