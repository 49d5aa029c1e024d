"""Mass changes end to end, against `aitasker sandbox serve`: select, preview, confirm, undo.

The installed `aitasker` runs as a process over real HTTP; the fleet is read back from the
server after each step, so each check is on what really changed.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import aitasker, clean_env, installed_script, on_a_terminal, sandbox_server

TOKEN = "sandbox-accepts-any-token"


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """A served sandbox of 60 agents with no rate limit, and an environment pointed at it."""
    base = clean_env()
    with sandbox_server("--agents", "60", "--rate-limit", "0", env=base) as url:
        yield {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": TOKEN}


def fleet(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every agent the server has now, by ID."""
    listed = aitasker("agents", "list", "--all", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    return {item["id"]: item for item in json.loads(listed.stdout)}


def statuses(agents: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {agent_id: item["status"] for agent_id, item in agents.items()}


def results(stdout: str) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in map(json.loads, stdout.splitlines())}


def operation_of(stderr: str) -> str:
    return next(line.split(": ", 1)[1] for line in stderr.splitlines() if "Operation: " in line)


def test_pause_a_filtered_selection_then_undo_restores_the_fleet(env: dict[str, str]) -> None:
    before = fleet(env)
    wanted = {i for i, a in before.items() if a["status"] == "active" and a["tier"] == "pro"}
    assert len(wanted) >= 2  # the seed has several

    paused = aitasker("agents", "pause", "--all", "--where", "tier=pro", "--yes", "-o", "ndjson",
                      env=env)  # fmt: skip

    assert paused.returncode == 0, paused.stderr
    shown = results(paused.stdout)
    assert set(shown) == wanted
    assert {r["outcome"] for r in shown.values()} == {"changed"}
    assert all(
        r["status_before"] == "active" and r["status_after"] == "paused" for r in shown.values()
    )
    after = statuses(fleet(env))
    assert {i for i in before if after[i] != before[i]["status"]} == wanted
    operation = operation_of(paused.stderr)

    undone = aitasker("undo", operation, "--yes", "-o", "ndjson", env=env)

    assert undone.returncode == 0, undone.stderr
    assert set(results(undone.stdout)) == wanted
    assert statuses(fleet(env)) == statuses(before)


def test_undo_leaves_alone_an_agent_someone_changed_since(env: dict[str, str]) -> None:
    before = fleet(env)
    paused = aitasker("agents", "pause", "--all", "--where", "tier=pro", "--yes", "-o", "id",
                      env=env)  # fmt: skip
    changed = paused.stdout.split()
    meddled = changed[0]
    other = aitasker("agents", "resume", meddled, "-o", "id", env=env)  # another process
    assert other.returncode == 0, other.stderr
    assert "Operation: " in other.stderr

    undone = aitasker("undo", operation_of(paused.stderr), "--yes", "-o", "ndjson", env=env)

    assert undone.returncode == 9, undone.stderr  # a skipped item is exit 9
    shown = results(undone.stdout)
    assert shown[meddled]["outcome"] == "skipped"
    assert "changed since" in shown[meddled]["reason"]
    assert {shown[i]["outcome"] for i in changed[1:]} == {"changed"}
    assert statuses(fleet(env)) == statuses(before)


def test_undoing_an_undo_redoes(env: dict[str, str]) -> None:
    paused = aitasker("agents", "pause", "--all", "--where", "tier=pro", "--yes", env=env)
    once = statuses(fleet(env))
    aitasker("undo", operation_of(paused.stderr), "--yes", env=env)

    redone = aitasker("undo", "--yes", env=env)  # the last operation: the undo

    assert redone.returncode == 0, redone.stderr
    assert statuses(fleet(env)) == once


def test_dry_run_shows_each_change_and_sends_nothing(env: dict[str, str]) -> None:
    before = fleet(env)
    active = [i for i, a in before.items() if a["status"] == "active"]
    paused = [i for i, a in before.items() if a["status"] == "paused"]

    preview = aitasker("agents", "pause", active[0], paused[0], "--dry-run", "-o", "json", env=env)

    assert preview.returncode == 0, preview.stderr
    shown = {r["id"]: r for r in json.loads(preview.stdout)}
    assert shown[active[0]] | {"agent": None} == {
        "id": active[0],
        "ok": True,
        "outcome": "would_change",
        "action": "pause",
        "name": before[active[0]]["display_name"],
        "status_before": "active",
        "status_after": "paused",
        "dry_run": True,
        "agent": None,
    }
    assert (shown[paused[0]]["outcome"], shown[paused[0]]["status_after"]) == (
        "unchanged",
        "paused",
    )
    assert "nothing was sent" in preview.stderr and "Operation" not in preview.stderr
    assert fleet(env) == before


def test_all_without_a_terminal_needs_yes_and_changes_nothing(env: dict[str, str]) -> None:
    before = fleet(env)

    refused = aitasker("agents", "pause", "--all", env=env)

    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert fleet(env) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--all", "--where", "tierr=pro"], "no listed agent has the field 'tierr'"),
        (["--all", "--where", "tier"], "is not FIELD=VALUE"),
        (["--where", "tier=pro"], "--where narrows --all"),
        (["--all", "00000000-0000-4000-8000-000000000001"], "do not mix"),
        (["--all", "--stdin"], "do not mix"),
    ],
)
def test_selections_that_cannot_mean_one_thing_are_exit_2(
    env: dict[str, str], argv: list[str], message: str
) -> None:
    before = fleet(env)

    refused = aitasker("agents", "pause", *argv, "--yes", env=env)

    assert refused.returncode == 2, refused.stderr
    assert message in refused.stderr
    assert fleet(env) == before


