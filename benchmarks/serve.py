"""The sandbox API (the same app and server class as `aitasker sandbox serve`), over http or
https, optionally noting when each agents page is asked for.

    python benchmarks/serve.py --agents N [--cert server.pem --key server.key] [--page-log F]

Prints its URL on stdout (https://127.0.0.1:PORT with a certificate). The TLS handshake runs
in each connection's own thread, not in the accepting one, so 8 clients at once are not
serialised. With --page-log, every request for the list of agents appends a line
`<time.monotonic()> <query>` to F, so that a caller can tell when the last page was fetched
(CLOCK_MONOTONIC is the same clock in every process on Linux).
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from aitasker_cli.sandbox.app import MAX_BODY_BYTES, SandboxApp
from aitasker_cli.sandbox.seed import seed_state
from aitasker_cli.sandbox.server import SandboxServer
from aitasker_cli.sandbox.store import MemoryStore

AGENTS_PATH = "/api/v1/workspaces/agents"


class TlsSandboxServer(SandboxServer):
    context: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.context is not None:
            try:
                request = self.context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=24)
    parser.add_argument("--max-page-size", type=int, default=100)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--page-log")
    args = parser.parse_args()
    app: Callable[..., Iterable[bytes]] = SandboxApp(
        MemoryStore(seed_state(args.agents)), max_page_size=args.max_page_size, rate_limit=0
    )
    if args.page_log:
        app = _logging(app, args.page_log)
    server = TlsSandboxServer(("127.0.0.1", 0), app, max_body=MAX_BODY_BYTES)
    url = server.url
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.context = context
        url = url.replace("http://", "https://", 1)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _logging(app: Callable[..., Iterable[bytes]], path: str) -> Callable[..., Iterable[bytes]]:
    lock = threading.Lock()

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == AGENTS_PATH:
            with lock, open(path, "a") as log:
                log.write(f"{time.monotonic()} {environ['QUERY_STRING']}\n")
        return app(environ, start_response)

    return logged


if __name__ == "__main__":
    main()
