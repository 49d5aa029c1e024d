"""GitHub Actions mode: annotations for errors and items not done, the job summary, and no
workflow command in anything else aitasker writes.

The escaping functions are checked against GitHub's documented rules; the commands run
in-process through the real entry point, under a simulated runner environment (GITHUB_ACTIONS,
a GITHUB_STEP_SUMMARY file), with respx at the HTTP boundary. tests/test_github_end_to_end.py
runs the installed `aitasker` against `sandbox serve`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from aitasker_cli.domain import views
from aitasker_cli.domain.formats import Output, OutputFormat
from aitasker_cli.local import journal
from aitasker_cli.local.journal_records import Item, Operation
from aitasker_cli.output import github, render, workflow
from tests.conftest import API, agent, task, uuid_n

AGENTS = "/api/v1/workspaces/agents"
HOSTILE = (
    "::add-mask::x",
    "x\n::stop-commands::y",
    "  ::warning::indented",
    "a ##[set-output name=x;]y",
)
OWN_COMMAND = re.compile(r"::(error|warning) title=aitasker( [a-z]+)*::")


def runner_commands(text: str) -> list[str]:
    """The lines of `text` the runner would take for workflow commands (it trims leading
    whitespace before looking for `::`, finds `##[` anywhere, and splits at CR and LF)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return [line for line in lines if line.lstrip().startswith("::") or "##[" in line]


@pytest.fixture
def summary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """GitHub mode on, as on a runner, with an empty job summary file."""
    path = tmp_path / "step_summary.md"
    path.write_text("")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    monkeypatch.delenv("AITASKER_GITHUB", raising=False)
    return path


@pytest.fixture
def named() -> Iterator[None]:
    """A test that names the command itself leaves no name behind."""
    yield
    github.running("aitasker")


# --- escaping, as GitHub documents it --------------------------------------------------------


def test_messages_escape_percent_and_line_breaks() -> None:
    assert github.escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"


def test_properties_also_escape_colon_and_comma() -> None:
    assert github.escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"


def test_a_command_escapes_its_title_and_message() -> None:
    line = github.command("error", "bad: 100%\nnext ##[x]", title="aitasker a:b,c")

    assert line == r"::error title=aitasker a%3Ab%2Cc::bad: 100%25%0Anext \x23\x23\x5bx]"


@pytest.mark.parametrize(
    ("environment", "active"),
    [
        ({"GITHUB_ACTIONS": "true"}, True),
        ({"GITHUB_ACTIONS": "TRUE"}, True),
        ({"GITHUB_ACTIONS": "true", "AITASKER_GITHUB": "0"}, False),
        ({"GITHUB_ACTIONS": "true", "AITASKER_GITHUB": "1"}, True),
        ({"GITHUB_ACTIONS": "false"}, False),
        ({"CI": "true"}, False),
    ],
)
def test_github_mode_is_on_in_a_workflow_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], active: bool
) -> None:
    for name in ("GITHUB_ACTIONS", "AITASKER_GITHUB", "CI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert github.active() is active


# --- what is neutralised ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("::add-mask::x", r"\x3a\x3aadd-mask::x"),
        ("  ::warning::indented", r"  \x3a\x3awarning::indented"),
        ("\u00a0\t::x", "\u00a0\t\\x3a\\x3ax"),
        ("a ##[set-output name=x;]y", r"a \x23\x23\x5bset-output name=x;]y"),
        ("a\n  ::b\r::c", "a\n  \\x3a\\x3ab\r\\x3a\\x3ac"),
        ("\x1b[1m::x", "\x1b[1m\\x3a\\x3ax"),
        ("a::b", "a::b"),
        ("plain", "plain"),
    ],
)
def test_text_that_would_start_a_command_is_escaped(text: str, inert: str) -> None:
    assert github.inert(text) == inert
    assert runner_commands(github.inert(text)) == []


