"""Hostile HTTP servers on 127.0.0.1, for end-to-end tests of the installed `aitasker`.

Each server answers the way a broken or malicious API would: too slowly, without end, with the
same page forever, with JSON a parser chokes on, or not at all. A server is a context manager
running in daemon threads; it listens on loopback only, and every loop in it is bounded in
count and in time, so a test that fails half-way cannot leave it running or hang the run.
"""

from __future__ import annotations

import itertools
import json
import re
import select
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import agent, uuid_n

LIFETIME = 60.0
"""No server, connection or loop outlives this many seconds, whatever the client does."""
MAX_CONNECTIONS = 2_000
MAX_REQUESTS_PER_CONNECTION = 1_000
MAX_HEAD = 64 * 1024
MAX_REQUEST_BODY = 1024 * 1024
POLL = 0.05
"""How often a waiting loop looks at the stop flag and at the client's side of the socket."""

AGENTS = "/api/v1/workspaces/agents"
ONE_AGENT = re.compile(r"/api/v1/workspaces/agents/(?P<id>[^/]+)")
CHANGE_AGENT = re.compile(r"/api/v1/workspaces/agents/(?P<id>[^/]+)/(?P<verb>pause|resume)")

ENDLESS_LIMIT = 256 * 1024 * 1024
"""Where the endless body hangs up: far past any sane body cap, so a client without one
fails a memory check (and gets an incomplete body) instead of exhausting the machine."""
PAGE_LIMIT = 200
"""Pages the repeating server sends before it stops answering: a client that never notices
the repetition has then been seen to loop, and the test's own timeout ends it."""

SHELL_AND_CONTROL_NAMES = (
    "Sales bot \\$(id>/tmp/aitasker-pwned)",
    "`id` $HOME ${PATH} $(touch /tmp/aitasker-pwned)",
    '"; rm -rf ~; echo " \' \\ ; | & ( ) { } < > * ? ! # ~',
    "tab\there, newline\nthere, return\rthere",
    "\x1b]0;pwned title\x07 OSC title",
    "\x1b]52;c;cm0gLXJmIH4=\x07 OSC 52 clipboard",
    "\x1b[2J\x1b[H clear screen \x1b[31mred\x1b[0m",
    "\x9b31m C1 CSI \x85 NEL \x90 DCS \x9d OSC",
    "bidi \u202egnp.exe\u202c \u2066isolate\u2069 \u200fmark\u200e \u061c",
    "nul \x00 del \x7f bell \x07 backspace \x08",
)
"""Display names that a shell would run or a terminal would obey, if written as they come."""


@dataclass(frozen=True)
class Request:
    """One request as the server read it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class Hangup(Exception):
    """The client went away, or the server is stopping: end this connection quietly."""


@dataclass
class HostileServer:
    """A running server: its URL, the requests it has read, and its stop flag."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    deadline: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, method: str | None = None, path: str | re.Pattern[str] | None = None) -> int:
        """How many requests came with this method and this path (or path pattern)."""
        with self._lock:
            seen = list(self.requests)
        return sum(
            1
            for request in seen
            if (method is None or request.method == method)
            and (path is None or _path_matches(path, request.path))
        )

    def wait_for(self, requests: int, seconds: float = 10.0, method: str | None = None) -> bool:
        """Wait until `requests` requests (with `method`) have come in; False on timeout."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.count(method) >= requests:
                return True
            time.sleep(POLL)
        return False

    def running(self) -> bool:
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


def _path_matches(path: str | re.Pattern[str], actual: str) -> bool:
    return bool(path.fullmatch(actual)) if isinstance(path, re.Pattern) else path == actual


class Exchange:
    """One request on one connection, and the ways to answer it, slowly or not at all."""

    def __init__(self, sock: socket.socket, request: Request, server: HostileServer) -> None:
        self.request = request
        self.server = server
        self._sock = sock
        self.reusable = False
        """True once a complete response has gone out: the connection may carry another."""

    def answer(self, status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> None:
        """A complete response; `body` is JSON-encoded unless it is already bytes."""
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send(head(status, len(payload), headers) + payload)
        self.reusable = True

    def send(self, data: bytes) -> None:
        """Write all of `data` as the client reads it; Hangup if it leaves or time is up."""
        view = memoryview(data)
        while view:
            if not self.server.running():
                raise Hangup
            _, writable, _ = select.select([], [self._sock], [], POLL)
            if writable:
                try:
                    sent = self._sock.send(view)
                except BlockingIOError:
                    continue
                except OSError:
                    raise Hangup from None
                view = view[sent:]

    def trickle(self, data: bytes, interval: float) -> None:
        """Write `data` one byte every `interval` seconds."""
        for offset in range(len(data)):
            self.send(data[offset : offset + 1])
            self.pause(interval)

    def pause(self, seconds: float) -> None:
        """Do nothing for `seconds`; Hangup as soon as the client leaves or time is up."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.server.running() or self._client_left():
                raise Hangup
            time.sleep(min(POLL, max(end - time.monotonic(), 0)))

    def hold(self) -> None:
        """Never answer: wait until the client gives up, or the server stops."""
        self.pause(LIFETIME)

    def _client_left(self) -> bool:
        readable, _, _ = select.select([self._sock], [], [], 0)
        if not readable:
            return False
        try:
            return self._sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


