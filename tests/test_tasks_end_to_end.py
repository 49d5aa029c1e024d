"""`tasks list`, `tasks inbox` and `tasks show` as the installed `aitasker`, in a process, over
real HTTP: against `aitasker sandbox serve`, and against a loopback fake that counts requests
or serves hostile text."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aitasker_cli.domain.fingerprint import fingerprint
from aitasker_cli.sandbox.seed import seed_state
from tests.conftest import TOKEN
from tests.hostile import SHELL_AND_CONTROL_NAMES
from tests.processes import aitasker, clean_env, installed_script, sandbox_server
from tests.task_fleet import AGENTS, WORKSPACES, Fleet, listing_requests, workspace_id

SEED = seed_state()
AWAITING = [t for t in SEED["tasks"].values() if t["status"] == "awaiting_approval"]
SOREN = next(w for w in SEED["workspaces"].values() if w["name"] == "Søren's workspace")
SORENS_TASK = next(t for t in SEED["tasks"].values() if t["workspace_id"] == SOREN["id"])


def oldest_first(tasks: list[dict[str, Any]]) -> list[str]:
    return [t["id"] for t in sorted(tasks, key=lambda t: (t["created_at"], t["id"]))]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with sandbox_server("--max-page-size", "7", "--rate-limit", "0") as url:
        yield url


@pytest.fixture
def env(served: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(
        AITASKER_API_URL=served,
        AITASKER_TOKEN=TOKEN,
        AITASKER_CONFIG_DIR=str(tmp_path / "config"),
        COLUMNS="300",
    )


def run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    completed = aitasker(*argv, env=env)
    assert "Traceback" not in completed.stderr
    return completed


# --- against sandbox serve ------------------------------------------------------------------


def test_the_inbox_is_every_workspaces_awaiting_tasks(env: dict[str, str]) -> None:
    workspaces = run("workspaces", "list", "--all", "-o", "id", env=env).stdout.split()
    union: list[dict[str, Any]] = []
    for ws in workspaces:
        theirs = run(
            "workspaces", "tasks", ws, "--status", "awaiting_approval", "--all", "-o", "json",
            env=env,
        )  # fmt: skip
        union += json.loads(theirs.stdout)

    inbox = run("tasks", "inbox", "-o", "json", env=env)

    assert inbox.returncode == 0, inbox.stderr
    assert len(workspaces) == 24 and len(union) == len(AWAITING) > 5
    assert sorted(json.loads(inbox.stdout), key=lambda t: t["id"]) == sorted(
        union, key=lambda t: t["id"]
    )
    assert all(t["fingerprint"] == fingerprint(t) for t in union)


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "tsv", "id", "markdown", "table"])
def test_the_inbox_is_oldest_first_in_every_format(env: dict[str, str], fmt: str) -> None:
    inbox = run("tasks", "inbox", "-o", fmt, env=env)

    assert inbox.returncode == 0, inbox.stderr
    if fmt == "json":
        shown = [t["id"] for t in json.loads(inbox.stdout)]
    elif fmt == "ndjson":
        shown = [json.loads(line)["id"] for line in inbox.stdout.splitlines()]
    elif fmt == "csv":
        shown = [row["id"] for row in csv.DictReader(io.StringIO(inbox.stdout))]
    elif fmt in ("tsv", "id"):
        shown = [line.split("\t")[0] for line in inbox.stdout.splitlines()]
    else:  # short IDs in a table, full ones in markdown
        width = 36 if fmt == "markdown" else 8
        places = {t["id"]: inbox.stdout.find(t["id"][:width]) for t in AWAITING}
        assert -1 not in places.values()
        shown = sorted(places, key=places.__getitem__)
    assert shown == oldest_first(AWAITING)


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "ndjson", "tsv", "id"])
def test_tasks_list_sorts_the_formats_that_wait_and_streams_the_others(
    env: dict[str, str], fmt: str
) -> None:
    listed = run("tasks", "list", "--all", "-o", fmt, "--fields", "id,created_at", env=env)

    assert listed.returncode == 0, listed.stderr
    if fmt == "json":
        shown = [t["id"] for t in json.loads(listed.stdout)]
    elif fmt == "ndjson":
        shown = [json.loads(line)["id"] for line in listed.stdout.splitlines()]
    elif fmt == "csv":
        shown = [row["id"] for row in csv.DictReader(io.StringIO(listed.stdout))]
    elif fmt == "markdown":
        shown = re.findall(r"^\| ([0-9a-f-]{36}) \|", listed.stdout, re.MULTILINE)
    else:
        shown = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    every = list(SEED["tasks"].values())
    if fmt in ("json", "csv", "markdown"):
        assert shown == oldest_first(every)
    else:
        assert sorted(shown) == sorted(t["id"] for t in every)


def test_the_count_is_the_number_of_awaiting_tasks(env: dict[str, str]) -> None:
    counted = run("tasks", "inbox", "--count", env=env)

    assert (counted.returncode, counted.stdout, counted.stderr) == (0, f"{len(AWAITING)}\n", "")


@pytest.mark.parametrize(
    "typed",
    [
        SORENS_TASK["id"],
        SORENS_TASK["id"][:8],
        SORENS_TASK["id"][:4].upper(),
        f"Søren's workspace/{SORENS_TASK['id'][:6]}",
        f"{SOREN['id'][:8]}/{SORENS_TASK['id']}",
    ],
)
def test_show_by_id_prefix_and_workspace(env: dict[str, str], typed: str) -> None:
    shown = run("tasks", "show", typed, "-o", "json", env=env)

    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {**SORENS_TASK, "fingerprint": fingerprint(SORENS_TASK)}
    assert shown.stderr == f"Fingerprint: {fingerprint(SORENS_TASK)}\n"


def test_show_as_a_table_has_every_field_and_the_actions_in_full(env: dict[str, str]) -> None:
    one = AWAITING[0]

    shown = run("tasks", "show", one["id"], "-o", "table", env=env)

    assert shown.returncode == 0, shown.stderr
    for heading in ("TITLE", "DESCRIPTION", "APPROVAL LEVEL", "OUTPUT DATA", "FINGERPRINT"):
        assert heading in shown.stdout
    actions = shown.stdout.split("PROPOSED ACTIONS\n", 1)[1]
    assert json.loads(actions) == one["proposed_actions"]


@pytest.mark.parametrize(
    ("typed", "code", "message"),
    [
        ("00000000-0000-4000-8000-000000000000", 3, "no task has the ID"),
        ("ffff0000", 3, "no task has an ID starting with 'ffff0000'"),
        ("Nobody's workspace/ab12", 3, "no workspace has the ID or name"),
        ("Maya's workspace/0000", 2, "matches 2 workspaces"),
        ("not-a-task", 2, "is not a task ID or the start of one"),
    ],
)
def test_show_refuses_what_is_not_one_task(
    env: dict[str, str], typed: str, code: int, message: str
) -> None:
    shown = run("tasks", "show", typed, env=env)

    assert shown.returncode == code
    assert message in shown.stderr
    assert shown.stdout == ""


def test_an_ambiguous_prefix_is_exit_2_naming_the_tasks(tmp_path: Path) -> None:
    seeded = seed_state(100)
    by_start: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for one in seeded["tasks"].values():
        by_start[one["id"][:4]].append(one)
    start, twins = next((k, v) for k, v in sorted(by_start.items()) if len(v) > 1)
    with sandbox_server("--agents", "100", "--rate-limit", "0") as url:
        env = clean_env(AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN)
        shown = run("tasks", "show", start, env=env)
        each = [run("tasks", "show", one["id"][:9], "-o", "id", env=env) for one in twins]

    assert shown.returncode == 2
    assert f"'{start}' matches {len(twins)} tasks:" in shown.stderr
    assert all(one["id"][:8] in shown.stderr for one in twins)
    assert [done.stdout.strip() for done in each] == [one["id"] for one in twins]


def test_an_empty_inbox_is_exit_0_with_a_friendly_line(tmp_path: Path) -> None:
    with sandbox_server("--rate-limit", "0") as url:
        env = clean_env(AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN)
        for one in AWAITING:
            path = f"/api/v1/workspaces/{one['workspace_id']}/tasks/{one['id']}/approve"
            assert run("api", path, "-X", "POST", env=env).returncode == 0
        table = run("tasks", "inbox", "-o", "table", env=env)
        as_json = run("tasks", "inbox", "-o", "json", env=env)
        counted = run("tasks", "inbox", "--count", env=env)

    assert (table.returncode, table.stdout) == (0, "")
    assert table.stderr == "Nothing awaits your approval: the inbox is empty.\n"
    assert (as_json.returncode, as_json.stdout) == (0, "[]\n")
    assert counted.stdout == "0\n"


# --- cost, against a fake that counts -------------------------------------------------------

AWAITING_SIZES = [0, 1, 2, 49, 50, 51, 99, 100, 101, 0, 3, *([1, 0] * 24)]
"""Awaiting tasks per workspace: around the page size (50), and many small ones; each
workspace has as many running tasks besides, which the API filters out."""


@pytest.mark.parametrize(
    ("argv", "named"),
    [(["-o", "table"], True), (["-o", "tsv"], True), (["-o", "json"], False), (["--count"], False)],
)
def test_the_inbox_costs_the_listings_and_nothing_per_task(
    tmp_path: Path, argv: list[str], named: bool
) -> None:
    sizes = [2 * n for n in AWAITING_SIZES]
    fleet = Fleet.of(sizes, statuses=("awaiting_approval", "running"), agents=70)
    awaiting = Counter(t["workspace_id"] for t in fleet.tasks if t["status"] == "awaiting_approval")
    with fleet.served() as api:
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN, COLUMNS="300")
        inbox = run("tasks", "inbox", *argv, env=env)
        requests = Counter(path.split("?")[0] for _method, path, _headers in api.requests)

    assert inbox.returncode == 0, inbox.stderr
    w, a = len(fleet.workspaces), len(fleet.agents)
    assert (w, a) == (len(sizes), len(sizes) + 70)
    assert [awaiting[workspace_id(n)] for n in range(w)] == AWAITING_SIZES
    expected = Counter({WORKSPACES: listing_requests(w)})
    if named:
        expected[AGENTS] = listing_requests(a)
    for n, ws in enumerate(fleet.workspaces):
        expected[f"{WORKSPACES}/{ws['id']}/tasks"] = listing_requests(awaiting[workspace_id(n)])
    assert requests == expected
    assert sum(awaiting.values()) > 400  # so a request per task would show


# --- hostile text ---------------------------------------------------------------------------

HOSTILE = (*SHELL_AND_CONTROL_NAMES, "[red]x[/red] [bold]b[/bold] [link=https://x]y[/link]")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile_api() -> Iterator[tuple[str, Fleet]]:
    fleet = Fleet.of([len(HOSTILE)])
    for one, text in zip(fleet.tasks, HOSTILE, strict=True):
        one["title"] = f"::warning::x {text}"
        one["proposed_actions"] = {text: {"say": text, "::error::y": [text]}}
    with fleet.served() as api:
        yield api.url, fleet


@pytest.mark.parametrize(
    "argv",
    [
        ["tasks", "inbox", "-o", "table"],
        ["tasks", "list", "-o", "table"],
        ["tasks", "inbox", "-o", "tsv"],
        ["tasks", "inbox", "-o", "markdown"],
        ["tasks", "inbox", "-o", "ndjson"],
    ],
)
def test_hostile_titles_and_actions_are_shown_literally(
    hostile_api: tuple[str, Fleet], argv: list[str]
) -> None:
    url, fleet = hostile_api
    env = clean_env(AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN, COLUMNS="1000")

    shown = run(*argv, env=env)

    assert shown.returncode == 0, shown.stderr
    assert UNSAFE.findall(shown.stdout) == []
    escape = "\\u001b" if argv[-1] == "ndjson" else "\\x1b"  # JSON's own, or made visible
    assert shown.stdout.count(escape) >= 4  # shown, not obeyed
    if argv[-1] in ("table", "tsv"):
        assert "[red]x[/red] [bold]b[/bold] [link=https://x]y[/link]" in shown.stdout
        assert shown.stdout.count("::warning::x ") == len(HOSTILE)
        assert "\\u202egnp.exe\\u202c" in shown.stdout
    if argv[-1] == "ndjson":
        titles = [json.loads(line)["title"] for line in shown.stdout.splitlines()]
        ordered = sorted(fleet.tasks, key=lambda t: (t["created_at"], t["id"]))
        assert titles == [t["title"] for t in ordered]
    assert not any(line.lstrip().startswith("::") for line in shown.stdout.splitlines())


def test_hostile_actions_in_show_are_literal_indented_json(
    hostile_api: tuple[str, Fleet],
) -> None:
    url, fleet = hostile_api
    env = clean_env(AITASKER_API_URL=url, AITASKER_TOKEN=TOKEN, COLUMNS="200")
    worst = fleet.tasks[6]  # the clear-screen one

    shown = run("tasks", "show", worst["id"], "-o", "table", env=env)

    assert shown.returncode == 0, shown.stderr
    assert UNSAFE.findall(shown.stdout + shown.stderr) == []
    block = shown.stdout.split("PROPOSED ACTIONS\n", 1)[1]
    assert json.loads(block) == worst["proposed_actions"]  # JSON escapes keep the data
    assert all(line.startswith("  ") for line in block.splitlines())


# --- TAB ------------------------------------------------------------------------------------


def tab(line: str, env: dict[str, str]) -> list[str]:
    """What bash's TAB gets from the installed script for `line` (the completion protocol)."""
    words = line.split(" ")
    completed = subprocess.run(
        [installed_script()],
        env={**env, "_AITASKER_COMPLETE": "complete_bash", "COMP_WORDS": line,
             "COMP_CWORD": str(len(words) - 1)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.split()


def test_tab_completes_the_tasks_verbs_and_the_tasks_listed(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["AITASKER_CACHE_DIR"] = str(tmp_path / "cache")
    before = tab("aitasker tasks show ", env)
    assert run("tasks", "list", "--all", "-o", "id", env=env).returncode == 0

    assert tab("aitasker tasks ", env) == ["list", "inbox", "show", "wait", "approve", "reject"]
    assert tab("aitasker tasks i", env) == ["inbox"]
    assert before == []
    assert sorted(tab("aitasker tasks show ", env)) == sorted(SEED["tasks"])
    assert sorted(tab(f"aitasker tasks show {SORENS_TASK['id'][:6]}", env)) == [SORENS_TASK["id"]]
    # Approve and reject are offered the tasks awaiting approval only.
    assert sorted(tab("aitasker tasks approve ", env)) == sorted(t["id"] for t in AWAITING)
    assert tab("aitasker tasks list --status aw", env) == ["awaiting_approval"]


# --- a reader that leaves, Ctrl-C -----------------------------------------------------------


def test_a_reader_that_leaves_early_is_no_error(tmp_path: Path) -> None:
    with Fleet.of([60] * 30).served() as api:
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)
        piped = subprocess.run(
            ["/bin/bash", "-c", f"set -o pipefail; '{installed_script()}' tasks list --all "
             "-o ndjson | head -1"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    assert (piped.returncode, piped.stderr) == (0, "")
    assert len(piped.stdout.splitlines()) == 1


def test_ctrl_c_stops_every_listing_at_once(tmp_path: Path) -> None:
    with Fleet.of([3] * 40).served() as api:
        api.delay = 0.5
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)
        with subprocess.Popen(
            [installed_script(), "tasks", "inbox", "-o", "tsv"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ) as child:  # fmt: skip
            deadline = time.monotonic() + 20
            while len(api.requests) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=20)
            took = time.monotonic() - sent

    assert child.returncode == 130
    assert err == "Interrupted.\n"
    assert took < 1.0
