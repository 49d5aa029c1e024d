"""A tiny API server on 127.0.0.1 for end-to-end tests of the installed `aitasker`."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, Any]
Handler = Callable[[dict[str, list[str]]], Reply]


@dataclass
class LoopbackApi:
    url: str
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    delay: float = 0.0

    def reply(self, method: str, path: str, status: int, body: Any) -> None:
        self.routes[(method, path)] = lambda _query: (status, body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that left before a slow answer (its test ended) is no error: the default
        prints a traceback into whatever captures stderr then, another test's output."""


@contextmanager
def serve() -> Iterator[LoopbackApi]:
    api = LoopbackApi(url="")

    class Handle(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            api.requests.append((method, self.path, dict(self.headers.items())))
            time.sleep(api.delay)
            handler = api.routes.get((method, parts.path))
            status, body = (
                handler(parse_qs(parts.query)) if handler else (404, {"detail": "Not Found"})
            )
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = _QuietServer(("127.0.0.1", 0), Handle)
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
