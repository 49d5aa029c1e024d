"""The HTTP client: the one package that speaks to the AITasker API (and imports httpx).

It validates path parameters before sending, retries what is safe to retry, turns every
status into the error carrying the contract's exit code, and checks that each body has the
documented shape.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from aitasker_cli import __version__
from aitasker_cli.api.deadlines import OuterDeadline, OutOfTime
from aitasker_cli.api.httpx_adapter import httpx
from aitasker_cli.api.models import HiredAgent, Workspace, WorkspaceDetail, WorkspaceTask
from aitasker_cli.api.paging import pages
from aitasker_cli.api.responses import (
    MAX_BODY_BYTES,
    M,
    Reply,
    body_cap,
    decode,
    parse_model,
    read_capped,
    request_id,
    retry_after,
)
from aitasker_cli.api.tasks import TaskCalls
from aitasker_cli.api.throttle import Throttle
from aitasker_cli.api.transport import DEADLINE, describe_transport_error, make_transport
from aitasker_cli.core.errors import NotFoundError, RejectedError, UnavailableError
from aitasker_cli.domain.actions import Action
from aitasker_cli.domain.routes import PAGE_SIZE, build_path
from aitasker_cli.local.config import Settings

__all__ = ["MAX_BODY_BYTES", "ApiClient", "OutOfTime", "Throttle", "clock", "sleep"]

USER_AGENT = f"aitasker-cli/{__version__}"
DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
}
"""Sent with every request; a command's own headers (`aitasker api -H`) override them."""
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
sleep = time.sleep
clock = time.monotonic
"""Module attributes, so tests can make waits instant and time pass at will."""


