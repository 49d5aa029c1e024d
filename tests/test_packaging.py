"""The sdist carries what the tests need; the wheel carries the package, its license and types."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


def files_under(folder: str) -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_the_sdist_holds_the_tests_completions_and_docs(built: tuple[Path, Path]) -> None:
    sdist, _wheel = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}

    wanted = files_under("tests") | files_under("completions") | files_under("docs")
    assert wanted - names == set()
    assert {"LICENSE", "README.md", "pyproject.toml", "tools/package.json"} <= names
    # The manual pages and the JSON Schemas, and what regenerates them.
    assert "docs/man/aitasker.1" in names and "docs/man/aitasker-agents-pause.1" in names
    assert "docs/schemas/agent.json" in names
    assert {"tools/regen.py", "tools/schemas.py", "tools/man.py"} <= names
    assert files_under("aitasker_cli/schemas") - names == set()


def test_the_wheel_is_the_package_with_its_license_and_types(built: tuple[Path, Path]) -> None:
    _sdist, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n) for n in names if n.endswith(".dist-info/METADATA"))

    assert "aitasker_cli/py.typed" in names
    # What `aitasker schema NAME` prints.
    schemas = {
        f"aitasker_cli/schemas/{path.name}" for path in (ROOT / "docs" / "schemas").iterdir()
    }
    assert schemas and schemas <= set(names)
    assert not any(name.startswith("tests/") for name in names)
    assert any(name.endswith("licenses/LICENSE") for name in names)
    assert b"License-Expression: MIT" in metadata


def test_tab_works_from_the_wheel_alone(built: tuple[Path, Path], tmp_path: Path) -> None:
    """The command table ships in the wheel, and TAB needs nothing but it and the stdlib."""
    _sdist, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    env = {
        "PYTHONPATH": str(tmp_path),
        "AITASKER_CACHE_DIR": str(tmp_path / "cache"),
        "_AITASKER_COMPLETE": "complete_bash",
        "COMP_WORDS": "aitasker agents p",
        "COMP_CWORD": "2",
    }

    # -S: no site-packages, so neither Typer nor anything else installed can be imported.
    completed = subprocess.run(
        [sys.executable, "-S", "-m", "aitasker_cli"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "pause\n", "")
