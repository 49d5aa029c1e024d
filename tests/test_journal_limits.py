"""The journal at its limits, attacked from outside: one operation larger than the size cap,
two APIs on one host, profiles, a FIFO or a symbolic link where the journal or its lock should
be, and statuses no well-behaved API sends. The installed `aitasker` runs as a process.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests import hostile
from tests.conftest import agent, uuid_n
from tests.processes import aitasker, clean_env, installed_script, sandbox_server
from tests.test_journal_crash import fleet, moved, operations, slow_proxy

TOKEN = "sandbox-accepts-any-token"
CAP = 64 * 1024
HEADER = re.compile(r'\{"v":2,"kind":"operation","id":"([^"]+)"')
ITEM = re.compile(r'\{"v":2,"kind":"item","op":"([^"]+)"')
END = re.compile(r'\{"v":2,"kind":"end","op":"([^"]+)"')


def operation_of(stderr: str) -> str:
    return next(line.split(": ", 1)[1] for line in stderr.splitlines() if "Operation: " in line)


def records(journal: Path) -> tuple[list[str], dict[str, int]]:
    """The journal's headers (operation IDs, in order) and how many item records each
    operation has; fails on an item record whose operation has no header before it."""
    headers: list[str] = []
    items: dict[str, int] = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        if header := HEADER.match(line):
            headers.append(header[1])
        elif item := ITEM.match(line):
            assert item[1] in headers, f"an item of {item[1]} without its header: {line[:120]}"
            items[item[1]] = items.get(item[1], 0) + 1
        elif end := END.match(line):
            assert end[1] in headers, f"the end of {end[1]} without its header: {line[:120]}"
        else:
            pytest.fail(f"a line that is no record: {line[:120]!r}")
    return headers, items


def assert_whole(journal: Path, known: dict[str, int]) -> list[str]:
    """Every operation in the journal is there with all the item records it had when it was
    written (`known`, by ID); returns the IDs present."""
    headers, items = records(journal)
    assert len(headers) == len(set(headers)), headers
    for operation_id in headers:
        if operation_id in known:
            assert items.get(operation_id, 0) == known[operation_id], (
                f"{operation_id} kept in part: {items.get(operation_id, 0)} of "
                f"{known[operation_id]} item records"
            )
    return headers


def note(journal: Path, known: dict[str, int], operation_id: str) -> None:
    """Learn how many item records `operation_id` has, right after it was written (the newest
    operation is always kept whole)."""
    headers, items = records(journal)
    assert headers[-1] == operation_id, headers
    known[operation_id] = items[operation_id]


# --- item 6: one operation larger than the size cap -------------------------------------------


@pytest.fixture
def big() -> Iterator[tuple[str, dict[str, str]]]:
    """A served sandbox of 400 agents (250 active), and a journal capped at 64 KiB."""
    base = clean_env(AITASKER_JOURNAL_MAX_BYTES=str(CAP))
    with sandbox_server("--agents", "400", "--rate-limit", "0", env=base) as url:
        yield url, {**base, "AITASKER_API_URL": url, "AITASKER_TOKEN": TOKEN}


def test_an_operation_larger_than_the_cap_is_kept_whole_and_undone_whole(
    big: tuple[str, dict[str, str]],
) -> None:
    url, env = big
    journal = Path(env["AITASKER_STATE_DIR"]) / "journal.jsonl"
    original = fleet(url)
    active = sorted(i for i, s in original.items() if s == "active")
    assert len(active) >= 200
    known: dict[str, int] = {}
    for verb in ("pause", "resume", "pause", "resume"):  # small operations first
        small = aitasker("agents", verb, active[0], active[1], "-o", "id", env=env)
        assert small.returncode == 0, small.stderr
        note(journal, known, operation_of(small.stderr))

    paused = aitasker("agents", "pause", "--all", "--yes", "-o", "id", env=env)

    assert paused.returncode == 0, paused.stderr
    operation = operation_of(paused.stderr)
    assert set(paused.stdout.split()) == set(active)
    assert journal.stat().st_size > CAP  # the newest is kept whatever its size
    note(journal, known, operation)
    assert known[operation] == 2 * len(active)  # an intent and an outcome each
    present = assert_whole(journal, known)
    assert present[-1] == operation
    assert len(present) < 5, "older operations were dropped to keep to the cap"
    listed = operations(env)
    assert (listed[0]["id"], listed[0]["changed"], listed[0]["total"]) == (
        operation,
        len(active),
        len(active),
    )

    undone = aitasker("undo", "--yes", "-o", "id", env=env)

    assert undone.returncode == 0, undone.stderr
    assert fleet(url) == original
    note(journal, known, operation_of(undone.stderr))
    assert_whole(journal, known)

    last = aitasker("agents", "pause", active[5], "-o", "id", env=env)

    assert last.returncode == 0, last.stderr
    note(journal, known, operation_of(last.stderr))
    present = assert_whole(journal, known)
    assert journal.stat().st_size <= CAP  # the big ones go (whole) once a small one is newest
    assert present[-1] == operation_of(last.stderr)
    assert [op["id"] for op in operations(env)] == present[::-1]


def test_a_small_run_that_ends_during_a_large_one_does_not_cut_it(
    big: tuple[str, dict[str, str]],
) -> None:
    """Two processes: a large pause still writing when a small run ends and trims the journal.
    The large one's header must not be dropped while its items are still being written, or
    its changes can no longer be undone."""
    url, env = big
    original = fleet(url)
    active = sorted(i for i, s in original.items() if s == "active")
    idle = sorted(i for i, s in original.items() if s == "paused")
    with slow_proxy(url) as proxy:
        slow = {**env, "AITASKER_API_URL": proxy.url}
        proxy.delay = 0.01
        large = subprocess.Popen(
            [installed_script(), "agents", "pause", "--all", "--yes", "-o", "id"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=slow,
            text=True,
        )
        # Wait until the large run alone is over the cap, so the small run must trim ...
        journal = Path(env["AITASKER_STATE_DIR"]) / "journal.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and large.poll() is None:
            if journal.exists() and journal.stat().st_size > CAP * 1.1:
                break
            time.sleep(0.02)
        assert large.poll() is None, "the large run ended too soon for this test"
        # ... then a small run of the same API ends, and trims.
        small = aitasker("agents", "resume", idle[0], "-o", "id", env=slow)
        assert small.returncode == 0, small.stderr
        out, err = large.communicate(timeout=120)
        assert large.returncode == 0, err
        assert set(out.split()) == set(active)
        operation = operation_of(err)
        records(journal)  # no item without its header

        listed = {op["id"]: op for op in operations(env)}
        assert operation in listed, f"the large run's {operation} is gone from the journal"
        assert listed[operation]["changed"] == len(active)
        proxy.delay = 0
        # Through the same API URL as the pause: undo acts only where the operation was made.
        undone = aitasker("undo", operation, "--yes", "-o", "id", env=slow)
    assert undone.returncode == 0, undone.stderr
    assert set(undone.stdout.split()) == set(active)
    assert moved(original, fleet(url)) == {idle[0]}


# --- item 7: two APIs on one host, and profiles ------------------------------------------------


@pytest.fixture
def two_apis() -> Iterator[tuple[hostile.Fleets, hostile.HostileServer, dict[str, str]]]:
    """`/prod` and `/staging` on one port, with the same three agent IDs in each."""
    fleets = hostile.Fleets({"/prod": hostile.agent_list(3), "/staging": hostile.agent_list(3)})
    env = clean_env(AITASKER_TOKEN=TOKEN)
    with hostile.serve(fleets) as server:
        yield fleets, server, env


def _posts(server: hostile.HostileServer) -> int:
    return server.count("POST")


def _statuses(fleets: hostile.Fleets, prefix: str) -> list[str]:
    return [fleets.agent(prefix, uuid_n(n))["status"] for n in (1, 2, 3)]


def test_undo_of_another_apis_operation_is_refused_and_sends_nothing(
    two_apis: tuple[hostile.Fleets, hostile.HostileServer, dict[str, str]],
) -> None:
    fleets, server, env = two_apis
    prod, staging = f"{server.url}/prod", f"{server.url}/staging"
    on_prod = aitasker("agents", "pause", uuid_n(1), "-o", "id", "--api-url", prod, env=env)
    on_staging = aitasker("agents", "pause", uuid_n(2), "-o", "id", "--api-url", staging, env=env)
    assert on_prod.returncode == on_staging.returncode == 0, on_prod.stderr + on_staging.stderr
    prod_op, staging_op = operation_of(on_prod.stderr), operation_of(on_staging.stderr)
    sent = _posts(server)

    wrong = aitasker("undo", prod_op, "--yes", "--api-url", staging, env=env)

    assert wrong.returncode == 2, wrong.stderr
    assert _posts(server) == sent
    assert prod in wrong.stderr and "--api-url" in wrong.stderr, wrong.stderr
    assert f"--api-url {prod}" in wrong.stderr  # the hint names the flag that works
    assert _statuses(fleets, "/prod") == ["paused", "active", "active"]
    assert _statuses(fleets, "/staging") == ["active", "paused", "active"]

    newest_here = aitasker("undo", "--yes", "-o", "ndjson", "--api-url", staging, env=env)

    assert newest_here.returncode == 0, newest_here.stderr
    assert [json.loads(line)["id"] for line in newest_here.stdout.splitlines()] == [uuid_n(2)]
    assert _statuses(fleets, "/staging") == ["active", "active", "active"]
    assert _statuses(fleets, "/prod") == ["paused", "active", "active"]  # prod's is not undone
    assert operations(env)[0]["undoes"] == staging_op
    assert all(r.path.startswith("/staging/") for r in server.requests[sent:] if r.method == "POST")

    # A trailing slash is the same API (a path in capitals is not: paths are case-sensitive).
    other = aitasker("undo", prod_op, "--yes", "--api-url", prod.replace("prod", "PROD"), env=env)
    assert other.returncode == 2, other.stderr
    same = aitasker("undo", prod_op, "--yes", "--api-url", f"{prod}/", env=env)
    assert same.returncode == 0, same.stderr
    assert _statuses(fleets, "/prod") == ["active", "active", "active"]


def test_undo_of_another_profiles_operation_is_refused_and_sends_nothing(
    two_apis: tuple[hostile.Fleets, hostile.HostileServer, dict[str, str]],
) -> None:
    fleets, server, env = two_apis
    prod = f"{server.url}/prod"
    config = Path(env["AITASKER_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(f'[profiles.work]\napi_url = "{prod}"\n')
    made = aitasker("agents", "pause", uuid_n(3), "-o", "id", "--profile", "work", env=env)
    assert made.returncode == 0, made.stderr
    work_op = operation_of(made.stderr)
    assert operations(env)[0]["profile"] == "work"
    sent = _posts(server)

    wrong = aitasker("undo", work_op, "--yes", "--api-url", prod, env=env)  # default profile

    assert wrong.returncode == 2, wrong.stderr
    assert _posts(server) == sent
    assert "'work'" in wrong.stderr and "--profile work" in wrong.stderr, wrong.stderr

    newest = aitasker("undo", "--yes", "--api-url", prod, env=env)  # none of 'default' there

    assert newest.returncode == 3, newest.stderr
    assert _posts(server) == sent
    assert "--profile work" in newest.stderr, newest.stderr
    assert _statuses(fleets, "/prod") == ["active", "active", "paused"]

    right = aitasker("undo", "--yes", "--profile", "work", env=env)

    assert right.returncode == 0, right.stderr
    assert _statuses(fleets, "/prod") == ["active", "active", "active"]


@pytest.mark.parametrize("profile", ["default", "work"])
def test_undo_without_sandbox_after_sandbox_work_says_how_to_reach_it(profile: str) -> None:
    env = clean_env(AITASKER_TOKEN=TOKEN)
    listed = aitasker("--sandbox", "agents", "list", "--status", "active", "-o", "id", env=env)
    first, second = listed.stdout.split()[:2]
    for agent_id in (first, second):
        done = aitasker("--sandbox", "agents", "pause", agent_id, "-o", "id", env=env)
        assert done.returncode == 0, done.stderr
    with hostile.serve(hostile.polite()) as server:
        config = Path(env["AITASKER_CONFIG_DIR"])
        config.mkdir(parents=True, exist_ok=True)
        (config / "config.toml").write_text(f'[profiles.work]\napi_url = "{server.url}"\n')
        elsewhere = aitasker(
            "undo", "--yes", "--api-url", server.url, "--profile", profile, env=env
        )
        sent = server.count()

    assert elsewhere.returncode == 3, elsewhere.stderr
    assert sent == 0
    assert "2 operations were made with --sandbox" in elsewhere.stderr, elsewhere.stderr
    hint = next(line for line in elsewhere.stderr.splitlines() if line.startswith("Hint:"))
    assert "undo --sandbox" in hint, hint
    # Pasting the command the hint gives undoes the newest sandbox operation.
    suggested = shlex.split(hint.split(": ", 2)[2])
    assert suggested[0] == "aitasker", hint
    pasted = aitasker(*suggested[1:], "--yes", "-o", "id", env=env)
    assert pasted.returncode == 0, (hint, pasted.stderr)
    assert pasted.stdout.split() == [second]


@pytest.mark.parametrize("wanted", ["", " ", "\t"])
def test_an_empty_operation_id_is_exit_2_and_sends_nothing(
    two_apis: tuple[hostile.Fleets, hostile.HostileServer, dict[str, str]], wanted: str
) -> None:
    fleets, server, env = two_apis
    prod = f"{server.url}/prod"
    made = aitasker("agents", "pause", uuid_n(1), "-o", "id", "--api-url", prod, env=env)
    assert made.returncode == 0, made.stderr
    sent = server.count()

    empty = aitasker("undo", wanted, "--yes", "--api-url", prod, env=env)

    assert empty.returncode == 2, empty.stderr
    assert server.count() == sent
    assert _statuses(fleets, "/prod") == ["paused", "active", "active"]


# --- item 11: a FIFO or a symbolic link where the journal or its lock should be ----------------


def _sandbox_env(tmp_path: Path) -> tuple[dict[str, str], Path, str]:
    env = clean_env(AITASKER_SANDBOX_DIR=str(tmp_path / "sandbox"))
    state = Path(env["AITASKER_STATE_DIR"])
    state.mkdir(parents=True, mode=0o700)
    listed = aitasker("--sandbox", "agents", "list", "--status", "active", "-o", "id", env=env)
    return env, state, listed.stdout.split()[0]


def _quick(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the script, failing the test (not hanging it) if it takes more than 10 s."""
    try:
        return subprocess.run(
            [installed_script(), *argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"aitasker {' '.join(argv)} hung")


def _paused(env: dict[str, str], agent_id: str) -> bool:
    shown = aitasker("--sandbox", "agents", "show", agent_id, "-o", "json", env=env)
    return bool(json.loads(shown.stdout)["status"] == "paused")


def _one_error_line(ran: subprocess.CompletedProcess[str]) -> None:
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), ran.stderr