Behaviour = Callable[[Exchange], None]


def head(status: int, length: int | None, headers: Sequence[tuple[str, str]] = ()) -> bytes:
    """A response's status line and headers; chunked when `length` is None."""
    framing = (
        ("Content-Length", str(length)) if length is not None else ("Transfer-Encoding", "chunked")
    )
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}"]
    lines += [
        f"{name}: {value}"
        for name, value in [("Content-Type", "application/json"), framing, *headers]
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


@contextmanager
def serve(behaviour: Behaviour, *, lifetime: float = LIFETIME) -> Iterator[HostileServer]:
    """Run `behaviour` for every request on a fresh port of 127.0.0.1; yields the server."""
    server = HostileServer(deadline=time.monotonic() + lifetime)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(POLL)
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    connections: list[threading.Thread] = []

    def accept() -> None:
        while server.running() and len(connections) < MAX_CONNECTIONS:
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=_converse, args=(sock, behaviour, server), daemon=True)
            connections.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stopping.set()
        acceptor.join(timeout=5)
        listener.close()
        for thread in connections:
            thread.join(timeout=1)


def _converse(sock: socket.socket, behaviour: Behaviour, server: HostileServer) -> None:
    """Read requests on one connection and hand each to `behaviour`, until it is unusable."""
    sock.setblocking(False)
    buffered = b""
    try:
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            request, buffered = _read_request(sock, buffered, server)
            if request is None:
                return
            server._record(request)
            exchange = Exchange(sock, request, server)
            behaviour(exchange)
            if not exchange.reusable:
                return
    except Hangup:
        return
    finally:
        sock.close()


def _read_request(
    sock: socket.socket, buffered: bytes, server: HostileServer
) -> tuple[Request | None, bytes]:
    """The next request on the connection, or None when the client closed it."""
    while b"\r\n\r\n" not in buffered:
        if len(buffered) > MAX_HEAD:
            return None, b""
        more = _receive(sock, server)
        if not more:
            return None, b""
        buffered += more
    raw_head, _, rest = buffered.partition(b"\r\n\r\n")
    request_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
    method, target = [*request_line.split(" "), "", ""][:2]
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), MAX_REQUEST_BODY)
    while len(rest) < length:
        more = _receive(sock, server)
        if not more:
            return None, b""
        rest += more
    parts = urlsplit(target)
    request = Request(method, parts.path, parse_qs(parts.query), headers, rest[:length])
    return request, rest[length:]


def _receive(sock: socket.socket, server: HostileServer) -> bytes:
    """Whatever the client sends next; b"" when it closed, or when time is up."""
    while server.running():
        readable, _, _ = select.select([sock], [], [], POLL)
        if readable:
            try:
                return sock.recv(65536)
            except OSError:
                return b""
    return b""


# --- behaviours ------------------------------------------------------------------------------


