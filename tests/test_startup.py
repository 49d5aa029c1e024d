"""`--help` and `--version` must not pay for httpx, keyring, rich or the models; `--help` and
TAB load nothing beyond the standard library and aitasker_cli's own light modules."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from aitasker_cli.local import cache
from tests.conftest import AGENT_ID, TOKEN, agent, workspace
from tests.loopback import serve
from tests.processes import clean_env

HEAVY = (
    "httpx",
    "keyring",
    "rich",
    "pydantic",
    "aitasker_cli.api.client",
    "aitasker_cli.api.models",
    "click",
)
"""click: Typer 0.28 carries its own copy; the separate package would be loaded for nothing."""

PROBE = """
import json, sys
from aitasker_cli.entry import main
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


HELP_MODULES = {
    "aitasker_cli",
    "aitasker_cli.entry",
    "aitasker_cli.core",
    "aitasker_cli.core.startup",
    "aitasker_cli.fast",
    "aitasker_cli.fast.help_text",
}
"""Of aitasker_cli, what answering `--help` may import."""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["agents", "--help"],
        ["agents", "list", "--help"],
        ["auth", "login", "-h"],
        ["workspaces", "tasks", "--help"],
        [],
        ["agents"],
        ["help"],
        ["help", "sandbox", "serve"],
    ],
)
def test_help_loads_only_the_standard_library(argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AITASKER_", "_AITASKER"))}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, check=True
    )
    loaded = set(json.loads(completed.stderr.splitlines()[-1]))
    outside = {
        name
        for name in loaded
        if name.partition(".")[0] not in sys.stdlib_module_names
        and not name.startswith(SITE_HOOKS)
        and name not in HELP_MODULES
    }

    assert completed.stdout.startswith("Usage: aitasker")
    assert outside == set()


SITE_HOOKS = (
    "__main__",
    "__editable__",
    "_distutils_hack",
    "_virtualenv",
    "sitecustomize",
    "usercustomize",
)
"""The probe itself, and what site-packages' .pth files import into every Python process."""
TAB_MODULES = {
    "aitasker_cli",
    "aitasker_cli.entry",
    "aitasker_cli.fast",
    "aitasker_cli.fast.tab_completion",
    "aitasker_cli.local",
    "aitasker_cli.local.cache",
    "aitasker_cli.core",
    "aitasker_cli.core.paths",
    "aitasker_cli.core.patterns",
    "aitasker_cli.core.startup",
}
"""Of aitasker_cli, what answering TAB with IDs may import."""


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
@pytest.mark.parametrize(
    "words", ["aitasker ag", "aitasker agents pause 6f", "aitasker --profile x workspaces show "]
)
def test_completion_requests_load_only_the_standard_library(words: str, shell: str) -> None:
    cache.learn("agents", [agent(status="active")])
    cache.learn("workspaces", [workspace()])
    env = {
        **os.environ,
        "_AITASKER_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "_TYPER_COMPLETE_ARGS": words,
        "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": "" if words.endswith(" ") else words.split()[-1],
    }
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    loaded = set(json.loads(completed.stderr.splitlines()[-1]))

    assert [name for name in HEAVY if name in loaded] == []
    outside = {
        name
        for name in loaded
        if name.partition(".")[0] not in sys.stdlib_module_names
        and not name.startswith(SITE_HOOKS)
        and name not in TAB_MODULES
    }
    assert completed.stdout.strip()
    assert outside == set()


CALL_PROBE = """
import json, sys
if sys.argv[1] == "--without-click":  # as in an install of aitasker alone
    sys.modules["click"] = None
from aitasker_cli.entry import main
try:
    main(sys.argv[2:])
except SystemExit as finished:
    assert finished.code == 0, finished.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
NOT_FOR_AN_AGENT = (
    "rich",
    "keyring",
    "pygments",
    "aitasker_cli.output.tables",
    "aitasker_cli.sandbox",
    "aitasker_cli.ops.bulk",
    "aitasker_cli.fast.tab_completion",
    "aitasker_cli.cli.workspaces",
)
"""What no command on one agent needs, with a token in the environment: rich (JSON is written
plainly), the keyring, the sandbox, bulk runs, completion, the workspace commands."""
NOT_FOR_ONE_CALL = (
    *NOT_FOR_AN_AGENT,
    "aitasker_cli.local.journal",
    "aitasker_cli.local.cache",
    "tomllib",
)
"""`agents show ID -o json` changes nothing, so it has no journal or cache to write either; and
with no config file there is no TOML to parse."""


def probe_call(api_url: str, *argv: str, click: bool = False) -> tuple[str, set[str]]:
    """What the command printed, and the modules it had loaded when it ended (exit 0).

    Unless `click`, the command runs as if click were not installed, as in an install of
    aitasker alone, so that what is left out is aitasker's doing.
    """
    completed = subprocess.run(
        [sys.executable, "-c", CALL_PROBE, "--with-click" if click else "--without-click", *argv],
        capture_output=True,
        text=True,
        env=clean_env(AITASKER_API_URL=api_url, AITASKER_TOKEN=TOKEN),
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout, set(json.loads(completed.stderr.splitlines()[-1]))


def test_a_single_call_loads_only_what_it_uses() -> None:
    with serve() as api:
        api.reply("GET", f"/api/v1/workspaces/agents/{AGENT_ID}", 200, agent())
        printed, loaded = probe_call(api.url, "agents", "show", AGENT_ID, "-o", "json")

    assert json.loads(printed)["id"] == AGENT_ID
    assert {name for name in loaded if name.startswith(NOT_FOR_ONE_CALL)} == set()


NOT_FOR_ONE_CHANGE = (*NOT_FOR_AN_AGENT, "aitasker_cli.ops.selection")
"""`agents pause ID -o id` looks the agent up, sends the change and writes the journal and the
completion cache, but runs no bulk machinery and no filter."""


def test_a_single_change_loads_only_what_it_uses() -> None:
    with serve() as api:
        api.reply("GET", f"/api/v1/workspaces/agents/{AGENT_ID}", 200, agent(status="active"))
        api.reply(
            "POST", f"/api/v1/workspaces/agents/{AGENT_ID}/pause", 200, agent(status="paused")
        )
        printed, loaded = probe_call(api.url, "agents", "pause", AGENT_ID, "-o", "id")

    assert printed.strip() == AGENT_ID
    assert {name for name in loaded if name.startswith(NOT_FOR_ONE_CHANGE)} == set()
    assert "aitasker_cli.local.journal" in loaded  # the change was recorded, for undo


def test_httpx_command_line_is_not_loaded_where_click_is_installed() -> None:
    """httpx imports its own CLI (click, rich, pygments) when click is there: ~70 ms a call."""
    pytest.importorskip("click", reason="click is not installed here (the test tools bring it)")
    with serve() as api:
        api.reply("GET", f"/api/v1/workspaces/agents/{AGENT_ID}", 200, agent())
        printed, loaded = probe_call(api.url, "agents", "show", AGENT_ID, "-o", "json", click=True)

    assert json.loads(printed)["id"] == AGENT_ID
    assert {name for name in loaded if name.startswith(("click", "pygments", "rich"))} == set()


EXIT_PROBE = """
import atexit, gc, os, sys
atexit.register(lambda: os.write(2, b"tracked %d frozen %d\\n" % (
    len(gc.get_objects()), gc.get_freeze_count())))  # runs last: registered first
