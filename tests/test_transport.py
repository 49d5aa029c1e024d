"""Transport safety of the installed `aitasker`: proxies, custom CAs, plain http and redirects."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AGENT_ID, TOKEN, agent
from tests.loopback import serve
from tests.processes import aitasker, clean_env

AGENT_PATH = f"/api/v1/workspaces/agents/{AGENT_ID}"


@pytest.fixture
def proxy() -> Iterator[list[str]]:
    """A loopback "proxy" that records each request line and refuses it with 502."""
    seen: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                seen.append(connection.recv(4096).decode(errors="replace").split("\r\n")[0])
                connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=accept, daemon=True).start()
    seen.append(f"http://127.0.0.1:{server.getsockname()[1]}")
    yield seen
    server.close()


REMOTE_API = "https://api.example.test"
"""Never resolved here: only the proxy sees this name, in its CONNECT line."""


def test_https_proxy_is_used_for_a_remote_api(proxy: list[str]) -> None:
    proxy_url = proxy.pop(0)
    env = clean_env(AITASKER_TOKEN=TOKEN, HTTPS_PROXY=proxy_url, AITASKER_API_URL=REMOTE_API)

    completed = aitasker("agents", "show", AGENT_ID, "--retries", "0", env=env)

    assert completed.returncode == 7
    assert proxy == ["CONNECT api.example.test:443 HTTP/1.1"]


def test_a_proxy_without_a_scheme_is_taken_as_http(proxy: list[str]) -> None:
    """HTTPS_PROXY=host:port, as httpx and curl read it, not a usage error."""
    proxy_address = proxy.pop(0).removeprefix("http://")
    env = clean_env(AITASKER_TOKEN=TOKEN, HTTPS_PROXY=proxy_address, AITASKER_API_URL=REMOTE_API)

    completed = aitasker("agents", "show", AGENT_ID, "--retries", "0", env=env)

    assert completed.returncode == 7, completed.stderr  # the proxy's 502
    assert proxy == ["CONNECT api.example.test:443 HTTP/1.1"]


def test_no_proxy_is_honoured(proxy: list[str]) -> None:
    proxy_url = proxy.pop(0)
    env = clean_env(
        AITASKER_TOKEN=TOKEN,
        HTTPS_PROXY=proxy_url,
        NO_PROXY="example.test",
        AITASKER_API_URL=REMOTE_API,
        AITASKER_TIMEOUT="2",
    )

    completed = aitasker("agents", "show", AGENT_ID, "--retries", "0", env=env)

    assert completed.returncode == 7  # sent directly: the name does not resolve
    assert proxy == []


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"])
def test_a_loopback_api_never_goes_through_a_proxy(proxy: list[str], variable: str) -> None:
    """The token to a plain-http loopback API must not travel in clear to a proxy elsewhere."""
    proxy_url = proxy.pop(0)
    with serve() as api:
        api.reply("GET", AGENT_PATH, 200, agent())
        env = clean_env(AITASKER_TOKEN=TOKEN, AITASKER_API_URL=api.url, **{variable: proxy_url})

        completed = aitasker("agents", "show", AGENT_ID, "-o", "id", "--retries", "0", env=env)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == f"{AGENT_ID}\n"
    assert proxy == []
    assert len(api.requests) == 1


def test_a_socks_proxy_is_refused_clearly() -> None:
    env = clean_env(
        AITASKER_TOKEN=TOKEN, ALL_PROXY="socks5://127.0.0.1:9", AITASKER_API_URL=REMOTE_API
    )

    completed = aitasker("agents", "show", AGENT_ID, env=env)

    assert completed.returncode == 2
    assert completed.stderr.startswith("Error: SOCKS proxies")
    assert "Traceback" not in completed.stderr


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS API on 127.0.0.1 with a self-signed certificate; yields its URL and the cert."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command (Debian: openssl) to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps(agent()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_ssl_cert_file_is_trusted(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    env = clean_env(AITASKER_TOKEN=TOKEN, AITASKER_API_URL=url)

    untrusted = aitasker("agents", "show", AGENT_ID, "--retries", "0", env=env)
    trusted = aitasker(
        "agents", "show", AGENT_ID, "-o", "id", env={**env, "SSL_CERT_FILE": str(cert)}
    )

    assert untrusted.returncode == 7
    assert "certificate" in untrusted.stderr.lower()
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout == f"{AGENT_ID}\n"