def agent_list(count: int = 50, **overrides: Any) -> list[dict[str, Any]]:
    """`count` distinct agents in the documented shape."""
    return [agent(id=uuid_n(n), **overrides) for n in range(1, count + 1)]


def not_found(exchange: Exchange) -> None:
    exchange.answer(404, {"detail": "Not Found"})


def routes(table: dict[tuple[str, str | re.Pattern[str]], Behaviour]) -> Behaviour:
    """Dispatch on method and path (exact, or a pattern matching the whole path); else 404."""

    def dispatch(exchange: Exchange) -> None:
        for (method, path), behaviour in table.items():
            if exchange.request.method == method and _path_matches(path, exchange.request.path):
                behaviour(exchange)
                return
        not_found(exchange)

    return dispatch


def polite() -> Behaviour:
    """A well-behaved agents API: list, show, and pause/resume that take effect at once."""

    def show(exchange: Exchange) -> None:
        match = ONE_AGENT.fullmatch(exchange.request.path)
        exchange.answer(200, agent(id=match["id"] if match else uuid_n(1)))

    def change(exchange: Exchange) -> None:
        match = CHANGE_AGENT.fullmatch(exchange.request.path)
        assert match is not None
        status = "paused" if match["verb"] == "pause" else "active"
        exchange.answer(200, agent(id=match["id"], status=status))

    return routes(
        {
            ("GET", AGENTS): lambda exchange: exchange.answer(200, agent_list()),
            ("POST", CHANGE_AGENT): change,
            ("GET", ONE_AGENT): show,
        }
    )


def slow_body(interval: float = 1.0) -> Behaviour:
    """The headers at once, then the (valid) body one byte every `interval` seconds."""

    def respond(exchange: Exchange) -> None:
        payload = json.dumps(agent_list(3)).encode()
        exchange.send(head(200, len(payload)))
        exchange.trickle(payload, interval)

    return respond


def trickled_headers(interval: float = 1.0) -> Behaviour:
    """Even the status line and headers come one byte every `interval` seconds."""

    def respond(exchange: Exchange) -> None:
        payload = json.dumps(agent_list(3)).encode()
        exchange.trickle(head(200, len(payload)) + payload, interval)

    return respond


