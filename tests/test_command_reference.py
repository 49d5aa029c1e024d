"""docs/commands.md is the real `--help` of every command, as llm keeps its own docs.

Whether it is current is tests/test_regen.py's check, with every other generated file.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_reference_covers_every_command_and_format() -> None:
    text = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")

    for title in ("aitasker agents pause", "aitasker workspaces tasks", "aitasker doctor"):
        assert f"## `{title}`" in text
    assert "markdown" in text