from aitasker_cli.entry import main
main(sys.argv[1:])
"""


def show_under(probe: str) -> list[int]:
    """`agents show ID -o json` run by PROBE against a loopback API, checked to have printed
    the agent in full; the numbers PROBE wrote on the last line of stderr."""
    with serve() as api:
        api.reply("GET", f"/api/v1/workspaces/agents/{AGENT_ID}", 200, agent())
        completed = subprocess.run(
            [sys.executable, "-c", probe, "agents", "show", AGENT_ID, "-o", "json"],
            capture_output=True,
            text=True,
            env=clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN),
            check=False,
        )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["id"] == AGENT_ID
    return [int(word) for word in completed.stderr.splitlines()[-1].split() if word.isdigit()]


def test_python_exit_does_not_scan_the_objects_a_command_made() -> None:
    """Python's exit collection would scan every object the imports made (50-80 ms a call)."""
    tracked, frozen = show_under(EXIT_PROBE)  # its output was all written before

    assert frozen > 10_000
    assert tracked < frozen / 100  # what the exit collection is left to scan


GC_PROBE = """
import gc, sys, weakref
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
from aitasker_cli.entry import main
try:
    main(sys.argv[1:])
except SystemExit as finished:
    assert finished.code == 0, finished.code
during = len(collections)

class Node:
    pass

freed = []
for _ in range(5000):  # garbage in cycles, as a long bulk run may leave behind
    first, second = Node(), Node()
    first.other, second.other = second, first
    weakref.finalize(first, freed.append, 1)
    del first, second
print(during, len(freed), file=sys.stderr)
"""


def test_start_up_runs_almost_no_collections_and_garbage_is_collected_after() -> None:
    """The imports of one call keep what they make: Python's usual ~90 collections during them
    find nothing. Once the client is ready, garbage in cycles is collected as usual."""
    during, freed = show_under(GC_PROBE)

    assert during < 20
    assert freed > 4000  # without a collection, none of the 5,000 would be


def test_a_command_run_inside_another_program_leaves_its_collector_alone(run: Any) -> None:
    """Only the `aitasker` process's own start-up is tuned: the CLI run in-process (as these
    tests do) neither freezes the host's objects nor changes its thresholds."""
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()

    listed = run("--sandbox", "agents", "list", "-o", "id")

    assert listed.exit_code == 0, listed.stderr
    assert (gc.get_freeze_count(), gc.get_threshold()) == (frozen, thresholds)


NOT_FOR_A_SCHEMA = (
    "httpx",
    "keyring",
    "rich",
    "pydantic",
    "aitasker_cli.api",
    "aitasker_cli.ops",
    "aitasker_cli.sandbox",
)
"""`aitasker schema` reads files the package ships: no models, no schema generation, no API."""


def _loaded_by(argv: list[str]) -> set[str]:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    assert completed.stdout
    return set(json.loads(completed.stderr.splitlines()[-1]))


@pytest.mark.parametrize(
    "argv", [["schema"], ["schema", "agent"], ["schema", "task", "-o", "ndjson"]]
)
def test_schema_loads_neither_pydantic_nor_the_api(argv: list[str]) -> None:
    # What Typer itself loads to build a command (Typer 0.29 loads pydantic for its own
    # parameters) is measured on a command that has no models either, and not counted.
    typer_own = _loaded_by(["completion", "bash"])

    loaded = _loaded_by(argv) - typer_own

    assert {name for name in loaded if name.startswith(NOT_FOR_A_SCHEMA)} == set()