class ApiClient(TaskCalls):
    """One connection pool per process, with the API URL, timeouts and retries of `settings`.

    The task calls (get_task, decide, list_tasks) come from api/tasks.py.
    """

    def __init__(
        self,
        settings: Settings,
        token: Callable[[], str],
        *,
        log: Callable[[str], None] | None = None,
        app: Any = None,
    ) -> None:
        """`app` is a WSGI app to call in-process (the sandbox) instead of the network."""
        self._settings = settings
        self._token_provider = token
        self._token: str | None = None
        self._token_lock = threading.Lock()
        # Looked up at each call, so tests can make time pass at will.
        self._throttle = Throttle(clock=lambda: clock(), sleep=lambda seconds: sleep(seconds))
        self._log = log
        self._outer = threading.local()
        # Requests go straight to the transport, not through an httpx.Client: the client's
        # cookie jar, auth flow, event hooks and URL merging cost more CPU per request than
        # the rest of our own code, and none of them is wanted. So redirects are never
        # followed (a redirect could carry the token to another host; decode reports it),
        # and no cookie is kept or sent.
        self._transport: httpx.BaseTransport = (
            httpx.WSGITransport(app=app) if app is not None else make_transport(settings)
        )
        self._base_url = settings.api_url.rstrip("/")
        self._max_body = body_cap()
        self._timeouts = httpx.Timeout(
            settings.timeout, connect=min(settings.timeout, 10.0)
        ).as_dict()

    def close(self) -> None:
        self._transport.close()

    # --- endpoints ------------------------------------------------------------------------

    def list_agents(self, *, status: str | None, limit: int | None) -> Iterator[HiredAgent]:
        return self._paginate(HiredAgent, "agents.list", {}, status=status, limit=limit)

    def agent_pages(self, *, status: str | None) -> Iterator[list[HiredAgent]]:
        """Every agent (in `status`), a page (one request) at a time."""
        method, url = build_path("agents.list", {})
        for page in self._pages(method, url, [("status", status)] if status else [], None):
            yield [parse_model(HiredAgent, raw) for raw in page]

    def get_agent(self, agent_id: str) -> HiredAgent:
        return self._one(HiredAgent, "agents.show", {"agent_id": agent_id}, idempotent=True)

    def change(self, action: Action, agent_id: str) -> HiredAgent:
        """Do a state-changing action (an agents row of actions.ROWS) to one agent; the agent."""
        return self._one(
            HiredAgent, action.route, {"agent_id": agent_id}, idempotent=action.retry_safe
        )

    def list_workspaces(self, *, status: str | None, limit: int | None) -> Iterator[Workspace]:
        return self._paginate(Workspace, "workspaces.list", {}, status=status, limit=limit)

    def get_workspace(self, workspace_id: str) -> WorkspaceDetail:
        return self._one(
            WorkspaceDetail, "workspaces.show", {"workspace_id": workspace_id}, idempotent=True
        )

    def list_workspace_tasks(
        self, workspace_id: str, *, status: str | None, limit: int | None
    ) -> Iterator[WorkspaceTask]:
        return self._paginate(
            WorkspaceTask,
            "workspaces.tasks",
            {"workspace_id": workspace_id},
            status=status,
            limit=limit,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]],
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> Any:
        """Any call under the API URL (`aitasker api`); the decoded JSON, or the text."""
        idempotent = method in IDEMPOTENT_METHODS
        reply = self._send(
            method, path, params=params, body=body, headers=headers, idempotent=idempotent
        )
        return decode(reply, allow_text=True)

    def request_pages(
        self, path: str, *, params: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Iterator[list[Any]]:
        """Every page of a limit/offset listing under the API URL (`aitasker api --paginate`).

        Other query parameters are sent on every page as given, repeated keys included.
        """
        limits = [value for key, value in params if key == "limit" and value.isdigit()]
        page_size = int(limits[-1]) if limits else PAGE_SIZE
        rest = [(key, value) for key, value in params if key not in ("limit", "offset")]
        return self._pages("GET", path, rest, None, page_size=max(page_size, 1), headers=headers)

    def verify_token(self) -> datetime | None:
        """One cheap authenticated GET: AuthError if the token is refused (401).

        Returns the server's clock, from its Date header, when it sent one. Any other 4xx
        says nothing about the token (the route may be missing on this API), so it is
        reported as "could not verify" rather than as the API's own words.
        """
        method, url = build_path("workspaces.list", {})
        try:
            reply = self._send(method, url, params=[("limit", "1")], idempotent=True)
            decode(reply)
        except (NotFoundError, RejectedError) as exc:
            raise UnavailableError(
                f"could not verify the token: {exc.message}",
                hint="Check --api-url, or use --no-verify to skip the check.",
                status=exc.status,
                request_id=exc.request_id,
            ) from None
        try:
            server_time = parsedate_to_datetime(reply.response.headers["date"])
        except (KeyError, TypeError, ValueError, OverflowError):
            return None
        # "-0000" means "zone unknown" and parses naive; HTTP dates are UTC (RFC 9110).
        return server_time if server_time.tzinfo else server_time.replace(tzinfo=timezone.utc)

    # --- plumbing -------------------------------------------------------------------------

    def _one(
        self,
        model: type[M],
        route: str,
        path: Mapping[str, str],
        *,
        idempotent: bool,
        body: bytes | None = None,
    ) -> M:
        method, url = build_path(route, path)
        reply = self._send(method, url, body=body, idempotent=idempotent)
        return parse_model(model, decode(reply))

    def _paginate(
        self,
        model: type[M],
        route: str,
        path: Mapping[str, str],
        *,
        status: str | None,
        limit: int | None,
    ) -> Iterator[M]:
        method, url = build_path(route, path)
        for page in self._pages(method, url, [("status", status)] if status else [], limit):
            for raw in page:
                yield parse_model(model, raw)

    def _pages(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]],
        limit: int | None,
        page_size: int = PAGE_SIZE,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[list[Any]]:
        """Follow limit/offset pages (paging.pages) until `limit` items, or the last page."""

        def fetch(query: Sequence[tuple[str, str]]) -> Any:
            return decode(self._send(method, url, params=query, headers=headers, idempotent=True))

        return pages(fetch, params, limit, page_size)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> Reply:
        """Send with retries on connection errors and 429/502/503/504; read the body.

        Every caller says whether the request may be sent twice (`idempotent`). One that may
        not is retried only when it cannot have arrived: the connection failed, or the server
        refused it with 429. Each attempt, from connecting
        to the body's last byte, is bounded by --timeout.
        """
        sent_headers = {
            **DEFAULT_HEADERS,
            **(headers or {}),
            "Authorization": f"Bearer {self._bearer()}",
        }
        if body is not None:
            sent_headers.setdefault("Content-Type", "application/json")
        request = httpx.Request(
            method,
            self._base_url + url,
            params=list(params) or None,
            content=body,
            headers=sent_headers,
            extensions={"timeout": self._timeouts},
        )
        for attempt in range(self._settings.retries + 1):
            self._throttle.wait(getattr(self._outer, "deadline", None))
            started = clock()
            try:
                reply = self._attempt(request, retrying=attempt < self._settings.retries)
            except httpx.TransportError as exc:
                self._check_outer_deadline()
                reason = describe_transport_error(exc)
                self._trace(f"{method} {request.url} failed after {_ms(started)}: {reason}")
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if attempt == self._settings.retries or not (idempotent or unsent):
                    raise UnavailableError(
                        f"cannot reach {self._settings.api_url}: {reason}",
                        hint="Check your network and --api-url; --timeout and --retries "
                        "give a slow API more time.",
                    ) from None
                self._wait(_backoff(attempt), reason, attempt)
                continue
            response = reply.response
            if self._log is not None:  # formatting the line costs a request's own CPU time
                server_id = request_id(response)
                self._trace(
                    f"{method} {request.url} -> {response.status_code} in {_ms(started)}"
                    + (f" (request id {server_id})" if server_id else "")
                )
            delay = retry_after(response)
            self._throttle.observe(response, delay)
            retryable = idempotent or response.status_code == 429
            if (
                response.status_code in RETRY_STATUSES
                and retryable
                and attempt < self._settings.retries
            ):
                self._wait(
                    _backoff(attempt) if delay is None else delay,
                    f"HTTP {response.status_code}",
                    attempt,
                )
                continue
            return reply
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(self, request: httpx.Request, *, retrying: bool) -> Reply:
        """One exchange under a deadline; the body is read only when it will be used."""
        deadline = time.monotonic() + self._settings.timeout
        outer = getattr(self._outer, "deadline", None)
        if outer is not None:
            left = outer - clock()
            if left <= 0:
                raise OutOfTime
            deadline = min(deadline, time.monotonic() + left)
        DEADLINE.at = deadline
        try:
            response = self._transport.handle_request(request)
            try:
                if retrying and response.status_code in RETRY_STATUSES:
                    return Reply(response, b"")
                return Reply(response, read_capped(response, self._max_body))
            finally:
                response.close()
        finally:
            DEADLINE.at = None

    @property
    def polling_floor(self) -> float:
        """The shortest interval between polls the API's rate-limit headers allow (0: none
        seen yet)."""
        return self._throttle.sustained

    @property
    def requests_sent(self) -> int:
        """Requests this client has started, retries included (a watch counts its polls')."""
        return self._throttle.sent

    @property
    def rate_budget(self) -> tuple[int | None, int | None]:
        """The API's last word on its rate limit: (requests left in the window, limit)."""
        return self._throttle.remaining, self._throttle.limit

    def within(self, deadline: float) -> OuterDeadline:
        """Bound every request this thread sends, retries included, by `deadline` (clock()).

        Past it, the request raises OutOfTime instead of being sent or retried.
        """
        return OuterDeadline(self._outer, deadline)

    def _check_outer_deadline(self) -> None:
        outer = getattr(self._outer, "deadline", None)
        if outer is not None and clock() >= outer:
            raise OutOfTime

    def _bearer(self) -> str:
        with self._token_lock:
            if self._token is None:
                self._token = self._token_provider()
            return self._token

    def _wait(self, seconds: float, reason: str, attempt: int) -> None:
        outer = getattr(self._outer, "deadline", None)
        if outer is not None and clock() + seconds >= outer:
            raise OutOfTime
        self._trace(
            f"retrying in {seconds:.1f} s ({reason}; "
            f"retry {attempt + 1} of {self._settings.retries})"
        )
        sleep(seconds)

    def _trace(self, line: str) -> None:
        if self._log is not None:
            self._log(line)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter, so parallel clients do not retry in step."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _ms(started: float) -> str:
    return f"{(clock() - started) * 1000:.0f} ms"