def test_selecting_nobody_is_an_empty_result_and_exit_0(env: dict[str, str]) -> None:
    nobody = aitasker("agents", "resume", "--all", "--where", "tier=nonesuch", "-o", "json",
                      env=env)  # fmt: skip

    assert (nobody.returncode, nobody.stdout) == (0, "[]\n")
    assert "Operation" not in nobody.stderr


def test_undo_from_the_results_file_of_a_run_whose_journal_is_gone(
    env: dict[str, str], tmp_path: Path
) -> None:
    before = fleet(env)
    paused = aitasker("agents", "pause", "--all", "--yes", "-o", "ndjson", env=env)
    saved = tmp_path / "results.ndjson"
    saved.write_text(paused.stdout, encoding="utf-8")
    elsewhere = {**env, "AITASKER_STATE_DIR": str(tmp_path / "another-runner")}

    undone = aitasker("undo", "--from", str(saved), "--yes", "-o", "id", env=elsewhere)

    assert undone.returncode == 0, undone.stderr
    assert statuses(fleet(env)) == statuses(before)


def test_the_journal_holds_no_token_and_history_lists_the_runs(env: dict[str, str]) -> None:
    paused = aitasker("agents", "pause", "--all", "--where", "tier=pro", "--yes", env=env)
    aitasker("undo", "--yes", env=env)

    listed = aitasker("history", "-o", "json", env=env)

    assert listed.returncode == 0, listed.stderr
    newest, oldest = json.loads(listed.stdout)
    assert (newest["action"], newest["undoes"]) == ("undo", operation_of(paused.stderr))
    assert oldest["action"] == "pause" and oldest["changed"] == newest["changed"] > 0
    journal = Path(env["AITASKER_STATE_DIR"], "journal.jsonl").read_text(encoding="utf-8")
    assert TOKEN not in journal


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv", "tsv", "id", "markdown"])
def test_history_in_every_format(env: dict[str, str], fmt: str) -> None:
    paused = aitasker("agents", "pause", "--all", "--where", "tier=pro", "--yes", env=env)

    listed = aitasker("history", "-o", fmt, env=env)

    assert listed.returncode == 0, listed.stderr
    assert operation_of(paused.stderr)[:8] in listed.stdout


