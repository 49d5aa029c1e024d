"""`aitasker sandbox serve`: the sandbox app over HTTP/1.1, keep-alive, a thread a connection.

The server frames requests (Content-Length or chunked, capped) and answers anything it cannot
frame with a JSON error of its own; everything else, whatever the method, goes to the app.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import socket
import socketserver
import sys
import time
from collections.abc import Callable, Iterable
from email.message import Message
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

BODY_TIMEOUT_SECONDS = 30.0
"""Longest wait for the next piece of a request body before the connection is dropped."""
LINGER_SECONDS = 2.0
"""How long a refused body is read and dropped so that the refusal reaches its client."""
_LINE_LIMIT = 1024
"""Longest chunk-size line or trailer line read."""


class SandboxServer(ThreadingHTTPServer):
    """A WSGI app served on one address, IPv4 or IPv6, a thread a connection."""

    daemon_threads = True
    # Bulk clients open several connections at once; the default backlog of 5 drops them.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: WsgiApp, *, max_body: int) -> None:
        host, port = address
        family, _type, _proto, _name, found = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        bind_to = (str(found[0]), int(found[1]), *found[2:])
        # The class listens on IPv4 unless told otherwise; the host decides, so ::1 works.
        self.address_family = family
        self.app = app
        self.max_body = max_body
        super().__init__(bind_to, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the address up in DNS (getfqdn), which can stall
        # start-up for seconds on a machine without a resolver; the name is never used.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.host, int(self.server_address[1])

    @property
    def host(self) -> str:
        """The address listened on, as bound."""
        return str(self.server_address[0])

    @property
    def on_loopback(self) -> bool:
        """Whether only this machine can connect."""
        return _address(self.host).is_loopback

    @property
    def url(self) -> str:
        """A URL to reach the server from this machine: loopback for a wildcard address, so
        that the CLI, which speaks plain http to loopback only, accepts it."""
        address = _address(self.host)
        if address.is_unspecified:
            address = _address("::1" if address.version == 6 else "127.0.0.1")
        shown = f"[{address}]" if address.version == 6 else str(address)
        return f"http://{shown}:{self.server_address[1]}"


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(host.partition("%")[0])


class Refused(Exception):
    """A request the server answers itself, before the app: bad framing, too big, too slow."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class ClientGone(Exception):
    """The connection closed in the middle of a request; there is no one left to answer."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the body then waits for
    # the client's delayed ACK, about 40 ms on every keep-alive request.
    disable_nagle_algorithm = True
    server: SandboxServer

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method it has no do_<METHOD> for with its own 501 HTML page.
        # Every method goes to the app instead, which answers 404, or 405 with Allow, in JSON.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, *_args: Any) -> None:
        pass  # a line for every request would drown a benchmark's output

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, too many headers) in JSON."""
        del explain
        # Before the request line is understood, http.server would answer in HTTP/0.9: a bare
        # body without a status line, which no client today can read.
        self.request_version = self.protocol_version
        self._send_json(code, message or HTTPStatus(code).phrase)

    def handle_expect_100(self) -> bool:
        # A client waiting for 100 Continue hears no instead, before it sends a body we refuse.
        try:
            _framing(self.headers, self.server.max_body)
        except Refused as refused:
            self._send_json(refused.status, refused.detail)
            return False
        return super().handle_expect_100()

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except Refused as refused:
            self._send_json(refused.status, refused.detail)
            self._linger()
            return
        except (ClientGone, OSError):
            self.close_connection = True
            return
        environ = self._environ(body)
        reply: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            reply["status"], reply["headers"] = status, headers

        try:
            payload = b"".join(self.server.app(environ, start_response))
        except Exception as exc:  # one request's fault must not end the server
            sys.stderr.write(f"sandbox: {self.command!r} {self.path!r} failed: {exc!r}\n")
            self._send_json(500, "Internal Server Error")
            return
        code, _, reason = reply["status"].partition(" ")
        self.send_response_only(int(code), reason)  # the app sends its own Date
        for name, value in reply["headers"]:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has headers only, whatever its status
            self.wfile.write(payload)

    def _environ(self, body: bytes) -> dict[str, Any]:
        parts = urlsplit(self.path)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": unquote(parts.path),
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "SERVER_NAME": self.server.host,
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[f"HTTP_{name}"] = value
        return environ

    def _read_body(self) -> bytes:
        """The request body, de-chunked; Refused when it is malformed, too big or too slow."""
        length = _framing(self.headers, self.server.max_body)
        self.connection.settimeout(BODY_TIMEOUT_SECONDS)
        try:
            if length is None:
                return self._read_chunked()
            return self._read_exactly(length)
        except TimeoutError:
            raise Refused(408, "Request body not received in time") from None
        finally:
            self.connection.settimeout(None)

    def _read_exactly(self, length: int) -> bytes:
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise ClientGone
        return data

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = self._read_line()
            size_text = size_line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size_text):
                raise Refused(400, "Malformed chunk size in a chunked body")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > self.server.max_body:
                raise Refused(413, _too_large(self.server.max_body))
            body += self._read_exactly(size)
            if self._read_line().strip():
                raise Refused(400, "A chunk of a chunked body is longer than its size")
        for _ in range(100):  # trailers, ignored, up to the blank line that ends the body
            if not self._read_line().strip():
                return bytes(body)
        raise Refused(400, "Too many trailer lines after a chunked body")

    def _read_line(self) -> bytes:
        line = self.rfile.readline(_LINE_LIMIT + 1)
        if not line:
            raise ClientGone
        if len(line) > _LINE_LIMIT:
            raise Refused(400, "Line too long in a chunked body")
        return line

    def _send_json(self, status: int, detail: str) -> None:
        """An error of the server's own, in the app's JSON shape, after which it hangs up."""
        payload = json.dumps({"detail": detail}).encode()
        self.send_response_only(status, HTTPStatus(status).phrase)
        for name, value in (
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            ("Date", formatdate(usegmt=True)),
            ("Connection", "close"),  # what follows on the wire may not be a request
        ):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _linger(self) -> None:
        """Drop what the client is still sending, for a moment, before hanging up: closing a
        socket with unread data resets the connection, and the reset can overtake our answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_SECONDS)
            deadline = time.monotonic() + LINGER_SECONDS
            while time.monotonic() < deadline and self.connection.recv(65536):
                pass
        except OSError:
            pass


def _framing(headers: Message, max_body: int) -> int | None:
    """The body's length from the headers, or None for a chunked body; Refused when the
    headers frame it in a way the server will not read."""
    codings = [c.strip().lower() for h in _all(headers, "Transfer-Encoding") for c in h.split(",")]
    lengths = {v.strip() for h in _all(headers, "Content-Length") for v in h.split(",")}
    if codings:
        if lengths:  # which one framed the body is ambiguous: the start of request smuggling
            raise Refused(400, "Content-Length and Transfer-Encoding together")
        if codings != ["chunked"]:
            raise Refused(501, "Only the chunked transfer coding is supported")
        return None
    if not lengths:
        return 0
    if len(lengths) > 1:
        raise Refused(400, "Conflicting Content-Length values")
    text = lengths.pop()
    if not re.fullmatch(r"[0-9]+", text):
        raise Refused(400, "Content-Length must be a whole number of bytes")
    if len(text.lstrip("0")) > 18 or int(text) > max_body:
        raise Refused(413, _too_large(max_body))
    return int(text)


def _all(headers: Message, name: str) -> list[str]:
    return [str(value) for value in headers.get_all(name, [])]


def _too_large(max_body: int) -> str:
    return f"Request body larger than {max_body} bytes"
