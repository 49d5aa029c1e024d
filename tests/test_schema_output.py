"""What the commands print is what their schemas say: the -o json and -o ndjson output of
every command that prints JSON (and the first events of each --watch), run by the installed
script against the embedded sandbox, validates against its schema, closed to keys it does not
name where aitasker makes the object (tests/schema_checks.py).

Commands not built yet have no runs; test_every_command_printing_json_has_a_case says which.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from typing import NamedTuple

import pytest

from aitasker_cli.cli.main import command_paths
from aitasker_cli.domain.schemas import ALSO_PRINTS, ONE, PRINTS
from aitasker_cli.sandbox.seed import seed_state
from tests.processes import aitasker, clean_env, installed_script
from tests.schema_checks import problems

COMMANDS = set(command_paths())
SEED = seed_state()


# What the commands print


class Fleet(NamedTuple):
    active: list[str]
    paused: list[str]
    workspace: str
    tasks: list[tuple[str, str]]
    """(workspace, task) of every task, awaiting ones first."""
    awaiting: list[tuple[str, str]]
    completed: tuple[str, str]


def fleet() -> Fleet:
    agents = SEED["agents"].values()
    tasks = sorted(SEED["tasks"].values(), key=lambda t: t["status"] != "awaiting_approval")
    return Fleet(
        active=[a["id"] for a in agents if a["status"] == "active"],
        paused=[a["id"] for a in agents if a["status"] == "paused"],
        workspace=next(iter(SEED["workspaces"])),
        tasks=[(t["workspace_id"], t["id"]) for t in tasks],
        awaiting=[
            (t["workspace_id"], t["id"]) for t in tasks if t["status"] == "awaiting_approval"
        ],
        completed=next((t["workspace_id"], t["id"]) for t in tasks if t["status"] == "completed"),
    )


FLEET = fleet()
MISSING = "00000000-0000-4000-8000-000000000000"


class Case(NamedTuple):
    words: tuple[str, ...]
    argv: tuple[str, ...]
    schema: str
    setup: tuple[tuple[str, ...], ...] = ()
    codes: tuple[int, ...] = (0,)
    one: bool = False
    """Whether -o json prints one object (else an array)."""


def done(*argv: str) -> tuple[str, ...]:
    return argv


CASES = [
    Case(("agents", "list"), done("agents", "list", "--all"), "agent"),
    Case(("agents", "show"), done("agents", "show", FLEET.active[0]), "agent", one=True),
    Case(
        ("agents", "pause"),
        done("agents", "pause", FLEET.active[0], FLEET.paused[0], MISSING),
        "result",
        codes=(9,),
    ),
    Case(("agents", "pause"), done("agents", "pause", "--dry-run", *FLEET.active[:2]), "result"),
    Case(("agents", "resume"), done("agents", "resume", *FLEET.paused[:2], "--wait"), "result"),
    Case(("agents", "resume"), done("agents", "resume", FLEET.paused[0]), "agent", one=True),
    Case(("agents", "pause"), done("agents", "pause", FLEET.active[0]), "agent", one=True),
    Case(("agents", "cancel"), done("agents", "cancel", FLEET.active[1], "--yes"), "result"),
    Case(
        ("agents", "wait"),
        done("agents", "wait", FLEET.paused[0], "--for", "paused"),
        "agent",
        one=True,
    ),
    Case(("workspaces", "list"), done("workspaces", "list", "--all"), "workspace"),
    Case(
        ("workspaces", "show"), done("workspaces", "show", FLEET.workspace), "workspace", one=True
    ),
    Case(("workspaces", "tasks"), done("workspaces", "tasks", FLEET.tasks[0][0], "--all"), "task"),
    Case(("tasks", "list"), done("tasks", "list", "--all"), "task"),
    Case(("tasks", "inbox"), done("tasks", "inbox"), "task"),
    Case(("tasks", "show"), done("tasks", "show", "/".join(FLEET.tasks[0])), "task", one=True),
    Case(("tasks", "wait"), done("tasks", "wait", "/".join(FLEET.completed)), "task", one=True),
    Case(
        ("tasks", "approve"),
        done("tasks", "approve", "/".join(FLEET.awaiting[0]), "--reason", "fine", "--yes"),
        "result",
    ),
    Case(
        ("tasks", "reject"),
        done("tasks", "reject", "/".join(FLEET.awaiting[1]), "--reason", "no", "--yes"),
        "result",
    ),
    Case(("auth", "status"), done("auth", "status"), "login", one=True),
    Case(("doctor",), done("doctor"), "check"),
    Case(
        ("history",),
        done("history", "--all"),
        "history",
        setup=(("agents", "pause", FLEET.active[0]), ("undo", "--yes")),
    ),
    Case(
        ("history",),
        done("history", "{last}"),
        "history-item",
        setup=(("agents", "pause", *FLEET.active[:3]),),
    ),
    Case(
        ("undo",),
        done("undo", "--dry-run"),
        "result",
        setup=(("agents", "pause", *FLEET.active[:2]),),
    ),
    Case(
        ("undo",), done("undo", "--yes"), "result", setup=(("agents", "resume", FLEET.paused[0]),)
    ),
]
"""At least one run of each command of PRINTS; those of commands not built yet are left out
(test_every_command_printing_json_has_a_case says which)."""
RUNNABLE = [case for case in CASES if case.words in COMMANDS]


def test_every_command_printing_json_has_a_case() -> None:
    assert set(PRINTS) & COMMANDS <= {case.words for case in RUNNABLE}
    assert {case.words for case in CASES} == set(PRINTS)
    for case in CASES:  # the cases agree with the table --help is written from
        prints = PRINTS[case.words]
        named = {prints.schema, prints.single, ALSO_PRINTS.get(case.words)}
        assert case.schema in named, case
        assert case.one == (prints.shape == ONE or case.schema == prints.single), case


def sandbox(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return aitasker("--sandbox", *argv, env=env)


def last_operation(env: dict[str, str]) -> str:
    listed = sandbox("history", "-o", "json", "--limit", "1", env=env)
    assert listed.returncode == 0, listed.stderr
    found: str = json.loads(listed.stdout)[0]["id"]
    return found


@pytest.mark.parametrize("output", ["json", "ndjson"])
@pytest.mark.parametrize("case", RUNNABLE, ids=lambda case: " ".join(case.argv)[:60])
def test_what_each_command_prints_matches_its_schema(case: Case, output: str) -> None:
    env = clean_env()
    for step in case.setup:
        assert sandbox(*step, "-o", "id", env=env).returncode in (0, 9)
    argv = [last_operation(env) if word == "{last}" else word for word in case.argv]

    printed = sandbox(*argv, "-o", output, env=env)

    assert printed.returncode in case.codes, printed.stderr
    if output == "json":
        parsed = json.loads(printed.stdout)
        objects = [parsed] if case.one else parsed
        assert isinstance(objects, list) and isinstance(objects[0], dict)
    else:
        objects = [json.loads(line) for line in printed.stdout.splitlines()]
    assert objects, printed.stderr
    assert problems(case.schema, objects) == []


# --watch


def watchable() -> list[tuple[str, ...]]:
    return sorted(words for words in COMMANDS if words in PRINTS and PRINTS[words].watch)


def first_lines(argv: list[str], env: dict[str, str], count: int) -> list[str]:
    """The first `count` lines a long-running command prints (or fewer after 30 s), then
    Ctrl-C."""
    process = subprocess.Popen(
        [installed_script(), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    assert process.stdout is not None

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if len(lines) >= count:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
    return lines


def test_watch_events_match_the_event_schema() -> None:
    """The first events of each --watch (no test of its own: until watches exist there is
    none to run, and CI counts a test without cases as skipped)."""
    for words in watchable():
        env = clean_env()
        lines = first_lines(["--sandbox", *words, "--watch", "-o", "ndjson"], env, 3)
        events = [json.loads(line) for line in lines]

        assert events, words
        assert problems("event", events) == []
        assert problems(PRINTS[words].schema, [event["item"] for event in events]) == []
