"""The installed `aitasker` against hostile servers: bounded in time and memory, never a crash.

Each test runs the real console script as a subprocess over real HTTP on 127.0.0.1, against a
server from tests/hostile.py, and checks what issue 8 promises: a documented exit code and one
clear error line, within a bounded time, and never a traceback or exit 1.

The time bounds are generous (several times what a quiet machine needs, a fraction of what the
unbounded behaviour took): they tell a stop from a hang, not fast from slow, on a shared machine.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import hostile
from tests.conftest import AGENT_ID, SECRETS, TOKEN, uuid_n
from tests.processes import clean_env, installed_script

MIB = 1024 * 1024
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
BULK_IDS = [uuid_n(n) for n in range(1, 21)]
UNSAFE_ON_A_TERMINAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\udc80-\udcff]"
)
"""ESC and the other C0 controls (but tab and line ends), DEL, C1, bidi controls, and bytes
that are not UTF-8 (decoded as lone surrogates): what a terminal would obey or misplace."""


@dataclass
class Ran:
    """How one run of `aitasker` ended."""

    code: int
    stdout: bytes
    stderr: str
    seconds: float
    """From start, or from the signal when one was sent, to exit."""
    peak_rss: int
    """The child's peak resident memory, in bytes, sampled every 20 ms while it ran."""

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="surrogateescape")