@pytest.mark.parametrize("name", ["journal.jsonl", "journal.lock"])
def test_a_fifo_in_the_journals_place_hangs_nothing(tmp_path: Path, name: str) -> None:
    env, state, agent_id = _sandbox_env(tmp_path)
    os.mkfifo(state / name, 0o600)

    paused = _quick("--sandbox", "agents", "pause", agent_id, "-o", "id", env=env)

    assert paused.returncode == 0, paused.stderr
    assert _paused(env, agent_id)
    assert "Warning: cannot write the journal" in paused.stderr, paused.stderr
    assert "FIFO" in paused.stderr
    assert stat.S_ISFIFO((state / name).lstat().st_mode)  # left as it was
    history = _quick("history", env=env)
    undo = _quick("--sandbox", "undo", "--yes", env=env)
    if name == "journal.jsonl":
        for ran in (history, undo):
            assert ran.returncode == 10, ran.stderr
            _one_error_line(ran)
            assert "FIFO" in ran.stderr
    else:  # reading takes no lock; a run that cannot lock writes nothing, so has nothing to undo
        assert history.returncode == 0, history.stderr
        assert history.stdout == ""
        assert undo.returncode == 3, undo.stderr
    assert _paused(env, agent_id)


@pytest.mark.parametrize("kind", ["fifo", "link"])
def test_a_bad_lock_is_named_in_the_warning(tmp_path: Path, kind: str) -> None:
    env, state, agent_id = _sandbox_env(tmp_path)
    if kind == "fifo":
        os.mkfifo(state / "journal.lock", 0o600)
    else:
        (state / "journal.lock").symlink_to(tmp_path / "elsewhere")

    paused = _quick("--sandbox", "agents", "pause", agent_id, "-o", "id", env=env)

    assert paused.returncode == 0, paused.stderr
    assert "journal.lock" in paused.stderr, paused.stderr