@pytest.mark.parametrize("value", [*HOSTILE, {"::key": ["::v", " ##[x"]}, "\t::tab", "a::b"])
def test_json_escapes_keep_the_data(value: Any) -> None:
    for compact in (True, False):
        text = json.dumps(value, ensure_ascii=False, indent=None if compact else 2)
        inert = github.inert_json(text)

        assert json.loads(inert) == value
        assert "##[" not in inert
        assert not re.search(r'"\s*::', inert)


def test_json_escapes_are_the_documented_ones() -> None:
    text = json.dumps(["::a", "x ##[y"])

    assert github.inert_json(text) == r'["\u003a\u003aa", "x \u0023\u0023\u005by"]'


# --- annotations and the job summary, in-process ---------------------------------------------


def recorded_pause(names: list[str]) -> Operation:
    """A pause of agents 1..n (named `names`), as the journal holds it: undo's input."""
    operation = Operation(
        id="20261206T070001-000001",
        time="2026-12-06T07:00:01Z",
        profile="default",
        host=API.split("/")[2],
        action="pause",
        items=tuple(
            Item(uuid_n(n), name, "active", "paused", "changed")
            for n, name in enumerate(names, start=1)
        ),
        api_url=API,
    )
    journal.record(operation)
    return operation


def test_undo_annotates_failed_and_skipped_items_and_sums_up_in_the_job_summary(
    run: Any, api: respx.MockRouter, logged_in: str, summary: Path
) -> None:
    recorded_pause(["Maya", "  ::warning::indented", "a ##[set-output name=x;]y"])
    now = [agent(id=uuid_n(1), status="paused", display_name="Maya")]
    now += [agent(id=uuid_n(2), status="active", display_name=HOSTILE[2])]
    now += [agent(id=uuid_n(3), status="paused", display_name=HOSTILE[3])]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=now))
    for one in now:
        api.get(f"{AGENTS}/{one['id']}").mock(return_value=httpx.Response(200, json=one))
    api.post(f"{AGENTS}/{uuid_n(1)}/resume").mock(
        return_value=httpx.Response(200, json={**now[0], "status": "active"})
    )
    api.post(f"{AGENTS}/{uuid_n(3)}/resume").mock(
        return_value=httpx.Response(409, json={"detail": "::add-mask::boom\n##[error]50%"})
    )

    result = run("undo", "--yes", "-o", "json")

    assert result.exit_code == 9, result.stderr
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::")]
    assert sorted(annotations[:2]) == [
        "::error title=aitasker undo::agent 00000000-0000-4000-8000-000000000003 "
        r"(a \x23\x23\x5bset-output name=x;]y) failed: ::add-mask::boom\n\x23\x23\x5berror]50%25"
        " (HTTP 409)",
        "::warning title=aitasker undo::agent 00000000-0000-4000-8000-000000000002 "
        "(  ::warning::indented) skipped: changed since: now active, not paused",
    ]
    assert annotations[2:] == [
        "::error title=aitasker undo::undo: 2 of 3 agents not done%0AHint: Each item's result "
        "says why."
    ]
    assert all(OWN_COMMAND.match(line) for line in runner_commands(result.stderr))
    assert runner_commands(result.stdout) == []
    assert [r["name"] for r in result.json()] == ["Maya", HOSTILE[2], HOSTILE[3]]
    assert summary.read_text(encoding="utf-8") == (
        "### aitasker undo\n"
        "\n"
        "| ID | OK | DISPLAY NAME | STATUS | ERROR | OUTCOME | STATUS BEFORE | STATUS AFTER |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| 00000000-0000-4000-8000-000000000001 | true | Maya | active |   | changed | paused "
        "| active |\n"
        "| 00000000-0000-4000-8000-000000000002 | false |   ::warning::indented | active "
        "| changed since: now active, not paused | skipped | active | active |\n"
        "| 00000000-0000-4000-8000-000000000003 | false | a \\#\\#\\[set-output name=x;\\]y "
        "|   | ::add-mask::boom\\\\n\\#\\#\\[error\\]50% | failed | paused |   |\n"
        "\n"
        "3 agents: 1 changed, 1 skipped, 1 failed.\n"
        "\n"
    )


