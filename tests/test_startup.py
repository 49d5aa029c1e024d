"""`--help` and `--version` must not pay for httpx, keyring, rich or the models."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = (
    "httpx",
    "keyring",
    "rich",
    "pydantic",
    "aitasker_cli.client",
    "aitasker_cli.models",
    "click",
)
"""click: Typer 0.28 carries its own copy; the separate package would be loaded for nothing."""

PROBE = """
import json, sys
from aitasker_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["--version"],
        ["agents", "--help"],
        ["agents", "list", "--help"],
        ["auth", "login", "--help"],
        ["workspaces", "tasks", "--help"],
        ["agents", "pause", "--help"],
        [],
        ["agents"],
        ["help", "sandbox", "serve"],
    ],
)
def test_help_and_version_skip_heavy_imports(argv: list[str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(completed.stderr.splitlines()[-1]))

    assert completed.stdout
    assert [name for name in HEAVY if name in loaded] == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize(
    "words", ["aitasker ag", "aitasker agents pause 18", "aitasker --profile x workspaces show "]
)
def test_completion_requests_skip_heavy_imports(words: str, shell: str) -> None:
    env = {
        **os.environ,
        "_AITASKER_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "_TYPER_COMPLETE_ARGS": words,
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
    }
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    loaded = set(json.loads(completed.stderr.splitlines()[-1]))

    assert [name for name in HEAVY if name in loaded] == []
