"""`aitasker sandbox serve` as users run it: HTTP/1.1 on loopback, from the installed script."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from aitasker_cli.sandbox.server import SandboxServer
from tests.processes import aitasker, clean_env, installed_script, sandbox_server

AGENTS = "/api/v1/workspaces/agents"
AUTH = {"Authorization": "Bearer sandbox"}


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)


def get_json(connection: http.client.HTTPConnection, path: str) -> tuple[int, Any]:
    connection.request("GET", path, headers=AUTH)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def fetch_json(url: str, path: str) -> tuple[int, Any]:
    with closing(connect(url)) as connection:
        return get_json(connection, path)


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    with sandbox_server() as url, closing(connect(url)) as connection:
        statuses = [get_json(connection, f"{AGENTS}?limit=5")[0] for _ in range(20)]
        local_port = connection.sock.getsockname()[1] if connection.sock else None
        connection.request("GET", "/health")
        connection.getresponse().read()
        assert connection.sock is not None and connection.sock.getsockname()[1] == local_port
    assert statuses == [200] * 20


def test_concurrent_requests() -> None:
    with sandbox_server("--rate-limit", "0") as url:

        def fetch(offset: int) -> int:
            status, body = fetch_json(url, f"{AGENTS}?limit=1&offset={offset}")
            return len(body) if status == 200 else -1

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            counts = list(pool.map(fetch, range(64)))
    assert counts == [1] * 24 + [0] * 40


def test_ten_thousand_agents_page_through() -> None:
    with (
        sandbox_server("--agents", "10000", "--rate-limit", "0") as url,
        closing(connect(url)) as connection,
    ):
        seen: set[str] = set()
        offset = 0
        while True:
            _status, page = get_json(connection, f"{AGENTS}?limit=100&offset={offset}")
            if not page:
                break
            seen.update(agent["id"] for agent in page)
            offset += len(page)
    assert len(seen) == 10_000


def test_max_page_size_caps_pages() -> None:
    with sandbox_server("--max-page-size", "7") as url:
        _status, page = fetch_json(url, f"{AGENTS}?limit=50")
    assert len(page) == 7


def test_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [installed_script(), "sandbox", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=30,
            check=False,
        )
    assert completed.returncode == 2
    assert "--port 0" in completed.stderr


def served_and_stopped(command: list[str], stop: signal.Signals) -> tuple[int, str]:
    """COMMAND, a sandbox server on port 0, checked to answer, then sent STOP; its exit code
    and what it wrote on stderr."""
    process = subprocess.Popen(
        [*command, "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert fetch_json(url, "/health") == (200, {"status": "ok"})
        process.send_signal(stop)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, err


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly(stop: signal.Signals) -> None:
    code, err = served_and_stopped([installed_script()], stop)

    assert code == 0
    assert "Sandbox stopped." in err and "Traceback" not in err


GC_PROBE = """
import gc, json, sys
from aitasker_cli.sandbox.server import SandboxServer
usual, serving = gc.get_threshold(), []
serve_forever = SandboxServer.serve_forever

def noting_the_threshold(server, *args, **kwargs):
    serving.append(gc.get_threshold())
    return serve_forever(server, *args, **kwargs)

SandboxServer.serve_forever = noting_the_threshold
from aitasker_cli.entry import main
try:
    main(sys.argv[1:])
finally:
    print(json.dumps([usual, serving]), file=sys.stderr)
"""


def test_a_running_server_collects_garbage_as_usual() -> None:
    """Start-up puts Python's collections off (aitasker_cli/entry.py); a server runs for hours,
    so once it serves, garbage in cycles is collected at Python's usual pace again."""
    code, err = served_and_stopped([sys.executable, "-c", GC_PROBE], signal.SIGINT)

    assert code == 0, err
    usual, serving = json.loads(err.splitlines()[-1])
    assert serving == [usual]  # as it began to serve


@dataclass
class Served:
    url: str
    stderr: str = ""


