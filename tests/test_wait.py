"""`tasks wait` and `agents wait` against a fake API whose task and agent change on a schedule
(each answer is the next of a script): the installed `aitasker`, over real HTTP on loopback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Sequence
from typing import Any

import pytest

from tests.conftest import AGENT_ID, TASK_ID, TOKEN, WORKSPACE_ID, agent, task
from tests.hostile import Exchange, routes, serve
from tests.processes import aitasker, clean_env, installed_script

TASK_PATH = f"/api/v1/workspaces/{WORKSPACE_ID}/tasks/{TASK_ID}"
AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"
FULL = f"{WORKSPACE_ID}/{TASK_ID}"


def scripted(
    make: Any, statuses: Sequence[str | int], headers: Sequence[tuple[str, str]] = ()
) -> Any:
    """Answers in turn: a status string is the item in that status, a number that HTTP error;
    the last answer repeats."""
    served = {"polls": 0}

    def answer(exchange: Exchange) -> None:
        step = statuses[min(served["polls"], len(statuses) - 1)]
        served["polls"] += 1
        if isinstance(step, int):
            exchange.answer(step, {"detail": "scripted failure"}, headers)
        else:
            exchange.answer(200, make(status=step), headers)

    return answer


def run_wait(behaviour: Any, *argv: str) -> tuple[subprocess.CompletedProcess[str], int]:
    with serve(behaviour) as server:
        env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
        done = aitasker(*argv, "--interval", "0.5", "--retries", "0", "-o", "json", env=env)
        return done, server.count("GET")


@pytest.mark.parametrize(
    ("statuses", "extra", "code"),
    [
        (["running", "running", "completed"], [], 0),
        (["running", "failed"], [], 0),
        (["running", "failed"], ["--exit-status"], 11),
        (["running", "rejected"], ["--for", "approved"], 11),
        (["awaiting_approval", "approved"], ["--for", "approved"], 0),
        (["running", 503, 502, "completed"], [], 0),
    ],
)
def test_tasks_wait_ends_at_the_change_with_its_exit_code(
    statuses: list[Any], extra: list[str], code: int
) -> None:
    behaviour = routes({("GET", TASK_PATH): scripted(task, statuses)})

    done, polls = run_wait(behaviour, "tasks", "wait", FULL, "--wait-timeout", "30", *extra)

    assert done.returncode == code, done.stderr
    assert polls == len(statuses)  # it stopped at the change, no poll more
    if code == 0 or "--exit-status" in extra:
        assert json.loads(done.stdout)["status"] == statuses[-1]  # printed when it got there
    else:
        assert done.stdout == ""
        assert "will not become approved" in done.stderr


def test_tasks_wait_gives_up_at_its_deadline() -> None:
    behaviour = routes({("GET", TASK_PATH): scripted(task, ["running"])})
    started = time.monotonic()

    done, polls = run_wait(behaviour, "tasks", "wait", FULL, "--wait-timeout", "1.5")

    assert done.returncode == 8, done.stderr
    assert "still running after 1.5 s" in done.stderr
    assert 2 <= polls <= 5 and time.monotonic() - started < 15


def test_a_wait_ends_on_an_answer_that_waiting_cannot_change() -> None:
    behaviour = routes({("GET", TASK_PATH): scripted(task, ["running", 404])})

    done, polls = run_wait(behaviour, "tasks", "wait", FULL, "--wait-timeout", "30")

    assert (done.returncode, polls) == (3, 2)


def test_polls_are_never_closer_than_the_rate_limit_allows() -> None:
    limit = [("X-RateLimit-Limit", "30"), ("X-RateLimit-Remaining", "29")]  # one poll in 2 s
    behaviour = routes({("GET", TASK_PATH): scripted(task, ["running"], limit)})

    done, polls = run_wait(behaviour, "tasks", "wait", FULL, "--wait-timeout", "3")

    assert done.returncode == 8
    assert polls <= 3  # at --interval 0.5 it would have asked about 6 times


@pytest.mark.parametrize(
    ("statuses", "code"), [(["paused", "active"], 0), (["paused", "cancelled"], 11)]
)
def test_agents_wait_for_a_status(statuses: list[str], code: int) -> None:
    behaviour = routes({("GET", AGENT_PATH): scripted(agent, statuses)})

    done, polls = run_wait(behaviour, "agents", "wait", AGENT_ID, "--for", "active")

    assert done.returncode == code, done.stderr
    assert polls == 2
    if code == 11:
        assert "is cancelled: it will not become active" in done.stderr


def test_agents_wait_needs_for() -> None:
    done = aitasker("agents", "wait", AGENT_ID, env=clean_env(AITASKER_TOKEN=TOKEN))

    assert done.returncode == 2
    assert "--for" in done.stderr


def test_ctrl_c_ends_a_wait_at_once() -> None:
    behaviour = routes({("GET", TASK_PATH): scripted(task, ["running"])})
    with serve(behaviour) as server:
        env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
        with subprocess.Popen(
            [installed_script(), "tasks", "wait", FULL, "--interval", "0.5"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        ) as child:
            assert server.wait_for(2, method="GET")
            sent = time.monotonic()
            child.send_signal(signal.SIGINT)
            _out, err = child.communicate(timeout=10)
            took = time.monotonic() - sent

    assert child.returncode == 130, err
    assert took < 1.0
    assert "Traceback" not in err


def test_a_wait_looks_at_once_and_ends_if_it_is_there_already() -> None:
    behaviour = routes({("GET", AGENT_PATH): scripted(agent, ["active"])})

    done, polls = run_wait(
        behaviour, "agents", "wait", AGENT_ID, "--for", "active", "--wait-timeout", "0"
    )

    assert (done.returncode, polls) == (0, 1), done.stderr
    assert json.loads(done.stdout)["status"] == "active"


def test_a_rate_limit_that_leaves_nothing_never_stretches_a_wait_past_its_deadline() -> None:
    spent = [("X-RateLimit-Limit", "2"), ("X-RateLimit-Remaining", "0")]  # one request in 30 s
    behaviour = routes({("GET", TASK_PATH): scripted(task, ["running"], spent)})
    started = time.monotonic()

    done, polls = run_wait(behaviour, "tasks", "wait", FULL, "--wait-timeout", "3")

    assert done.returncode == 8, done.stderr
    assert time.monotonic() - started < 10  # the pacing wait stops at the deadline
    assert polls == 1
    assert "is still running after 3 s" in done.stderr


def test_a_retry_after_past_the_deadline_says_so_at_once() -> None:
    def busy(exchange: Exchange) -> None:
        exchange.answer(429, {"detail": "slow down"}, [("Retry-After", "3600")])

    behaviour = routes({("GET", TASK_PATH): busy})
    started = time.monotonic()

    with serve(behaviour) as server:
        env = clean_env(AITASKER_API_URL=server.url, AITASKER_TOKEN=TOKEN)
        done = aitasker("tasks", "wait", FULL, "--wait-timeout", "8", env=env)

    assert done.returncode == 8, done.stderr
    assert time.monotonic() - started < 8
    assert "could not be read and the API asks to wait past the 8 s of --wait-timeout" in (
        done.stderr
    )
