"""`aitasker sandbox serve` as users run it: HTTP/1.1 on loopback, from the installed script."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import signal
import socket
import subprocess
from contextlib import closing
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.processes import clean_env, installed_script, sandbox_server

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


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly(stop: signal.Signals) -> None:
    process = subprocess.Popen(
        [installed_script(), "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert fetch_json(url, "/health") == (200, {"status": "ok"})

    process.send_signal(stop)
    _out, err = process.communicate(timeout=30)

    assert process.returncode == 0
    assert "Sandbox stopped." in err and "Traceback" not in err
