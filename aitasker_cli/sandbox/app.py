"""The sandbox API as a WSGI app: routing, FastAPI-style errors, paging, auth and rate limits.

Only the standard library is used, so the same app runs in-process behind `--sandbox` (through
httpx's WSGI transport) and over real HTTP behind `aitasker sandbox serve`.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from aitasker_cli.sandbox.fleet import ApiProblem, Fleet, validation_problem
from aitasker_cli.sandbox.lifecycle import Lifecycle
from aitasker_cli.sandbox.routes import OPERATIONS
from aitasker_cli.sandbox.schema import BODIES, check_body, parse_body
from aitasker_cli.sandbox.store import Store

DEFAULT_MAX_PAGE_SIZE = 100
DEFAULT_RATE_LIMIT = 300
"""Requests a minute per client, as on the platform."""
MAX_BODY_BYTES = 1024 * 1024
"""Largest request body read; a bigger one is answered 413. Documented bodies are a few KiB."""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True)
class Call:
    """One request, parsed: path parameters, query values and JSON body."""

    path: dict[str, str]
    query: dict[str, str]
    page: slice
    body: Any

    @property
    def status(self) -> str | None:
        return self.query.get("status")


Handler = Callable[[Fleet, Call], Any]

HANDLERS: dict[str, Handler] = {
    "listHiredAgents": lambda fleet, call: fleet.list_agents(call.status, call.page),
    "hireAgent": lambda fleet, call: fleet.hire(call.body),
    "getHiredAgent": lambda fleet, call: fleet.get_agent(call.path["agent_id"]),
    "updateHiredAgent": lambda fleet, call: fleet.update_agent(call.path["agent_id"], call.body),
    "pauseHiredAgent": lambda fleet, call: fleet.pause(call.path["agent_id"]),
    "resumeHiredAgent": lambda fleet, call: fleet.resume(call.path["agent_id"]),
    "cancelHiredAgent": lambda fleet, call: fleet.cancel(call.path["agent_id"]),
    "listWorkspaces": lambda fleet, call: fleet.list_workspaces(call.status, call.page),
    "getWorkspace": lambda fleet, call: fleet.get_workspace(call.path["workspace_id"]),
    "updateWorkspace": lambda fleet, call: fleet.update_workspace(
        call.path["workspace_id"], call.body
    ),
    "listWorkspaceTasks": lambda fleet, call: fleet.list_tasks(
        call.path["workspace_id"], call.status, call.page
    ),
    "getWorkspaceTask": lambda fleet, call: fleet.get_task(
        call.path["workspace_id"], call.path["task_id"]
    ),
    "approveWorkspaceTask": lambda fleet, call: fleet.decide(
        call.path["workspace_id"], call.path["task_id"], approve=True
    ),
    "rejectWorkspaceTask": lambda fleet, call: fleet.decide(
        call.path["workspace_id"], call.path["task_id"], approve=False
    ),
}
"""What each operation in sandbox/routes.py does, by operationId (`health` is answered before
authentication, so it has none)."""


def _compile(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")


@dataclass(frozen=True)
class Resource:
    """One documented path and the operation behind each of its methods."""

    pattern: re.Pattern[str]
    operations: dict[str, str]

    @property
    def allow(self) -> str:
        """The `Allow` header of a 405 here."""
        return ", ".join(sorted(self.operations))


def _resources() -> list[Resource]:
    by_path: dict[str, dict[str, str]] = {}
    for name, operation in OPERATIONS.items():
        by_path.setdefault(operation.path, {})[operation.method] = name
    # Where two paths first differ, a literal segment wins over a parameter, as in FastAPI's
    # declaration order for these routes: /workspaces/agents is the agent list (so PATCH there
    # is 405), not a workspace whose ID is "agents".
    ordered = sorted(by_path, key=lambda path: [s.startswith("{") for s in path.split("/")])
    return [Resource(_compile(path), by_path[path]) for path in ordered]


_RESOURCES = _resources()


class RateLimiter:
    """A sliding one-minute window of requests per client; 0 turns limiting off."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, client: str) -> list[tuple[str, str]]:
        """The rate-limit headers for this request; ApiProblem 429 when over the limit."""
        if self.per_minute <= 0:
            return []
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = str(math.ceil(60 - (now - hits[0])))
                raise ApiProblem(
                    429, "Rate limit exceeded", [*self._headers(0), ("Retry-After", wait)]
                )
            hits.append(now)
            return self._headers(self.per_minute - len(hits))

    def _headers(self, remaining: int) -> list[tuple[str, str]]:
        return [
            ("X-RateLimit-Limit", str(self.per_minute)),
            ("X-RateLimit-Remaining", str(remaining)),
        ]