def test_ctrl_c_mid_run_journals_what_was_done(env: dict[str, str]) -> None:
    before = fleet(env)
    with subprocess.Popen(
        [installed_script(), "agents", "pause", "--all", "--yes", "-o", "ndjson", "-j", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        first = child.stdout.readline()
        child.send_signal(signal.SIGINT)
        # From the same buffered reader: communicate() would miss what readline() buffered.
        rest = child.stdout.read()
        stderr = child.stderr.read()
        child.wait(timeout=30)
    shown = results((first + rest).decode())

    assert child.returncode == 130, stderr
    outcomes = {r["outcome"] for r in shown.values()}
    assert "changed" in outcomes
    done = {i for i, r in shown.items() if r["outcome"] == "changed"}
    history = json.loads(aitasker("history", "-o", "json", env=env).stdout)
    assert history[0]["id"] == operation_of(stderr.decode())
    now = statuses(fleet(env))
    changed_on_the_server = {i for i in before if now[i] != before[i]["status"]}
    in_flight = {
        i for i, r in shown.items() if "in flight" in r.get("error", {}).get("message", "")
    }
    assert done <= changed_on_the_server <= done | in_flight  # an item in flight may be done
    # The journal has what the API accepted, even a change whose result the signal cut off.
    assert len(done) <= history[0]["changed"] <= len(changed_on_the_server)

    aitasker("undo", "--yes", env=env)

    assert statuses(fleet(env)) == statuses(before)


def _on_a_terminal(argv: list[str], env: dict[str, str], answer: bytes) -> tuple[int, str]:
    """Run with stdin and stderr a pseudo-terminal; answer the question; exit code and screen."""
    code, screen, _out = on_a_terminal(argv, env, answer, b"[y/N]")
    return code, screen


@pytest.mark.parametrize(("answer", "code"), [(b"n\n", 2), (b"\n", 2), (b"y\n", 0)])
def test_all_asks_on_a_terminal_with_the_count_and_names(
    env: dict[str, str], answer: bytes, code: int
) -> None:
    before = fleet(env)
    wanted = [a for a in before.values() if a["status"] == "active" and a["tier"] == "pro"]

    exit_code, screen = _on_a_terminal(
        ["agents", "pause", "--all", "--where", "tier=pro", "-o", "id"], env, answer
    )

    assert exit_code == code, screen
    assert f"Pause {len(wanted)} agents (" in screen
    assert wanted[0]["display_name"] in screen
    changed = {i for i, s in statuses(fleet(env)).items() if s != before[i]["status"]}
    assert changed == ({a["id"] for a in wanted} if code == 0 else set())


def test_a_journal_that_cannot_be_written_is_a_warning_not_a_failure(
    env: dict[str, str], tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    unwritable = {**env, "AITASKER_STATE_DIR": str(blocked / "state")}
    active = next(i for i, a in fleet(env).items() if a["status"] == "active")

    paused = aitasker("agents", "pause", active, "-o", "id", env=unwritable)

    assert (paused.returncode, paused.stdout) == (0, f"{active}\n")
    assert "cannot write the journal" in paused.stderr and "cannot be undone" in paused.stderr
    assert statuses(fleet(env))[active] == "paused"


def test_undo_of_an_agent_that_is_gone_is_exit_9_with_every_result(
    env: dict[str, str], tmp_path: Path
) -> None:
    active = next(i for i, a in fleet(env).items() if a["status"] == "active")
    gone = "00000000-0000-4000-8000-0000000000aa"
    paused = aitasker("agents", "pause", active, "--stdin", "-o", "ndjson", env=env)
    lines = paused.stdout + json.dumps(
        {"id": gone, "ok": True, "outcome": "changed", "status_before": "active",
         "status_after": "paused"}
    ) + "\n"  # fmt: skip

    undone = aitasker("undo", "--from", "-", "--yes", "-o", "ndjson", env=env, stdin=lines)

    assert undone.returncode == 9, undone.stderr
    shown = results(undone.stdout)
    assert (shown[active]["outcome"], shown[gone]["outcome"]) == ("changed", "failed")
    assert statuses(fleet(env))[active] == "active"


def test_changes_are_sent_while_the_look_up_is_still_listing_pages() -> None:
    """The second page of the listing is answered only once a pause has arrived: a run that
    looked every agent up before sending anything would wait here, and fail."""
    import threading

    from tests.conftest import agent, uuid_n
    from tests.loopback import serve

    ids = [uuid_n(n) for n in range(1, 101)]
    first_pause = threading.Event()
    waited_in_vain: list[bool] = []

    def page(query: dict[str, list[str]]) -> tuple[int, Any]:
        offset = int(query.get("offset", ["0"])[0])
        if offset > 0:
            waited_in_vain.append(not first_pause.wait(10))
        return 200, [agent(id=i, status="active") for i in ids[offset : offset + 50]]

    def paused(agent_id: str) -> Any:
        def answer(_query: dict[str, list[str]]) -> tuple[int, Any]:
            first_pause.set()
            return 200, agent(id=agent_id, status="paused")

        return answer

    with serve() as api:
        api.routes[("GET", "/api/v1/workspaces/agents")] = page
        for agent_id in ids:
            api.routes[("POST", f"/api/v1/workspaces/agents/{agent_id}/pause")] = paused(agent_id)
        env = clean_env(AITASKER_API_URL=api.url, AITASKER_TOKEN=TOKEN)
        done = aitasker("agents", "pause", "--stdin", "-o", "ndjson", env=env, stdin="\n".join(ids))

    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["id"] for r in results) == ids
    assert {(r["outcome"], r["status_before"]) for r in results} == {("changed", "active")}
    assert waited_in_vain and not any(waited_in_vain)