@contextmanager
def serve(*options: str) -> Iterator[Served]:
    """`aitasker sandbox serve --port 0 OPTIONS`; after the block, `stderr` holds what it said.

    Unlike tests.processes.sandbox_server, any host may be given and its URL may be IPv6.
    """
    process = subprocess.Popen(
        [installed_script(), "sandbox", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert process.stdout is not None
    served = Served(process.stdout.readline().strip())
    try:
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        _out, served.stderr = process.communicate(timeout=30)
    assert process.returncode == 0, served.stderr


# --- framing: whatever arrives, a JSON answer, and the server carries on ----------------------

HIRE = json.dumps(
    {"agent_type": "seo_specialist", "tier": "pro", "persona_name": "Ingrid"}
).encode()


def exchange(url: str, data: bytes, *, wait: float = 5) -> bytes:
    """Send raw bytes, read until the server closes the connection (or `wait` passes)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return received + b"<still open>"
    return received


def parse(reply: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body) if body else None


def post(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: sandbox", "Authorization: Bearer x", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, size: int) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("framing", "status"),
    [
        ("Content-Length: abc", 400),
        ("Content-Length: -1", 400),
        ("Content-Length: \uff11", 400),
        ("Content-Length: 5\r\nContent-Length: 6", 400),
        ("Content-Length: 2\r\nTransfer-Encoding: chunked", 400),
        ("Transfer-Encoding: gzip", 501),
        (f"Content-Length: {2**20 + 1}", 413),
        (f"Content-Length: {'9' * 5000}", 413),
    ],
)
def test_malformed_framing_is_a_json_error(framing: str, status: int) -> None:
    with serve() as server:
        reply = exchange(server.url, post(AGENTS, *framing.split("\r\n")))
        still_serving = fetch_json(server.url, "/health")

    code, headers, body = parse(reply)
    assert (code, headers["content-type"]) == (status, "application/json")
    assert isinstance(body["detail"], str) and headers["connection"] == "close"
    assert still_serving == (200, {"status": "ok"})
    assert "Traceback" not in server.stderr


def test_a_chunked_body_is_read() -> None:
    with sandbox_server() as url:
        reply = exchange(
            url,
            post(
                AGENTS,
                "Transfer-Encoding: chunked",
                "Content-Type: application/json",
                "Connection: close",
            )
            + chunked(HIRE, 7),
        )
        code, _headers, body = parse(reply)
        status, agent = fetch_json(url, f"{AGENTS}/{body['hired_agent_id']}")

    assert code == 200 and status == 200 and agent["persona_name"] == "Ingrid"


@pytest.mark.parametrize(
    "broken",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}}\r\n0\r\n\r\n", b"%x\r\n" % (2**20 + 1)],
    ids=["bad size", "chunk longer than its size", "too large"],
)
def test_a_malformed_chunked_body_is_a_json_error(broken: bytes) -> None:
    with sandbox_server() as url:
        reply = exchange(url, post(AGENTS, "Transfer-Encoding: chunked") + broken)

    code, _headers, body = parse(reply)
    assert code in (400, 413) and isinstance(body["detail"], str)


def test_a_body_over_the_cap_is_refused_while_the_client_sends_it() -> None:
    """The 413 must reach a client that sends the whole body before reading, not a reset."""
    with sandbox_server() as url, closing(connect(url)) as connection:
        connection.request("POST", AGENTS, body=b"x" * (32 * 2**20), headers=AUTH)
        response = connection.getresponse()
        detail = json.loads(response.read())["detail"]

    assert response.status == 413 and "1048576 bytes" in detail


def test_a_client_waiting_for_100_continue_hears_413_first() -> None:
    with sandbox_server() as url:
        reply = exchange(url, post(AGENTS, f"Content-Length: {2**21}", "Expect: 100-continue"))

    assert parse(reply)[0] == 413


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "CONNECT", "FROB"])
def test_every_method_gets_json_never_the_501_page(method: str) -> None:
    with sandbox_server() as url, closing(connect(url)) as connection:
        connection.request(method, AGENTS, headers=AUTH)
        known = connection.getresponse()
        known_body = known.read()
        connection.request(method, "/api/v1/nothing", headers=AUTH)
        unknown = connection.getresponse()
        unknown_body = unknown.read()

    assert (known.status, known.getheader("Allow")) == (405, "GET, POST")
    assert unknown.status == 404 and unknown.getheader("Content-Type") == "application/json"
    if method == "HEAD":  # headers only, so the keep-alive connection stays in step
        assert known_body == unknown_body == b""
    else:
        assert json.loads(known_body) == {"detail": "Method Not Allowed"}
        assert json.loads(unknown_body) == {"detail": "Not Found"}


def test_a_garbled_request_line_gets_a_json_400_with_a_status_line() -> None:
    with sandbox_server() as url:
        reply = exchange(url, b"GARBAGE\r\n\r\n")

    code, headers, body = parse(reply)
    assert code == 400 and headers["content-type"] == "application/json" and body["detail"]


# --- where it listens ---------------------------------------------------------------------------


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def list_agents_through(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env(AITASKER_TOKEN="sandbox", AITASKER_CONFIG_DIR=str(tmp_path / "config"))
    return aitasker("agents", "list", "--api-url", url, "-o", "id", env=env)


@pytest.mark.parametrize(
    ("host", "shown", "warned"),
    [
        ("127.0.0.1", "http://127.0.0.1:", False),
        ("0.0.0.0", "http://127.0.0.1:", True),
        ("::1", "http://[::1]:", False),
        ("::", "http://[::1]:", True),
    ],
)
def test_the_url_printed_is_one_the_cli_accepts(
    tmp_path: Path, host: str, shown: str, warned: bool
) -> None:
    """Any token is accepted, so listening beyond loopback is said out loud; the URL printed
    is for this machine, where the CLI speaks plain http, and IPv6 hosts listen on IPv6."""
    if ":" in host and not ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    with serve("--host", host) as server:
        listed = list_agents_through(server.url, tmp_path)

    assert server.url.startswith(shown)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.split()) == 24
    assert ("Warning:" in server.stderr and "any token" in server.stderr) == warned
    assert "Traceback" not in server.stderr


def test_a_fault_in_the_app_is_a_json_500_and_the_server_carries_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")
        start_response("200 OK", [("Content-Length", "2")])
        return [b"{}"]

    server = SandboxServer(("127.0.0.1", 0), app, max_body=1024)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with closing(connect(server.url)) as connection:
            connection.request("GET", "/boom")
            failed = connection.getresponse()
            failed_body = json.loads(failed.read())
        with closing(connect(server.url)) as connection:
            connection.request("GET", "/fine")
            fine = connection.getresponse()
            fine.read()
    finally:
        server.shutdown()
        server.server_close()

    assert (failed.status, failed_body) == (500, {"detail": "Internal Server Error"})
    assert fine.status == 200 and calls == ["/boom", "/fine"]
    err = capsys.readouterr().err
    assert "RuntimeError('boom')" in err and "Traceback" not in err