@pytest.mark.parametrize("name", ["journal.jsonl", "journal.lock"])
def test_a_symbolic_link_in_the_journals_place_is_not_followed(tmp_path: Path, name: str) -> None:
    env, state, agent_id = _sandbox_env(tmp_path)
    target = tmp_path / "precious.txt"
    target.write_text("not a journal\n")
    target.chmod(0o644)
    (state / name).symlink_to(target)

    paused = _quick("--sandbox", "agents", "pause", agent_id, "-o", "id", env=env)

    assert paused.returncode == 0, paused.stderr
    assert _paused(env, agent_id)
    assert "Warning: cannot write the journal" in paused.stderr, paused.stderr
    assert target.read_text() == "not a journal\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert (state / name).is_symlink()
    history = _quick("history", env=env)
    if name == "journal.jsonl":
        assert history.returncode == 10, history.stderr
        _one_error_line(history)
        assert "symbolic link" in history.stderr
    else:
        assert history.returncode == 0, history.stderr
    # A dangling link is not followed either: nothing is created at its target.
    (state / name).unlink()
    (state / name).symlink_to(tmp_path / "created-through-a-link")
    resumed = _quick("--sandbox", "agents", "resume", agent_id, "-o", "id", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert not (tmp_path / "created-through-a-link").exists()


# --- item 10: statuses no well-behaved API sends ----------------------------------------------


class OddStatusApi(ThreadingHTTPServer):
    """One agent whose status is `status` until it is paused (then "paused"); resume makes it
    "active". Counts the POSTs."""

    daemon_threads = True

    def __init__(self, status: str) -> None:
        super().__init__(("127.0.0.1", 0), _OddHandler)
        self.agent = agent(id=uuid_n(7), status=status, display_name="Odd one")
        self.posts: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _OddHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OddStatusApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        with self.server.lock:
            current = dict(self.server.agent)
        if path == hostile.AGENTS:
            wanted = re.findall(r"status=([^&]+)", query)
            offset = int((re.findall(r"offset=(\d+)", query) or ["0"])[0])
            matching = not wanted or current["status"] in ",".join(wanted).split(",")
            self._answer(200, [current] if matching and offset == 0 else [])
        elif path == f"{hostile.AGENTS}/{current['id']}":
            self._answer(200, current)
        else:
            self._answer(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        match = hostile.CHANGE_AGENT.fullmatch(self.path)
        with self.server.lock:
            if match is None or match["id"] != self.server.agent["id"]:
                self._answer(404, {"detail": "Not Found"})
                return
            self.server.posts.append(match["verb"])
            self.server.agent["status"] = "paused" if match["verb"] == "pause" else "active"
            current = dict(self.server.agent)
        self._answer(200, current)


@contextmanager
def odd_status_api(status: str) -> Iterator[OddStatusApi]:
    api = OddStatusApi(status)
    thread = threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield api
    finally:
        api.shutdown()
        api.server_close()
        thread.join(5)


ODD_STATUSES = {
    "bell": "active\u0007",
    "100 characters": "a" * 100,
    "escape sequence": "\x1b]0;pwned\x07active",
    "line break": "active\npaused",
    "lone surrogate": "active\ud800",
    "300 characters": "b" * 300,
}


@pytest.mark.parametrize("odd", list(ODD_STATUSES))
def test_an_odd_status_is_journaled_and_undo_says_what_it_would_do(odd: str) -> None:
    status = ODD_STATUSES[odd]
    env = clean_env(AITASKER_TOKEN=TOKEN)
    with odd_status_api(status) as api:
        env["AITASKER_API_URL"] = api.url
        paused = aitasker("agents", "pause", uuid_n(7), "-o", "json", env=env)
        assert paused.returncode == 0, paused.stderr
        assert json.loads(paused.stdout)["status"] == "paused"
        operation = operation_of(paused.stderr)

        listed = operations(env)
        preview = aitasker("undo", "--dry-run", "-o", "json", env=env)
        undone = aitasker("undo", "--yes", "-o", "json", env=env)
        posts = list(api.posts)

    assert [op["id"] for op in listed] == [operation]
    assert (listed[0]["changed"], listed[0]["total"]) == (1, 1)
    journal = Path(env["AITASKER_STATE_DIR"]) / "journal.jsonl"
    kept = [
        json.loads(line)
        for line in journal.read_text(encoding="utf-8").splitlines()
        if '"outcome":"changed"' in line
    ]
    assert [record["before"] for record in kept] == [status[:256]]  # kept as sent, cut at 256
    assert preview.returncode == 0, preview.stderr
    shown = json.loads(preview.stdout)
    assert [item["id"] for item in shown] == [uuid_n(7)]
    # No command brings an agent back to such a status: undo skips it, saying why.
    assert shown[0]["outcome"] == "would_skip", shown
    assert "no command brings an agent back to" in shown[0]["reason"]
    assert undone.returncode == 9, undone.stderr
    assert json.loads(undone.stdout)[0]["outcome"] == "skipped"
    assert posts == ["pause"]  # undo sent nothing