def test_an_error_is_also_an_annotation(
    run: Any, api: respx.MockRouter, logged_in: str, summary: Path
) -> None:
    api.get(f"{AGENTS}/{uuid_n(1)}").mock(
        return_value=httpx.Response(
            404, json={"detail": "  ::add-mask::gone ##[x]"}, headers={"X-Request-ID": "req_1"}
        )
    )

    result = run("agents", "show", uuid_n(1))

    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        r"Error:   ::add-mask::gone \x23\x23\x5bx] (HTTP 404)",
        "Request ID: req_1",
        r"::error title=aitasker agents show::  \x3a\x3aadd-mask::gone \x23\x23\x5bx] "
        "(HTTP 404)%0ARequest ID: req_1",
    ]
    assert summary.read_text() == ""  # one agent shown: nothing for the job summary


def test_nothing_changes_with_github_mode_off(
    run: Any, api: respx.MockRouter, logged_in: str, summary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = [agent(id=uuid_n(n), display_name=name) for n, name in enumerate(HOSTILE, start=1)]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=fleet))
    for one in fleet[:2]:
        api.get(f"{AGENTS}/{one['id']}").mock(return_value=httpx.Response(200, json=one))
        api.post(f"{AGENTS}/{one['id']}/pause").mock(return_value=httpx.Response(409, json={}))
    argv = ("agents", "list", "-o", "tsv", "--fields", "display_name,id")
    on = run(*argv)
    monkeypatch.setenv("AITASKER_GITHUB", "0")

    off = run(*argv)
    failed = run("agents", "pause", uuid_n(1), uuid_n(2))

    assert runner_commands(on.stdout) == []
    assert runner_commands(off.stdout) == [
        f"{HOSTILE[0]}\t{uuid_n(1)}",
        f"{HOSTILE[2]}\t{uuid_n(3)}",
        f"{HOSTILE[3]}\t{uuid_n(4)}",
    ]
    assert failed.exit_code == 9 and "::" not in failed.stderr
    assert summary.read_text() == ""


def test_tsv_escapes_read_back_as_the_names(
    run: Any, api: respx.MockRouter, logged_in: str, summary: Path
) -> None:
    fleet = [agent(id=uuid_n(n), display_name=name) for n, name in enumerate(HOSTILE, start=1)]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=fleet))

    result = run("agents", "list", "-o", "tsv", "--fields", "display_name")

    assert [tsv_value(line) for line in result.stdout.splitlines()] == list(HOSTILE)


@pytest.mark.parametrize("fmt", ["tsv", "csv", "table"])
def test_a_value_is_neutralised_in_any_column_not_only_the_first(
    run: Any, api: respx.MockRouter, logged_in: str, summary: Path, fmt: str
) -> None:
    fleet = [agent(id=uuid_n(n), display_name=name) for n, name in enumerate(HOSTILE, start=1)]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=fleet))

    result = run("agents", "list", "-o", fmt, "--fields", "status,display_name")

    assert r"\x3a\x3aadd-mask::x" in result.stdout
    assert r"  \x3a\x3awarning::indented" in result.stdout
    assert r"a \x23\x23\x5bset-output name=x;]y" in result.stdout


def tsv_value(cell: str) -> str:
    """A TSV cell read back: `\\\\` is a backslash, `\\n` `\\t` `\\r` and `\\xNN` what they name."""
    named = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    return re.sub(
        r"\\(x[0-9a-f]{2}|.)",
        lambda m: named.get(m[1]) or chr(int(m[1][1:], 16)),
        cell,
    )


