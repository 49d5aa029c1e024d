"""The journal against a run that dies or loses its output: `kill -9` mid-run, and a reader that
closes the pipe (`| head -1`). After each, `undo` must put the fleet back exactly as it was.

The installed `aitasker` runs as a process against `aitasker sandbox serve`. For the kills, a
small proxy in this file sits in front of the sandbox and holds back each pause's answer for a
while *after* the sandbox has made the change: the run then always has changes that the API
made and that it has not heard of yet, which is what a journal that writes only outcomes (not
intents ahead of them) would lose.

(The sandbox's own `--rate-limit` does not pace a run smoothly: its window is a sliding minute
of requests, so once a burst has spent it every request waits out the rest of the minute. A
delay per request is what makes a 40-agent pause last seconds, so a kill lands mid-run.)
"""

from __future__ import annotations

import http.client
import json
import random
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.processes import aitasker, clean_env, installed_script, sandbox_server

TOKEN = "sandbox-accepts-any-token"
AGENTS = "/api/v1/workspaces/agents"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


# --- helpers ----------------------------------------------------------------------------------


def fleet(url: str) -> dict[str, str]:
    """Every agent's status on the server at `url` (read directly, all pages), by ID."""
    found: dict[str, str] = {}
    offset = 0
    while True:
        request = urllib.request.Request(
            f"{url}{AGENTS}?limit=100&offset={offset}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            page = json.load(response)
        if not page:
            return found
        found.update({item["id"]: item["status"] for item in page})
        offset += len(page)


def operations(env: dict[str, str]) -> list[dict[str, Any]]:
    """`history --all -o json`: the journal's operations, newest first."""
    listed = aitasker("history", "--all", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    result: list[dict[str, Any]] = json.loads(listed.stdout)
    return result


def dry_undo(env: dict[str, str], *argv: str) -> dict[str, dict[str, Any]]:
    """What `undo --dry-run -o json` would do, by agent ID."""
    preview = aitasker("undo", *argv, "--dry-run", "-o", "json", env=env)
    assert preview.returncode in (0, 9), preview.stderr
    return {item["id"]: item for item in json.loads(preview.stdout)}


def moved(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {agent_id for agent_id, status in after.items() if before.get(agent_id) != status}


class SlowProxy(ThreadingHTTPServer):
    """Forwards every request to `upstream`; a POST's answer is held back `delay` seconds
    after the upstream made the change. Counts the POSTs that reached the upstream."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay = 0.0
        self.posts = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-answer: nothing to report


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SlowProxy

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        if self.command == "POST":
            with self.server.lock:
                self.server.posts += 1
            time.sleep(self.server.delay)  # the change is made; the client has not heard yet
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def slow_proxy(upstream: str) -> Iterator[SlowProxy]:
    proxy = SlowProxy(upstream)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(5)


# --- item 12: kill -9 mid-run -----------------------------------------------------------------

DELAY = 0.15
"""Seconds each pause's answer is held back after the change was made."""
TRIALS = 5
SEED = 20261206


def _pause_all(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [installed_script(), "agents", "pause", "--all", "--yes", "-o", "ndjson"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _killed_after(env: dict[str, str], seconds: float) -> None:
    process = _pause_all(env)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_kill_9_at_random_moments_of_a_bulk_pause_then_undo_restores_the_fleet() -> None:
    base = clean_env()
    with (
        sandbox_server("--agents", "40", "--rate-limit", "0", env=base) as direct,
        slow_proxy(direct) as proxy,
    ):
        env = {**base, "AITASKER_API_URL": proxy.url, "AITASKER_TOKEN": TOKEN}
        original = fleet(direct)
        active = sorted(i for i, s in original.items() if s == "active")
        assert len(active) >= 20, original

        # How long a whole run takes, so the kills fall inside one.
        proxy.delay = DELAY
        started = time.monotonic()
        whole = _pause_all(env)
        assert whole.wait(60) == 0
        length = time.monotonic() - started
        proxy.delay = 0.0
        undone = aitasker("undo", "--yes", env=env)
        assert undone.returncode == 0, undone.stderr
        assert fleet(direct) == original

        draw = random.Random(SEED)
        delays = [draw.uniform(0.2, length) for _ in range(TRIALS)]
        landed: list[tuple[float, int, int]] = []  # delay, agents paused at the kill, in flight
        for number, delay in enumerate([*delays, length / 2]):
            earlier = number == TRIALS  # the last trial: an earlier operation in the journal
            if earlier:
                two = aitasker("agents", "pause", *active[:2], "-o", "id", env=env)
                assert two.returncode == 0, two.stderr
                back = aitasker("undo", "--yes", env=env)
                assert back.returncode == 0, back.stderr
                assert fleet(direct) == original
            known = {operation["id"] for operation in operations(env)}
            proxy.delay, proxy.posts = DELAY, 0

            _killed_after(env, delay)

            proxy.delay = 0.0
            time.sleep(DELAY + 0.1)  # let the proxy finish the answers nobody reads any more
            at_kill = fleet(direct)
            paused = moved(original, at_kill)
            assert all(at_kill[i] == "paused" for i in paused)
            journaled = operations(env)
            new = [operation for operation in journaled if operation["id"] not in known]
            landed.append((round(delay, 2), len(paused), proxy.posts))
            if not new:  # killed before it wrote anything: then it sent nothing
                assert proxy.posts == 0 and not paused, (delay, proxy.posts, paused)
                continue
            assert len(new) == 1
            assert journaled[0] == new[0], "the killed run is the newest operation"
            assert new[0]["action"] == "pause"
            # Every agent the server shows paused is in the journal: changed, or in doubt.
            listed = dry_undo(env, new[0]["id"])
            would = {i for i, r in listed.items() if r["outcome"] == "would_change"}
            assert paused <= would, f"kill at {delay:.2f} s: not in the journal: {paused - would}"
            assert new[0]["changed"] + new[0]["failed"] >= len(paused)

            undone = aitasker("undo", "--yes", "-o", "ndjson", env=env)

            assert undone.returncode == 0, (delay, undone.stderr)
            assert fleet(direct) == original, (delay, landed[-1], undone.stdout)
            assert operations(env)[0]["undoes"] == new[0]["id"]

        mid_run = [trial for trial in landed if 0 < trial[1] < len(active)]
        assert len(mid_run) >= 3, landed
        assert landed[-1] in mid_run, landed  # the trial with an earlier operation too


# --- item 5: a reader that closes the pipe ----------------------------------------------------

PIPES = {
    "stdout": "aitasker agents list --status active -o id"
    " | aitasker agents pause --stdin -o ndjson | head -1 > first.out;"
    ' echo "${PIPESTATUS[@]}" > codes',
    "stdout and stderr": "aitasker agents list --status active -o id"
    " | aitasker agents pause --stdin -o ndjson 2>&1 | head -1 > first.out;"
    ' echo "${PIPESTATUS[@]}" > codes',
}
RUNS = 3


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, dict[str, str]]]:
    """A served sandbox of 400 agents (output far beyond a pipe's buffer), no rate limit."""
    base = clean_env()
    with sandbox_server("--agents", "400", "--rate-limit", "0", env=base) as url:
        yield url, {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": TOKEN}


def _pipe_runs(
    served: tuple[str, dict[str, str]], shell: str, tmp_path: Path
) -> list[tuple[int, ...]]:
    """Run the pipeline RUNS times; after each, check the journal against the fleet and undo.
    Returns each run's PIPESTATUS."""
    url, env = served
    original = fleet(url)
    codes: list[tuple[int, ...]] = []
    for _ in range(RUNS):
        known = {operation["id"] for operation in operations(env)}
        ran = subprocess.run(
            ["bash", "-c", shell],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        codes.append(tuple(int(code) for code in (tmp_path / "codes").read_text().split()))
        first = (tmp_path / "first.out").read_text()
        paused = moved(original, fleet(url))
        assert paused, first  # the pause went on after the reader left, or got some done

        new = [op for op in operations(env) if op["id"] not in known]
        assert len(new) == 1, new
        listed = dry_undo(env)  # the newest operation of this API
        would = {i for i, r in listed.items() if r["outcome"] == "would_change"}
        assert paused == would, (len(paused), len(would))
        assert new[0]["changed"] == len(paused)  # the run stopped in order: each was answered

        undone = aitasker("undo", "--yes", env=env)

        assert undone.returncode == 0, undone.stderr
        assert fleet(url) == original
    return codes


@pytest.mark.parametrize("variant", list(PIPES))
def test_head_1_after_a_piped_pause_leaves_a_journal_that_undoes_everything(
    served: tuple[str, dict[str, str]], variant: str, tmp_path: Path
) -> None:
    codes = _pipe_runs(served, PIPES[variant], tmp_path)

    assert codes == [(0, 0, 0)] * RUNS  # a reader that leaves early is no error