def endless_body() -> Behaviour:
    """A chunked list of agents that never ends (until ENDLESS_LIMIT, or time is up)."""

    def respond(exchange: Exchange) -> None:
        item = json.dumps(agent()).encode() + b","
        piece = item * max(1, 64 * 1024 // len(item))
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        exchange.send(head(200, None) + b"1\r\n[\r\n")
        sent = 0
        while sent < ENDLESS_LIMIT:
            exchange.send(chunk)
            sent += len(piece)
        # Past the limit the server hangs up mid-body: there is no terminating chunk.

    return respond


def repeated_pages(page_size: int = 50) -> Behaviour:
    """The agents list ignores `offset`: the same agents on every page, reversed every other time.

    After PAGE_LIMIT pages it stops answering: the client has shown that it does not stop.
    """
    agents = agent_list(page_size)
    pages = itertools.count(1)

    def respond(exchange: Exchange) -> None:
        page = next(pages)  # atomic: connections are served by parallel threads
        if page > PAGE_LIMIT:
            exchange.hold()
            return
        exchange.answer(200, agents if page % 2 else agents[::-1])

    return routes({("GET", AGENTS): respond})


def deeply_nested(depth: int) -> str:
    """A JSON value nested `depth` levels deep (built as text: encoding it would recurse too)."""
    return '{"a":' * depth + "1" + "}" * depth


def deep_json(depth: int = 1_000, *, status: int = 200) -> Behaviour:
    """Every answer nests `depth` deep: an agent's config when `status` is 200, else `detail`.

    The agents list, one agent, and pause all get one; so does any other path (for `api`).
    """

    def respond(exchange: Exchange) -> None:
        if status != 200:
            body = '{"detail": ' + deeply_nested(depth) + "}"
        else:
            single = json.dumps(agent(config={"deep": None})).replace(
                '"deep": null', '"deep": ' + deeply_nested(depth)
            )
            body = f"[{single}]" if exchange.request.path == AGENTS else single
        exchange.answer(status, body.encode())

    return respond


def non_finite_numbers(literal: str) -> Behaviour:
    """Agents whose config holds `literal` (NaN, Infinity, 1e999): not JSON as documented."""

    def respond(exchange: Exchange) -> None:
        single = json.dumps(agent(config={"score": None})).replace(
            '"score": null', f'"score": {literal}'
        )
        body = f"[{single}]" if exchange.request.path == AGENTS else single
        exchange.answer(200, body.encode())

    return respond


def hostile_names() -> Behaviour:
    """An agents list whose names, types and personas carry shell metacharacters and controls."""
    agents = [
        agent(id=uuid_n(n), display_name=name, persona_name=name, agent_type=name)
        for n, name in enumerate(SHELL_AND_CONTROL_NAMES, start=1)
    ]
    return routes({("GET", AGENTS): lambda exchange: exchange.answer(200, agents)})


def never_answers() -> Behaviour:
    """Accept the connection, read the request, and never say a word."""
    return Exchange.hold


def rate_limited(*, with_429: bool = False) -> Behaviour:
    """Pause and resume work, but the API says the window is spent.

    Either every answer carries `X-RateLimit-Remaining: 0` of a limit of 1 a minute, or
    (`with_429`) every request gets 429 with `Retry-After: 60`.
    """
    spent = [("X-RateLimit-Limit", "1"), ("X-RateLimit-Remaining", "0")]

    def change(exchange: Exchange) -> None:
        if with_429:
            exchange.answer(429, {"detail": "Too Many Requests"}, [("Retry-After", "60")])
            return
        match = CHANGE_AGENT.fullmatch(exchange.request.path)
        assert match is not None
        exchange.answer(200, agent(id=match["id"], status="paused"), spent)

    return routes({("POST", CHANGE_AGENT): change})


def pause_then_hang() -> Behaviour:
    """Pause is accepted (the agent is still active), then every GET hangs.

    Only the GET that comes before the pause (for the status before) is answered.
    """
    paused = threading.Event()

    def change(exchange: Exchange) -> None:
        match = CHANGE_AGENT.fullmatch(exchange.request.path)
        assert match is not None
        paused.set()
        exchange.answer(200, agent(id=match["id"], status="active"))

    def show(exchange: Exchange) -> None:
        if paused.is_set():
            exchange.hold()
        else:
            exchange.answer(200, agent(id=uuid_n(1), status="active"))

    return routes({("POST", CHANGE_AGENT): change, ("GET", ONE_AGENT): show})


def with_listing(behaviour: Behaviour, count: int = 20) -> Behaviour:
    """`behaviour`, but the agents list answers at once with `count` active agents.

    A bulk pause looks its agents up in the listing first; this lets it get to the pauses.
    """
    listing = routes({("GET", AGENTS): lambda exchange: exchange.answer(200, agent_list(count))})

    def respond(exchange: Exchange) -> None:
        if exchange.request.method == "GET" and exchange.request.path == AGENTS:
            listing(exchange)
        else:
            behaviour(exchange)

    return respond


# --- compressed bodies -----------------------------------------------------------------------

BOMB_SIZE = 64 * 1024 * 1024
"""What a bomb's body inflates to: four times the default body cap, so only a cap that counts
decoded bytes as they are made keeps a client's memory flat."""


def gzipped(data: bytes | Iterator[bytes]) -> bytes:
    """`data` (or the pieces it yields) in gzip, compressed as it comes."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    pieces = [squeeze.compress(piece) for piece in ([data] if isinstance(data, bytes) else data)]
    return b"".join([*pieces, squeeze.flush()])


def zeros(size: int, step: int = 1024 * 1024) -> Iterator[bytes]:
    """`size` zero bytes, a `step` at a time."""
    for offset in range(0, size, step):
        yield bytes(min(step, size - offset))


def gzip_bomb(layers: int = 1, size: int = BOMB_SIZE) -> Behaviour:
    """Every answer is `size` zero bytes gzipped `layers` times (`Content-Encoding: gzip, gzip`)."""
    # Built once, a MiB at a time, so the server never holds the plain body: about 64 KiB
    # for one layer of the default size, a few hundred bytes for two.
    body = gzipped(zeros(size))
    for _ in range(layers - 1):
        body = gzipped(body)
    encoding = [("Content-Encoding", ", ".join(["gzip"] * layers))]
    return lambda exchange: exchange.answer(200, body, encoding)


def gzipped_agent(**overrides: Any) -> Behaviour:
    """GET one agent answers that agent (with `overrides`) as JSON gzipped once."""

    def show(exchange: Exchange) -> None:
        match = ONE_AGENT.fullmatch(exchange.request.path)
        body = json.dumps(agent(id=match["id"] if match else uuid_n(1), **overrides)).encode()
        exchange.answer(200, gzipped(body), [("Content-Encoding", "gzip")])

    return routes({("GET", ONE_AGENT): show})


# --- APIs under path prefixes ----------------------------------------------------------------


class Fleets:
    """Independent in-memory agents APIs under path prefixes of one server (a Behaviour).

    `Fleets({"/prod": agent_list(3), "/staging": agent_list(3)})` answers
    `/prod/api/v1/workspaces/agents...` from the first fleet and `/staging/...` from the
    second, so `--api-url http://127.0.0.1:PORT/prod` and `.../staging` are two APIs on one
    port. A prefix may have several segments, or be "" (no prefix). Each fleet answers:

    - GET `{prefix}/api/v1/workspaces/agents`, with `limit`, `offset` and `status` (repeatable);
    - GET `{prefix}/api/v1/workspaces/agents/{id}` (404 if unknown);
    - POST `.../{id}/pause` and `.../{id}/resume`: active <-> paused, idempotent, 409 for a
      cancelled agent; each answers the agent as it is afterwards.

    Anything else, or a path under no prefix, is 404. `agent(prefix, id)` reads a fleet.
    """

    def __init__(self, fleets: dict[str, list[dict[str, Any]]]) -> None:
        self._fleets = {
            prefix.rstrip("/"): {item["id"]: dict(item) for item in agents}
            for prefix, agents in fleets.items()
        }
        self._lock = threading.Lock()  # connections are served by parallel threads

    def agent(self, prefix: str, agent_id: str) -> dict[str, Any]:
        """The agent as `prefix`'s fleet has it now (a copy)."""
        with self._lock:
            return dict(self._fleets[prefix.rstrip("/")][agent_id])

    def __call__(self, exchange: Exchange) -> None:
        path = exchange.request.path
        # The longest prefix first, so "/prod" never takes "/prod/eu"'s requests.
        for prefix in sorted(self._fleets, key=len, reverse=True):
            if path.startswith(prefix + "/api/"):
                with self._lock:
                    status, body = self._answer(
                        self._fleets[prefix], exchange.request, path[len(prefix) :]
                    )
                exchange.answer(status, body)
                return
        not_found(exchange)

    @staticmethod
    def _answer(fleet: dict[str, dict[str, Any]], request: Request, path: str) -> tuple[int, Any]:
        if request.method == "GET" and path == AGENTS:
            wanted = [s for value in request.query.get("status", []) for s in value.split(",")]
            listed = [a for a in fleet.values() if not wanted or a["status"] in wanted]
            offset = int(request.query.get("offset", ["0"])[0])
            limit = int(request.query.get("limit", ["50"])[0])
            return 200, listed[offset : offset + limit]
        match = CHANGE_AGENT.fullmatch(path) or ONE_AGENT.fullmatch(path)
        found = fleet.get(match["id"]) if match else None
        verb = match.groupdict().get("verb") if match else None
        if found is None or request.method != ("POST" if verb else "GET"):
            return 404, {"detail": "Not Found"}
        if verb is None:
            return 200, found
        if found["status"] == "cancelled":
            return 409, {"detail": f"Cancelled agents cannot be {verb}d"}
        status = "paused" if verb == "pause" else "active"
        if found["status"] != status:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            found.update(
                status=status, updated_at=now, paused_at=now if status == "paused" else None
            )
        return 200, found
