"""Write docs/commands.md, the command reference, from the real `--help` of every command.

    python tools/command_reference.py > docs/commands.md

tests/test_command_reference.py fails when the committed file no longer matches.
"""

from __future__ import annotations

import os
import subprocess
import sys

from aitasker_cli.cli.main import command_paths

WIDTH = "100"


def help_text(*words: str) -> str:
    """`aitasker WORDS --help`, as a person sees it at 100 columns, without colour."""
    env = {**os.environ, "COLUMNS": WIDTH, "TERM": "dumb", "NO_COLOR": "1"}
    env = {key: value for key, value in env.items() if not key.startswith("AITASKER_")}
    completed = subprocess.run(
        [sys.executable, "-m", "aitasker_cli", *words, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return completed.stdout.rstrip() + "\n"


def reference() -> str:
    parts = [
        "# Command reference\n",
        "\nGenerated from each command's `--help` by `python tools/command_reference.py`; "
        "do not edit by hand.\n",
    ]
    for words in command_paths():
        title = " ".join(("aitasker", *words))
        parts.append(f"\n## `{title}`\n\n```text\n{help_text(*words)}```\n")
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(reference())
