"""GitHub Actions mode, end to end: the installed `aitasker` under a simulated runner
environment, against `aitasker sandbox serve` whose agents and workspaces carry names that are
workflow commands, and against a hostile server whose error messages are.

Every line of both streams, in every format, is read as the runner reads it: none may be a
workflow command but aitasker's own annotations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aitasker_cli.sandbox.seed import seed_state
from tests import hostile
from tests.conftest import TOKEN, agent, uuid_n
from tests.processes import aitasker, clean_env, sandbox_server

NAMES = (
    "::add-mask::x",
    "x\n::stop-commands::y",
    "  ::warning::indented",
    "a ##[set-output name=x;]y",
    "Sales team of the north ::add-mask::wrapped",
)
"""The last one wraps in a narrow table, putting `::` at the start of a line of its own."""
SEED = seed_state()
ACTIVE = [a["id"] for a in SEED["agents"].values() if a["status"] == "active"][: len(NAMES)]
WORKSPACES = [w["id"] for w in SEED["workspaces"].values()][: len(NAMES)]
FORMATS = ("table", "json", "ndjson", "csv", "tsv", "id", "markdown")
OWN_COMMAND = re.compile(r"::(error|warning) title=aitasker( [a-z]+)+::[^\r\n]*")


def runner_commands(text: str) -> list[str]:
    """The lines the runner would act on: `::` after leading whitespace, or `##[` anywhere,
    with lines split at CR and LF as its reader splits them."""
    lines = re.split(r"\r\n|\r|\n", text)
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


def assert_no_command_but_ours(stdout: str, stderr: str) -> None:
    assert runner_commands(stdout) == []
    for line in runner_commands(stderr):
        assert OWN_COMMAND.fullmatch(line), line
        assert "##[" not in line


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The sandbox, its first active agents and first workspaces renamed to NAMES."""
    with sandbox_server("--rate-limit", "0") as url:
        headers = {"Authorization": "Bearer any"}
        for agent_id, name in zip(ACTIVE, NAMES, strict=True):
            renamed = httpx.patch(
                f"{url}/api/v1/workspaces/agents/{agent_id}",
                json={"display_name": name},
                headers=headers,
            )
            assert renamed.status_code == 200, renamed.text
        for workspace_id, name in zip(WORKSPACES, NAMES, strict=True):
            renamed = httpx.patch(
                f"{url}/api/v1/workspaces/{workspace_id}", json={"name": name}, headers=headers
            )
            assert renamed.status_code == 200, renamed.text
        yield url


@pytest.fixture
def summary(tmp_path: Path) -> Path:
    path = tmp_path / "step_summary.md"
    path.write_text("")
    return path