def test_a_listing_can_sum_up_in_the_job_summary(
    summary: Path, capsys: pytest.CaptureFixture[str], named: None
) -> None:
    """What `tasks inbox` asks for: its table and a count, with the command's name."""
    tasks = [task(id=uuid_n(1), title="Draft ##[post]"), task(id=uuid_n(2), title="::x")]
    out = Output(OutputFormat.tsv, ("id", "title"), color=False)
    github.running("aitasker tasks inbox")

    render.show_many(iter(tasks), views.TASKS, out, summary="awaiting approval")
    render.summarize_count(0, views.TASKS, "awaiting approval")

    assert capsys.readouterr().out == (
        f"{uuid_n(1)}\tDraft \\x23\\x23\\x5bpost]\n{uuid_n(2)}\t\\x3a\\x3ax\n"
    )
    assert summary.read_text() == (
        "### aitasker tasks inbox\n\n| ID | TITLE |\n| --- | --- |\n"
        f"| {uuid_n(1)} | Draft \\#\\#\\[post\\] |\n| {uuid_n(2)} | ::x |\n\n"
        "2 tasks awaiting approval.\n\n"
        "### aitasker tasks inbox\n\n0 tasks awaiting approval.\n\n"
    )


# --- the job summary's bound -----------------------------------------------------------------


def test_a_summary_that_does_not_fit_is_cut_between_rows_with_a_note() -> None:
    summary = workflow.Summary("| ID |\n| --- |\n")
    for n in range(1000):
        summary.add(f"| {uuid_n(n)} |\n", rank=999 - n)

    text = summary.text("1,000 agents: 1,000 changed.", room=10_000)

    assert text is not None and len(text.encode()) <= 10_000
    rows = [line for line in text.splitlines() if line.startswith("| 0")]
    assert rows == [f"| {uuid_n(n)} |" for n in range(999, 999 - len(rows), -1)]
    assert text.endswith(
        f"1,000 agents: 1,000 changed. The first {len(rows)} of 1,000 rows are shown: the job "
        "summary is kept under 512 KiB; the command's output has them all.\n\n"
    )
    assert workflow.Summary("| ID |\n").text("1 agent.", room=20) is None


def test_a_nearly_full_job_summary_gets_what_fits_and_a_full_one_nothing(
    run: Any, api: respx.MockRouter, logged_in: str, summary: Path
) -> None:
    ids = [uuid_n(n) for n in range(1, 41)]
    api.get(AGENTS).mock(return_value=httpx.Response(200, json=[agent(id=i) for i in ids]))
    for agent_id in ids:
        api.post(f"{AGENTS}/{agent_id}/pause").mock(
            return_value=httpx.Response(200, json=agent(id=agent_id, status="paused"))
        )
    summary.write_text("x" * (workflow.SUMMARY_LIMIT - 2_000))

    cut = run("agents", "pause", *ids, "-o", "id")
    size = summary.stat().st_size
    full = run("agents", "pause", *ids, "-o", "id")

    assert cut.exit_code == 0 and full.exit_code == 0
    assert workflow.SUMMARY_LIMIT - 2_000 < size <= workflow.SUMMARY_LIMIT
    added = summary.read_text()[workflow.SUMMARY_LIMIT - 2_000 :]
    assert added.startswith("### aitasker agents pause\n\n| ID |")
    assert "rows are shown: the job summary is kept under 512 KiB" in added
    assert summary.stat().st_size == size
    assert "Warning: the job summary is over 512 KiB; this run's summary is left out" in (
        full.stderr
    )


def test_a_usage_error_quoting_what_was_typed_is_no_workflow_command() -> None:
    import subprocess

    from tests.processes import clean_env, installed_script

    env = clean_env(GITHUB_ACTIONS="true")
    typed = "a ##[set-output name=x;]y"
    for argv in ([typed], ["agents", "list", "-o", typed], ["agents", "list", "--" + typed]):
        done = subprocess.run(
            [installed_script(), *argv], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 2
        assert "##[" not in done.stderr and "\\x23\\x23\\x5b" in done.stderr