class Child:
    """`aitasker ARGV` running in the background, its output going to files."""

    def __init__(self, argv: list[str], env: dict[str, str], folder: Path, stdin: str) -> None:
        self.argv = argv
        self._out = (folder / "stdout").open("w+b")
        self._err = (folder / "stderr").open("w+b")
        self._process = subprocess.Popen(
            [installed_script(), *argv],
            stdin=subprocess.PIPE,
            stdout=self._out,
            stderr=self._err,
            env=env,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(stdin.encode())
        self._process.stdin.close()
        self.started = time.monotonic()

    def stop(self) -> None:
        """Kill it if it still runs (a test failed before it ended); reap it."""
        if self._process.returncode is None:
            self._process.kill()
            self._process.wait()
        self._out.close()
        self._err.close()

    def signal(self, number: int) -> None:
        self._process.send_signal(number)
        self.started = time.monotonic()

    def finish(self, timeout: float) -> Ran:
        """Wait at most `timeout` seconds (else kill it and fail the test)."""
        peak = 0
        while self._process.returncode is None:  # Popen.send_signal reaps it if it has ended
            peak = max(peak, _high_water_mark(self._process.pid))
            pid, status, _usage = os.wait4(self._process.pid, os.WNOHANG)
            if pid:
                self._process.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - self.started > timeout:
                self._process.kill()
                os.wait4(self._process.pid, 0)
                self._process.returncode = -9
                pytest.fail(f"aitasker {' '.join(self.argv)} still ran after {timeout:g} s")
            time.sleep(0.02)
        seconds = time.monotonic() - self.started
        self._out.seek(0)
        self._err.seek(0)
        ran = Ran(
            code=self._process.returncode,
            stdout=self._out.read(),
            stderr=self._err.read().decode("utf-8", errors="replace"),
            seconds=seconds,
            peak_rss=peak,
        )
        for secret in SECRETS:
            assert secret not in ran.out + ran.stderr
        # What every test here demands, whatever else it checks.
        assert "Traceback" not in ran.stderr, ran.stderr
        assert ran.code != 1, ran.stderr
        return ran


def _high_water_mark(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (0 once it is gone).

    Read from /proc rather than from wait4's rusage: that counts the peak of the forked copy of
    this test process too, which exec replaces but the kernel still remembers.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    return 0


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """A logged-in environment with every folder under tmp_path and no proxy."""
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(
        AITASKER_TOKEN=TOKEN,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        AITASKER_CONFIG_DIR=str(tmp_path / "config"),
        AITASKER_CACHE_DIR=str(tmp_path / "cache"),
        AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"),
        COLUMNS="200",
    )
    return {k: v for k, v in env.items() if k.lower() not in PROXY_VARIABLES}


@contextmanager
def started(
    server: hostile.HostileServer,
    environment: dict[str, str],
    tmp_path: Path,
    *argv: str,
    stdin: str = "",
    **extra_env: str,
) -> Iterator[Child]:
    """`aitasker ARGV` running against `server`; killed on the way out if it still runs."""
    env = {**environment, "AITASKER_API_URL": server.url, **extra_env}
    child = Child(list(argv), env, tmp_path, stdin)
    try:
        yield child
    finally:
        child.stop()


def run(
    server: hostile.HostileServer,
    environment: dict[str, str],
    tmp_path: Path,
    *argv: str,
    timeout: float,
    **extra_env: str,
) -> Ran:
    """`aitasker ARGV` against `server`, failing the test if it runs past `timeout` seconds."""
    with started(server, environment, tmp_path, *argv, **extra_env) as child:
        return child.finish(timeout)


def assert_one_error(ran: Ran) -> None:
    """stderr holds one `Error:` line; the rest is its hint, request id, or usage reminder, and
    for a change that may have been made (a 5xx answer to a pause), its operation ID."""
    lines = [line for line in ran.stderr.splitlines() if line]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, ran.stderr
    companions = ("Error: ", "Hint: ", "Request ID: ", "Usage: ", "Try 'aitasker ", "Operation: ")
    assert all(line.startswith(companions) for line in lines), ran.stderr


def ndjson_results(ran: Ran) -> dict[str, dict[str, object]]:
    """The bulk results on stdout, by ID; fails if an ID is reported twice."""
    results = [json.loads(line) for line in ran.out.splitlines()]
    by_id = {result["id"]: result for result in results}
    assert len(by_id) == len(results), ran.out
    return by_id


# --- item 8: --timeout bounds the whole request ------------------------------------------------


@pytest.mark.parametrize("behaviour", [hostile.slow_body, hostile.trickled_headers])
def test_a_slow_response_is_bounded_by_the_timeout(
    behaviour: Callable[[], hostile.Behaviour], environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(behaviour()) as server:
        ran = run(
            server,
            environment,
            tmp_path,
            "agents",
            "list",
            "--timeout",
            "2",
            "--retries",
            "0",
            timeout=30,
        )

    assert ran.code == 7, ran.stderr
    assert ran.seconds < 15
    assert_one_error(ran)


# --- item 9: bodies are capped, memory stays flat -----------------------------------------------


@pytest.mark.parametrize(
    "argv", [("agents", "list"), ("api", hostile.AGENTS)], ids=["agents-list", "api"]
)
def test_an_endless_body_is_capped(
    argv: tuple[str, ...], environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.endless_body()) as server:
        # A timeout far beyond the test's bound: only a cap on the body can end this run.
        ran = run(
            server,
            environment,
            tmp_path,
            *argv,
            "--timeout",
            "60",
            "--retries",
            "0",
            timeout=20,
        )

    assert ran.code == 7, ran.stderr
    assert ran.seconds < 15
    assert ran.peak_rss < 200 * MIB, f"peak RSS {ran.peak_rss / MIB:.0f} MiB"
    assert_one_error(ran)


# --- item 10: paging stops when the API repeats itself ------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [("agents", "list", "--all", "-o", "id"), ("api", hostile.AGENTS, "--paginate")],
    ids=["agents-list-all", "api-paginate"],
)
def test_paging_stops_when_pages_repeat(
    argv: tuple[str, ...], environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.repeated_pages()) as server:
        ran = run(
            server, environment, tmp_path, *argv, "--timeout", "5", "--retries", "0", timeout=10
        )
        pages = server.count("GET", hostile.AGENTS)

    assert ran.code == 7, ran.stderr
    assert re.search(r"repeat", ran.stderr, re.IGNORECASE), ran.stderr
    assert pages <= 5
    assert_one_error(ran)


# --- items 15 and 16: bodies that are not the documented JSON -----------------------------------

NON_FINITE = ("NaN", "Infinity", "-Infinity", "1e999")


@pytest.mark.parametrize(
    ("argv", "status", "depth"),
    [
        (("agents", "list", "-o", "json"), 200, 1_000),
        (("agents", "list"), 200, 100_000),
        (("agents", "show", AGENT_ID, "-o", "json"), 200, 1_000),
        (("api", hostile.AGENTS), 200, 1_000),
        (("agents", "show", AGENT_ID), 500, 1_000),
        (("agents", "pause", AGENT_ID), 500, 1_000),
        (("api", "/api/v1/anything"), 500, 1_000),
    ],
    ids=[
        "list-json",
        "list-100000",
        "show-json",
        "api",
        "show-error-body",
        "pause-error-body",
        "api-error-body",
    ],
)
def test_deeply_nested_json_is_an_error_not_a_crash(
    argv: tuple[str, ...], status: int, depth: int, environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.deep_json(depth, status=status)) as server:
        ran = run(server, environment, tmp_path, *argv, "--retries", "0", timeout=15)

    assert ran.code == 7, ran.stderr
    assert ran.stdout == b""
    assert_one_error(ran)


@pytest.mark.parametrize(
    ("argv", "literal"),
    [
        *((("agents", "list", "-o", "json"), literal) for literal in NON_FINITE),
        (("agents", "show", AGENT_ID, "-o", "json"), "NaN"),
        (("api", hostile.AGENTS), "Infinity"),
    ],
    ids=[*(f"list-{literal}" for literal in NON_FINITE), "show-NaN", "api-Infinity"],
)
def test_non_finite_numbers_never_reach_a_json_consumer(
    argv: tuple[str, ...], literal: str, environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.non_finite_numbers(literal)) as server:
        ran = run(server, environment, tmp_path, *argv, timeout=15)

    assert ran.code == 7, ran.stderr
    assert ran.stdout == b""  # in particular, no NaN or Infinity for jq to choke on
    assert_one_error(ran)


# --- names that a shell or a terminal would obey ------------------------------------------------

NAME_FIELDS = "id,display_name,persona_name,agent_type"


@pytest.mark.parametrize("output", ["table", "tsv", "csv"])
def test_server_names_never_write_control_bytes(
    output: str, environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.hostile_names()) as server:
        ran = run(
            server,
            environment,
            tmp_path,
            "agents",
            "list",
            "-o",
            output,
            "--fields",
            NAME_FIELDS,
            timeout=15,
        )

    assert ran.code == 0, ran.stderr
    unsafe = UNSAFE_ON_A_TERMINAL.findall(ran.out.replace("\r\n", "\n"))
    assert unsafe == [], f"raw control characters on stdout: {sorted(set(unsafe))!r}"
    names = len(hostile.SHELL_AND_CONTROL_NAMES)
    if output == "tsv":  # one row per agent, however many tabs and newlines a name holds
        rows = [line.split("\t") for line in ran.out.splitlines()]
        assert [len(row) for row in rows] == [4] * names
    if output == "csv":
        rows = list(csv.reader(io.StringIO(ran.out, newline="")))
        assert [len(row) for row in rows] == [4] * (names + 1)


# --- a server that never answers ----------------------------------------------------------------


def test_a_server_that_never_answers_is_given_up_on(
    environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.never_answers()) as server:
        ran = run(
            server,
            environment,
            tmp_path,
            "agents",
            "show",
            AGENT_ID,
            "--timeout",
            "1",
            "--retries",
            "0",
            timeout=30,
        )

    assert ran.code == 7, ran.stderr
    assert ran.seconds < 12
    assert_one_error(ran)


# --- item 13: signals during a bulk run ---------------------------------------------------------

BULK_SERVERS = {
    "never-answers": lambda: hostile.with_listing(hostile.never_answers()),
    "rate-limited": lambda: hostile.with_listing(hostile.rate_limited()),
    "rate-limited-429": lambda: hostile.with_listing(hostile.rate_limited(with_429=True)),
}


@contextmanager
def bulk_pause(
    server: hostile.HostileServer, environment: dict[str, str], tmp_path: Path
) -> Iterator[Child]:
    """A bulk pause of BULK_IDS from stdin, started and well under way (requests sent)."""
    with started(
        server,
        environment,
        tmp_path,
        "agents",
        "pause",
        "--stdin",
        "-o",
        "ndjson",
        stdin="\n".join(BULK_IDS) + "\n",
    ) as child:
        assert server.wait_for(1, seconds=10, method="POST"), "no pause request arrived"
        time.sleep(0.5)  # requests in flight, or workers held back by the rate limit
        yield child


@pytest.mark.parametrize("kind", list(BULK_SERVERS))
def test_ctrl_c_ends_a_bulk_run_at_once_with_every_item_reported(
    kind: str, environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(BULK_SERVERS[kind]()) as server:
        with bulk_pause(server, environment, tmp_path) as child:
            child.signal(signal.SIGINT)
            ran = child.finish(timeout=30)
        answered = server.count("POST") if kind == "rate-limited" else 0

    assert ran.code == 130, ran.stderr
    assert ran.seconds < 10
    results = ndjson_results(ran)
    assert sorted(results) == sorted(BULK_IDS)
    assert sum(1 for result in results.values() if result["ok"] is False) >= 20 - answered
    said = [line for line in ran.stderr.splitlines() if not line.startswith("Operation: ")]
    assert said == ["Interrupted."], ran.stderr
    # Written ahead, the journal holds every change that may have been made: one answered, or
    # one cut off in flight, which undo checks.
    may_have_changed = any(
        r["outcome"] == "changed" or "in flight" in json.dumps(r.get("error"))
        for r in results.values()
    )
    assert ("Operation: " in ran.stderr) == may_have_changed


def test_a_second_ctrl_c_is_not_a_traceback(environment: dict[str, str], tmp_path: Path) -> None:
    with (
        hostile.serve(hostile.with_listing(hostile.never_answers())) as server,
        bulk_pause(server, environment, tmp_path) as child,
    ):
        child.signal(signal.SIGINT)
        time.sleep(0.01)  # while the first is being handled: the run ends soon after it
        child.signal(signal.SIGINT)
        ran = child.finish(timeout=30)

    assert ran.code == 130, ran.stderr
    assert ran.seconds < 10
    assert sorted(ndjson_results(ran)) == sorted(BULK_IDS)


def test_sigterm_ends_a_bulk_run_like_ctrl_c_with_exit_143(
    environment: dict[str, str], tmp_path: Path
) -> None:
    with (
        hostile.serve(hostile.with_listing(hostile.never_answers())) as server,
        bulk_pause(server, environment, tmp_path) as child,
    ):
        child.signal(signal.SIGTERM)
        ran = child.finish(timeout=30)

    assert ran.code == 143, ran.stderr
    assert ran.seconds < 10
    results = ndjson_results(ran)
    assert sorted(results) == sorted(BULK_IDS)
    assert all(result["ok"] is False for result in results.values())
    # The requests in flight may have been made: the journal has them, for undo to check.
    assert ran.stderr.splitlines()[-1] == "Terminated.", ran.stderr
    assert ran.stderr.startswith("Operation: ") and len(ran.stderr.splitlines()) == 2


# --- item 14: --wait-timeout is a deadline; durations are finite -------------------------------


def test_wait_timeout_is_a_deadline(environment: dict[str, str], tmp_path: Path) -> None:
    with hostile.serve(hostile.pause_then_hang()) as server:
        ran = run(
            server,
            environment,
            tmp_path,
            "agents",
            "pause",
            AGENT_ID,
            "--wait",
            "--wait-timeout",
            "2",
            "--timeout",
            "5",
            timeout=30,
        )

    assert ran.code == 8, ran.stderr
    assert ran.seconds < 12
    assert_one_error(ran)


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (("agents", "pause", AGENT_ID, "--wait", "--wait-timeout", "nan"), {}),
        (("agents", "pause", AGENT_ID, "--wait", "--wait-timeout", "inf"), {}),
        (("agents", "show", AGENT_ID, "--timeout", "nan"), {}),
        (("agents", "show", AGENT_ID, "--timeout", "inf"), {}),
        (("agents", "show", AGENT_ID, "--timeout", "1e308"), {}),
        (("agents", "show", AGENT_ID), {"AITASKER_TIMEOUT": "nan"}),
    ],
    ids=[
        "wait-timeout-nan",
        "wait-timeout-inf",
        "timeout-nan",
        "timeout-inf",
        "timeout-1e308",
        "env-timeout-nan",
    ],
)
def test_durations_that_are_not_finite_are_refused(
    argv: tuple[str, ...], env: dict[str, str], environment: dict[str, str], tmp_path: Path
) -> None:
    with hostile.serve(hostile.polite()) as server:
        ran = run(server, environment, tmp_path, *argv, timeout=10, **env)
        sent = server.count()

    assert ran.code == 2, ran.stderr
    assert sent == 0  # refused before anything was sent
    assert_one_error(ran)


# --- APIs under path prefixes, two on one port --------------------------------------------------


def test_pause_under_a_path_prefix_changes_only_that_api(
    environment: dict[str, str], tmp_path: Path
) -> None:
    fleets = hostile.Fleets({"/prod": hostile.agent_list(3), "/staging": hostile.agent_list(3)})
    target = uuid_n(2)
    with hostile.serve(fleets) as server:
        ran = run(
            server,
            environment,
            tmp_path,
            "agents",
            "pause",
            target,
            "-o",
            "json",
            "--api-url",
            f"{server.url}/prod",
            timeout=15,
        )
        paths = {request.path for request in server.requests}

    assert ran.code == 0, ran.stderr
    assert json.loads(ran.stdout)["status"] == "paused"
    assert fleets.agent("/prod", target)["status"] == "paused"
    assert fleets.agent("/staging", target)["status"] == "active"
    assert [fleets.agent("/prod", uuid_n(n))["status"] for n in (1, 3)] == ["active", "active"]
    assert f"/prod/api/v1/workspaces/agents/{target}/pause" in paths
    assert all(path.startswith("/prod/") for path in paths), paths