@pytest.fixture
def runner_env(served: str, tmp_path: Path, summary: Path) -> dict[str, str]:
    """A runner's environment, with a terminal 40 columns wide for `-o table`."""
    return clean_env(
        AITASKER_API_URL=served,
        AITASKER_TOKEN=TOKEN,
        AITASKER_CONFIG_DIR=str(tmp_path / "config"),
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
        COLUMNS="40",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_server_name_becomes_a_workflow_command_in_any_format(
    runner_env: dict[str, str], fmt: str
) -> None:
    commands = [
        ["agents", "list", "--all"],
        ["agents", "list", "--all", "--fields", "display_name,id"],
        ["workspaces", "list", "--all", "--fields", "name,id"],
        *(["agents", "show", agent_id] for agent_id in ACTIVE),
        *(["workspaces", "show", workspace_id] for workspace_id in WORKSPACES[:2]),
        ["agents", "pause", *ACTIVE],
        ["history"],
        ["undo", "--yes"],
        ["history", "--fields", "id"],
    ]
    for argv in commands:
        ran = aitasker(*argv, "-o", fmt, env=runner_env)

        assert ran.returncode == 0, (argv, ran.stderr)
        assert_no_command_but_ours(ran.stdout, ran.stderr)


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_json_keeps_every_name_for_a_parser(runner_env: dict[str, str], fmt: str) -> None:
    ran = aitasker("agents", "list", "--all", "-o", fmt, env=runner_env)

    lines = [ran.stdout] if fmt == "json" else ran.stdout.splitlines()
    listed = [item for line in lines for item in _as_list(json.loads(line))]
    assert set(NAMES) <= {item["display_name"] for item in listed}
    assert r"\u003a\u003aadd-mask::x" in ran.stdout
    assert r"a \u0023\u0023\u005bset-output" in ran.stdout


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_a_wrapped_table_line_is_neutralised_too(runner_env: dict[str, str]) -> None:
    argv = ("agents", "show", ACTIVE[4], "-o", "table", "--fields", "display_name")
    ran = aitasker(*argv, env=runner_env)
    off = aitasker(*argv, env={**runner_env, "AITASKER_GITHUB": "0"})

    assert "\\x3a\\x3aadd-mask::wrapped" in ran.stdout
    assert runner_commands(ran.stdout) == []
    assert [line.strip() for line in runner_commands(off.stdout)] == ["::add-mask::wrapped"]


def test_a_bulk_run_sums_up_in_the_job_summary_byte_for_byte(
    runner_env: dict[str, str], summary: Path
) -> None:
    paused = aitasker("agents", "pause", *ACTIVE[:4], "-o", "id", env=runner_env)
    resumed = aitasker("agents", "resume", *ACTIVE[:4], "-o", "id", env=runner_env)

    assert paused.returncode == 0 and resumed.returncode == 0, paused.stderr + resumed.stderr
    shown = ["::add-mask::x", "x\\\\n::stop-commands::y", "  ::warning::indented"]
    shown += ["a \\#\\#\\[set-output name=x;\\]y"]
    header = (
        "| ID | OK | DISPLAY NAME | STATUS | ERROR | OUTCOME | STATUS BEFORE | STATUS AFTER |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )

    def rows(before: str, after: str) -> str:
        return "".join(
            f"| {agent_id} | true | {name} | {after} |   | changed | {before} | {after} |\n"
            for agent_id, name in zip(ACTIVE, shown, strict=False)
        )

    assert summary.read_text(encoding="utf-8") == (
        f"### aitasker agents pause\n\n{header}{rows('active', 'paused')}\n"
        "4 agents: 4 changed.\n\n"
        f"### aitasker agents resume\n\n{header}{rows('paused', 'active')}\n"
        "4 agents: 4 changed.\n\n"
    )


def test_hostile_error_messages_are_annotations_and_nothing_more(tmp_path: Path) -> None:
    message = "x\n::stop-commands::y ##[error]z 100%"

    def change(exchange: hostile.Exchange) -> None:
        exchange.answer(409, {"detail": message})

    behaviour = hostile.routes(
        {
            ("GET", hostile.AGENTS): lambda exchange: exchange.answer(
                200, [agent(id=uuid_n(n), display_name=NAMES[n]) for n in (1, 2)]
            ),
            ("GET", hostile.ONE_AGENT): lambda exchange: exchange.answer(404, {"detail": message}),
            ("POST", hostile.CHANGE_AGENT): change,
        }
    )
    with hostile.serve(behaviour) as server:
        env = clean_env(
            AITASKER_API_URL=server.url,
            AITASKER_TOKEN=TOKEN,
            AITASKER_CONFIG_DIR=str(tmp_path),
            GITHUB_ACTIONS="true",
            GITHUB_STEP_SUMMARY=str(tmp_path / "step_summary.md"),
        )
        bulk = aitasker("agents", "pause", uuid_n(1), uuid_n(2), "--concurrency", "1", env=env)
        one = aitasker("agents", "show", uuid_n(1), env=env)

    assert bulk.returncode == 9 and one.returncode == 3
    assert_no_command_but_ours(bulk.stdout, bulk.stderr)
    assert_no_command_but_ours(one.stdout, one.stderr)
    why = r"x\n::stop-commands::y \x23\x23\x5berror]z 100%25 (HTTP 409)"
    assert [line for line in bulk.stderr.splitlines() if line.startswith("::")] == [
        f"::error title=aitasker agents pause::agent {uuid_n(1)} (x\\n::stop-commands::y) "
        f"failed: {why}",
        f"::error title=aitasker agents pause::agent {uuid_n(2)} (  ::warning::indented) "
        f"failed: {why}",
        "::error title=aitasker agents pause::pause: 2 of 2 agents not done%0AHint: Each "
        "item's result says why.",
    ]
    assert one.stderr.splitlines()[-1] == (
        r"::error title=aitasker agents show::x\n::stop-commands::y \x23\x23\x5berror]z 100%25"
        " (HTTP 404)"
    )
