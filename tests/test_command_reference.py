"""docs/commands.md is the real `--help` of every command, as llm keeps its own docs."""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_reference_matches_every_help() -> None:
    spec = importlib.util.spec_from_file_location("reference", ROOT / "tools/command_reference.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)

    committed = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    current = generator.reference()

    drift = "".join(
        list(difflib.unified_diff(committed.splitlines(True), current.splitlines(True)))[:40]
    )
    assert committed == current, (
        "docs/commands.md has drifted: run python tools/command_reference.py > docs/commands.md"
        f"\n{drift}"
    )


def test_the_reference_covers_every_command_and_format() -> None:
    text = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")

    for title in ("aitasker agents pause", "aitasker workspaces tasks", "aitasker doctor"):
        assert f"## `{title}`" in text
    assert "markdown" in text