class SandboxApp:
    """The WSGI callable."""

    def __init__(
        self,
        store: Store,
        *,
        max_page_size: int = DEFAULT_MAX_PAGE_SIZE,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        lifecycle: Lifecycle | None = None,
    ) -> None:
        self.store = store
        self.max_page_size = max_page_size
        self.limiter = RateLimiter(rate_limit)
        self.lifecycle = lifecycle
        """Moves tasks by the time gone by, before each request; None keeps the fleet still."""

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        status, body, headers = self.respond(environ)
        payload = json.dumps(body, ensure_ascii=False).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("Date", formatdate(usegmt=True)),
                *headers,
            ],
        )
        return [payload]

    def respond(self, environ: dict[str, Any]) -> tuple[int, Any, list[tuple[str, str]]]:
        headers = [("X-Request-ID", f"req_{uuid.uuid4().hex[:20]}")]
        try:
            name, path = _route(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
            if name == "health":
                return 200, {"status": "ok"}, headers
            headers += self.limiter.admit(environ.get("REMOTE_ADDR", "local"))
            _authenticate(environ)
            call = self._parse(name, path, environ)
            if self.lifecycle is not None:
                self.lifecycle.catch_up(self.store)
            with self.store.session(write=environ["REQUEST_METHOD"] != "GET") as tables:
                return 200, HANDLERS[name](Fleet(tables), call), headers
        except ApiProblem as problem:
            extra = [("WWW-Authenticate", "Bearer")] if problem.status == 401 else []
            return problem.status, {"detail": problem.detail}, [*headers, *problem.headers, *extra]

    def _parse(self, name: str, path: dict[str, str], environ: dict[str, Any]) -> Call:
        for key, value in path.items():
            if key.endswith("_id") and not _UUID.fullmatch(value):
                raise validation_problem(
                    ["path", key],
                    "Input should be a valid UUID, invalid character: expected an optional "
                    "prefix of `urn:uuid:` followed by [0-9a-fA-F-]",
                    "uuid_parsing",
                    value,
                )
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        limit = _integer(query, "limit", default=50, minimum=1)
        offset = _integer(query, "offset", default=0, minimum=0)
        page = slice(offset, offset + min(limit, self.max_page_size))
        last = {key: values[-1] for key, values in query.items()}
        canonical = {k: v.lower() if k.endswith("_id") else v for k, v in path.items()}
        return Call(canonical, last, page, _body(name, environ))


def _route(method: str, path: str) -> tuple[str, dict[str, str]]:
    for resource in _RESOURCES:
        match = resource.pattern.match(path)
        if match is None:
            continue
        if method in resource.operations:
            return resource.operations[method], match.groupdict()
        raise ApiProblem(405, "Method Not Allowed", [("Allow", resource.allow)])
    raise ApiProblem(404, "Not Found")


def _authenticate(environ: dict[str, Any]) -> None:
    scheme, _, credentials = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ApiProblem(401, "Not authenticated")


def _integer(query: dict[str, list[str]], name: str, *, default: int, minimum: int) -> int:
    if name not in query:
        return default
    text = query[name][-1]
    # ASCII digits only: int() would also take "1_000", " 7" and other scripts' digits.
    if not re.fullmatch(r"[+-]?[0-9]{1,4000}", text):
        raise validation_problem(
            ["query", name],
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
            text,
        )
    value = int(text)
    if value < minimum:
        raise validation_problem(
            ["query", name],
            f"Input should be greater than or equal to {minimum}",
            "greater_than_equal",
            text,
        )
    return value


def _body(name: str, environ: dict[str, Any]) -> Any:
    """The checked body of an operation that takes one; for the others, what was sent, which
    must still be JSON if anything was (FastAPI parses a JSON body it then ignores)."""
    raw = _read_body(environ)
    if name in BODIES:
        return check_body(name, raw)
    return parse_body(raw) if raw.strip() else {}


def _read_body(environ: dict[str, Any]) -> bytes:
    text = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not re.fullmatch(r"[0-9]+", text):
        raise ApiProblem(400, "Content-Length must be a whole number of bytes")
    if len(text.lstrip("0")) > 9 or int(text) > MAX_BODY_BYTES:
        raise ApiProblem(413, f"Request body larger than {MAX_BODY_BYTES} bytes")
    length = int(text)
    return bytes(environ["wsgi.input"].read(length)) if length else b""
