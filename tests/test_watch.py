"""`--watch` against a fake API whose listing changes on a schedule (each poll gets the next
listing of a script): the installed `aitasker`, over real HTTP on loopback, with real signals.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from typing import Any

import pytest

from tests.conftest import TOKEN, agent
from tests.hostile import AGENTS, Exchange, routes, serve
from tests.processes import aitasker, clean_env, installed_script

A, B, C = (f"{letter * 8}-0000-4000-8000-000000000001" for letter in "abc")
SCRIPT = [
    [agent(id=A, status="active"), agent(id=B, status="active")],
    [agent(id=A, status="paused"), agent(id=C, status="active")],
    [agent(id=A, status="paused"), agent(id=C, status="active")],
]


def scripted(
    listings: Sequence[list[dict[str, Any]]], headers: Sequence[tuple[str, str]] = ()
) -> Any:
    polls = {"n": 0}

    def answer(exchange: Exchange) -> None:
        if exchange.request.query.get("offset", ["0"]) != ["0"]:
            exchange.answer(200, [], headers)
            return
        exchange.answer(200, listings[min(polls["n"], len(listings) - 1)], headers)
        polls["n"] += 1

    return routes({("GET", AGENTS): answer})


def watch_until(server: Any, polls: int, *argv: str) -> tuple[list[dict[str, Any]], str, int]:
    env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
    with subprocess.Popen(
        [installed_script(), "agents", "list", "--watch", "--interval", "1", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    ) as child:
        assert server.wait_for(polls, seconds=30, method="GET")
        time.sleep(0.3)  # the last poll's events written
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    return [json.loads(line) for line in out.splitlines()], err, child.returncode


def test_the_event_stream_shows_exactly_the_changes() -> None:
    with serve(scripted(SCRIPT)) as server:
        events, err, code = watch_until(server, 6)  # three polls of two pages

    assert code == 130, err
    assert [(e["event"], e["id"]) for e in events] == [
        ("added", A),
        ("added", B),
        ("changed", A),
        ("added", C),
        ("removed", B),
    ]  # the third poll saw nothing new: no event, no duplicate
    changed = events[2]
    assert changed["before"]["status"] == "active" and changed["after"]["status"] == "paused"
    assert set(changed["before"]) == set(changed["after"]) == {"status"}
    assert changed["item"]["status"] == "paused"
    assert all(e["at"].endswith("Z") for e in events)


def test_a_watch_keeps_within_half_the_budget_the_headers_announce() -> None:
    budget = [("X-RateLimit-Limit", "300"), ("X-RateLimit-Remaining", "8")]  # 4 polls a minute
    with serve(scripted(SCRIPT, budget)) as server:
        env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
        with subprocess.Popen(
            [installed_script(), "agents", "list", "--watch", "--interval", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        ) as child:
            time.sleep(4)
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=10)
            requests = server.count("GET")
            polls = sum(r.query.get("offset") == ["0"] for r in server.requests)

    assert child.returncode == 130
    # A poll is 2 requests (a short page, then an empty one to be sure); 4 may be used of the
    # 8 left, so one poll every 30 s. At --interval 1 it would have polled four times.
    assert (polls, requests) == (1, 2)
    assert err.count("polling every 30 s instead of 1 s") == 1


def test_ctrl_c_ends_a_watch_within_a_second() -> None:
    with serve(scripted(SCRIPT)) as server:
        env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
        with subprocess.Popen(
            [installed_script(), "agents", "list", "--watch"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        ) as child:
            assert server.wait_for(1, method="GET")
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=10)

    assert child.returncode == 130 and time.monotonic() - sent < 1.0
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["-o", "json"], ["-o", "tsv"], ["-o", "table"], ["--limit", "5"]])
def test_what_cannot_be_followed_is_exit_2(argv: list[str]) -> None:
    done = aitasker("agents", "list", "--watch", *argv, env=clean_env(AITASKER_TOKEN=TOKEN))

    assert done.returncode == 2
    assert "--watch" in done.stderr


def test_the_live_table_in_a_terminal(tmp_path: Any) -> None:
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("needs tmux (Debian: tmux) to look at a real terminal")
    with serve(scripted(SCRIPT)) as server:
        env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
        env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
        base = [tmux, "-S", str(tmp_path / "tmux"), "-f", "/dev/null"]
        command = f"{installed_script()} agents list --watch --interval 1; echo EXIT=$?; sleep 30"
        subprocess.run(
            [*base, "new-session", "-d", "-x", "80", "-y", "30", command],
            env={**env, "TERM": "xterm-256color"},
            check=True,
            timeout=30,
        )
        try:
            assert server.wait_for(4, seconds=30, method="GET")  # two polls of two pages
            time.sleep(0.5)
            screen = subprocess.run(
                [*base, "capture-pane", "-p", "-e"], capture_output=True, text=True, check=True
            ).stdout
            subprocess.run([*base, "send-keys", "C-c"], check=True)
            time.sleep(1.0)
            after = subprocess.run(
                [*base, "capture-pane", "-p"], capture_output=True, text=True, check=True
            ).stdout
        finally:
            subprocess.run([*base, "kill-server"], capture_output=True, check=False)

    assert "Updated " in screen and "Ctrl-C to stop" in screen
    assert A[:8] in screen and C[:8] in screen and B[:8] not in screen
    assert "\x1b[7m" in screen  # the changed status shown reversed for a round
    assert "EXIT=130" in after
    assert A[:8] in after  # the last table stays readable


def test_the_inbox_watch_sees_a_task_decided_elsewhere_leave() -> None:
    from tests.processes import sandbox_server

    base = clean_env()
    with sandbox_server("--rate-limit", "0", env=base) as url:
        env = {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": "any"}
        with subprocess.Popen(
            [installed_script(), "tasks", "inbox", "--watch", "--interval", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        ) as child:
            assert child.stdout is not None
            first = json.loads(child.stdout.readline())
            assert first["event"] == "added"
            decided = aitasker("tasks", "approve", first["id"], "--yes", env=env)
            assert decided.returncode == 0, decided.stderr
            seen = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                seen.append(json.loads(child.stdout.readline()))
                if seen[-1]["event"] == "removed":
                    break
            child.send_signal(signal.SIGINT)
            child.communicate(timeout=10)

    assert [(e["event"], e["id"]) for e in seen if e["event"] != "added"] == [
        ("removed", first["id"])
    ]
    assert seen[-1]["item"]["status"] == "awaiting_approval"  # as it was last listed


@pytest.mark.parametrize(("remaining", "per_poll", "wanted"), [(3, 6, 240.0), (0, 6, 60.0),
                                                              (None, 101, 40.4)])  # fmt: skip
def test_the_pace_keeps_to_half_of_what_is_left(
    remaining: int | None, per_poll: int, wanted: float
) -> None:
    from aitasker_cli.ops.watching import paced

    assert paced(1.0, per_poll, remaining) == pytest.approx(wanted)


def test_fields_shape_the_events() -> None:
    with serve(scripted(SCRIPT)) as server:
        events, err, code = watch_until(server, 4, "--fields", "status", "-o", "ndjson")

    assert code == 130, err
    assert events[0]["item"] == {"status": "active", "id": A}
    assert [e["event"] for e in events[:3]] == ["added", "added", "changed"]
    assert events[2]["after"] == {"status": "paused"}


def test_a_listing_taller_than_the_terminal_keeps_the_footer_in_view() -> None:
    from rich.console import Console

    from aitasker_cli.domain import views
    from aitasker_cli.output.live import watch_table

    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(40)]
    items = {agent_id: agent(id=agent_id) for agent_id in ids}
    shown = watch_table(views.AGENTS, ["id", "status"], items, {}, "Updated now", height=12)
    console = Console(width=80, height=12, record=True, file=io.StringIO())
    console.print(shown)
    lines = console.export_text().splitlines()

    assert len(lines) <= 12
    assert lines[-1] == "Updated now"
    assert "and 33 more" in lines[-2]  # 7 of 40 rows fit
