"""The HTTP client: the one module that speaks to the AITasker API (and imports httpx).

It validates path parameters before sending, retries what is safe to retry, turns every
status into the error carrying the contract's exit code, and checks that each body has the
documented shape.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

import httpcore
import httpx
import pydantic

from aitasker_cli import __version__
from aitasker_cli.actions import Action
from aitasker_cli.config import Settings, is_loopback
from aitasker_cli.errors import (
    HINT_BY_STATUS,
    NotFoundError,
    RejectedError,
    UnavailableError,
    UsageError,
    error_for_status,
)
from aitasker_cli.models import ApiModel, HiredAgent, Workspace, WorkspaceDetail, WorkspaceTask
from aitasker_cli.routes import PAGE_SIZE, build_path

USER_AGENT = f"aitasker-cli/{__version__}"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
RETRY_AFTER_CAP_SECONDS = 60.0
MESSAGE_LIMIT = 64 * 1024
"""How much of a server's error message is kept; render shows less, after redacting it."""
MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest response body read (after decompression); a larger one is exit 7."""
MAX_JSON_DEPTH = 64
"""No documented response nests deeper; a deeper one is refused before anything recurses."""

M = TypeVar("M", bound=ApiModel)

sleep = time.sleep
clock = time.monotonic
"""Module attributes, so tests can make waits instant and time pass at will."""


class Reply(NamedTuple):
    """A response whose body has been read, within the size cap and the request's deadline."""

    response: httpx.Response
    body: bytes


class ApiClient:
    """One connection pool per process, with the API URL, timeouts and retries of `settings`."""

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
        self._throttle = Throttle()
        self._log = log
        self._outer = threading.local()
        self._http = httpx.Client(
            base_url=settings.api_url,
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            # A redirect could carry the token to another host; report it instead.
            follow_redirects=False,
            transport=httpx.WSGITransport(app=app) if app is not None else _transport(settings),
        )

    def close(self) -> None:
        self._http.close()

    # --- endpoints ------------------------------------------------------------------------

    def list_agents(self, *, status: str | None, limit: int | None) -> Iterator[HiredAgent]:
        return self._paginate(HiredAgent, "agents.list", {}, status=status, limit=limit)

    def get_agent(self, agent_id: str) -> HiredAgent:
        return self._one(HiredAgent, "agents.show", {"agent_id": agent_id}, idempotent=True)

    def change(self, action: Action, agent_id: str) -> HiredAgent:
        """Do a state-changing action (actions.ACTIONS) to one agent; the agent afterwards."""
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
        return _decode(reply, allow_text=True)

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
            _decode(reply)
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

    def _one(self, model: type[M], route: str, path: Mapping[str, str], *, idempotent: bool) -> M:
        method, url = build_path(route, path)
        return _parse(model, _decode(self._send(method, url, idempotent=idempotent)))

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
                yield _parse(model, raw)

    def _pages(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]],
        limit: int | None,
        page_size: int = PAGE_SIZE,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[list[Any]]:
        """Follow limit/offset pages until `limit` items, an empty page, or a short page.

        Servers may cap a page below the size asked for, so a page is "short" only when it
        is shorter than the largest page seen before it (CLI-CONTRACT.md, Output). An item
        already seen (it moved to the next page while we paged) is passed over. A page that
        brings nothing new after a full one means the server ignores `offset` and the rest
        cannot be had: exit 7, not a loop. After a short one, the server sent all it has.
        """
        offset = largest = delivered = 0
        seen: set[Any] = set()
        previous_short = False
        while limit is None or delivered < limit:
            size = page_size if limit is None else min(page_size, limit - delivered)
            query = [*params, ("limit", str(size)), ("offset", str(offset))]
            page = _decode(self._send(method, url, params=query, headers=headers, idempotent=True))
            if not isinstance(page, list):
                raise _shape_error(f"a {type(page).__name__} where a list was expected")
            if not page:
                return
            fresh = [item for item in page if _remember(seen, item)]
            if not fresh and previous_short:
                return  # a server that does not page sent everything it has, twice
            if not fresh:
                raise UnavailableError(
                    f"the API repeated itself: the page at offset {offset} brought no item "
                    "that earlier pages had not",
                    hint="The API may ignore 'offset'; stopped rather than page forever.",
                )
            wanted = fresh if limit is None else fresh[: limit - delivered]
            delivered += len(wanted)
            yield wanted
            if len(page) < largest:
                return
            largest = max(largest, len(page))
            offset += len(page)
            previous_short = len(page) < size

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
        sent_headers = {**(headers or {}), "Authorization": f"Bearer {self._bearer()}"}
        if body is not None:
            sent_headers.setdefault("Content-Type", "application/json")
        request = self._http.build_request(
            method, url, params=list(params) or None, content=body, headers=sent_headers
        )
        for attempt in range(self._settings.retries + 1):
            self._throttle.wait()
            started = clock()
            try:
                reply = self._attempt(request, retrying=attempt < self._settings.retries)
            except httpx.TransportError as exc:
                self._check_outer_deadline()
                reason = _describe_transport_error(exc)
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
            request_id = _request_id(response)
            self._trace(
                f"{method} {request.url} -> {response.status_code} in {_ms(started)}"
                + (f" (request id {request_id})" if request_id else "")
            )
            delay = _retry_after(response)
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
        _DEADLINE.at = deadline
        try:
            response = self._http.send(request, stream=True)
            try:
                if retrying and response.status_code in RETRY_STATUSES:
                    return Reply(response, b"")
                return Reply(response, _read_capped(response))
            finally:
                response.close()
        finally:
            _DEADLINE.at = None

    def within(self, deadline: float) -> _OuterDeadline:
        """Bound every request this thread sends, retries included, by `deadline` (clock()).

        Past it, the request raises OutOfTime instead of being sent or retried.
        """
        return _OuterDeadline(self._outer, deadline)

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


class OutOfTime(Exception):
    """An outer deadline (`--wait-timeout`) came before the request could finish."""


class _OuterDeadline:
    """Bounds every request this thread sends, retries included, by one deadline."""

    def __init__(self, store: threading.local, deadline: float) -> None:
        self._store = store
        self._deadline = deadline

    def __enter__(self) -> None:
        self._store.deadline = self._deadline

    def __exit__(self, *_exc: object) -> None:
        self._store.deadline = None


# --- transport: proxies, TLS and a deadline for each whole request ----------------------------

_DEADLINE = threading.local()
"""When the request this thread is sending must be done by (time.monotonic), or None."""


def _transport(settings: Settings) -> httpx.BaseTransport:
    """The network transport for the API URL: no proxy for loopback, TLS only for https."""
    parts = urlsplit(settings.api_url)
    https = parts.scheme == "https"
    try:
        transport = httpx.HTTPTransport(
            # Plain http is only ever allowed to this machine, where no certificate is used.
            verify=https,
            proxy=_proxy_for(parts.hostname or "", parts.netloc, https),
        )
    except ImportError:  # a SOCKS proxy without the socksio package
        raise UsageError(
            "SOCKS proxies (ALL_PROXY=socks5://…) are not supported",
            hint="Unset ALL_PROXY, or use an http(s) proxy in HTTPS_PROXY.",
        ) from None
    except ValueError as exc:
        raise UsageError(f"the proxy setting is not usable: {exc}") from None
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


def _proxy_for(host: str, netloc: str, https: bool) -> str | None:
    """The proxy from the environment for this host; never one for a loopback API.

    A token sent to this machine must not travel, in clear, to a proxy somewhere else (as
    Go's HTTP client, requests to loopback skip proxies); NO_PROXY is honoured as usual.
    """
    if is_loopback(host):
        return None
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass_environment(netloc, proxies):  # type: ignore[attr-defined]
        return None
    return proxies.get("https" if https else "http") or proxies.get("all")


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sockets, with every wait cut short at the current request's deadline.

    httpx's timeouts bound each read; a server that sends one byte a second would never trip
    them. Bounding each wait by the time left bounds the whole request.
    """

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _time_left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    """The smaller of httpx's per-operation timeout and what is left of the deadline."""
    deadline: float | None = getattr(_DEADLINE, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


def _read_capped(response: httpx.Response) -> bytes:
    """The (decoded) body, or exit 7 once it passes MAX_BODY_BYTES: memory stays bounded."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise UnavailableError(
                f"the API's response is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB, "
                "the most aitasker reads",
                hint="Ask for smaller pages with --limit, or check --api-url.",
                status=response.status_code,
                request_id=_request_id(response),
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _remember(seen: set[Any], item: Any) -> bool:
    """Whether `item` is new to this listing (by its `id`, else by its content)."""
    identity = item.get("id") if isinstance(item, dict) else None
    key = identity if isinstance(identity, str) else hash(json.dumps(item, sort_keys=True))
    if key in seen:
        return False
    seen.add(key)
    return True


class Throttle:
    """Paces every thread of one client so a bulk run slows down instead of meeting 429s.

    When the API says no requests are left in its window (`X-RateLimit-Remaining: 0`), requests
    are spaced at the window's sustained rate (60 s / `X-RateLimit-Limit`); a 429 with
    `Retry-After` holds every thread back, not only the one that got it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._spacing = 0.0

    def wait(self) -> None:
        with self._lock:
            now = clock()
            start = max(now, self._next_start)
            self._next_start = start + self._spacing
        if start > now:
            sleep(start - now)

    def observe(self, response: httpx.Response, retry_after: float | None) -> None:
        remaining = _header_int(response, "x-ratelimit-remaining")
        limit = _header_int(response, "x-ratelimit-limit")
        with self._lock:
            now = clock()
            if remaining is not None and limit:
                self._spacing = 60.0 / limit if remaining <= 0 else 0.0
                self._next_start = max(self._next_start, now + self._spacing)
            if response.status_code == 429 and retry_after is not None:
                self._next_start = max(self._next_start, now + retry_after)


def _header_int(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def _parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise _shape_error(f"a {type(data).__name__} where an object was expected")
    try:
        return model.from_json(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the object"
        raise _shape_error(f"{where}: {first['msg']}") from None


def _shape_error(detail: str) -> UnavailableError:
    return UnavailableError(
        f"the API's response does not have the documented shape ({detail})",
        hint="The API may have changed; check for a newer aitasker, or report this with --debug.",
    )


def _decode(reply: Reply, *, allow_text: bool = False) -> Any:
    """The JSON body of a successful response; otherwise the error for its status.

    With `allow_text`, a successful body that is not JSON comes back as text.
    """
    response, content = reply
    status = response.status_code
    if 200 <= status < 300:
        if allow_text and not content.strip():
            return None
        try:
            return parse_json(content)
        except _NotJson as exc:
            if allow_text and exc.text:
                return content.decode(response.encoding or "utf-8", errors="replace")
            kind = response.headers.get("content-type", "unknown type").split(";")[0]
            raise UnavailableError(
                f"the API answered HTTP {status} with a body that is not "
                + (f"JSON ({kind})" if exc.text else f"the documented JSON ({exc.reason})"),
                hint="Check --api-url: it should point at the AITasker API.",
                status=status,
                request_id=_request_id(response),
            ) from None
    if 300 <= status < 400:
        raise UnavailableError(
            f"the API answered with a redirect (HTTP {status}), which is not followed",
            hint="Check --api-url; a redirect could carry your token to another host.",
            status=status,
            request_id=_request_id(response),
        )
    error = error_for_status(status)
    raise error(
        server_message(content) or f"HTTP {status} {response.reason_phrase}".rstrip(),
        hint=HINT_BY_STATUS.get(status),
        status=status,
        request_id=_request_id(response),
    )


class _NotJson(ValueError):
    """`text` when the body is no JSON at all; otherwise JSON outside what the docs allow."""

    def __init__(self, reason: str, *, text: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


def parse_json(content: bytes | str) -> Any:
    """Strict JSON: no NaN or Infinity (nor numbers that overflow to them), bounded nesting.

    What the CLI later prints as JSON must itself be valid JSON, and nothing that walks the
    value may recurse without end.
    """
    try:
        value = json.loads(content, parse_constant=_no_constant, parse_float=_finite_float)
    except _NotJson:
        raise
    except RecursionError:
        raise _NotJson(f"nested deeper than {MAX_JSON_DEPTH} levels", text=False) from None
    except ValueError:
        raise _NotJson("not JSON", text=True) from None
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise _NotJson(f"nested deeper than {MAX_JSON_DEPTH} levels", text=False)
    return value


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number", text=False)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotJson(f"{text[:20]} is too large for a JSON number", text=False)
    return number


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` deep; iterative, so it cannot recurse."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = (
            current.values()
            if isinstance(current, dict)
            else current
            if isinstance(current, list)
            else None
        )
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def server_message(content: bytes) -> str | None:
    """The server's own words from a FastAPI error body, or None if it gave none.

    FastAPI sends `{"detail": "..."}` for HTTPException and `{"detail": [{"loc", "msg",
    "type"}]}` for validation errors. An HTML error page is never shown to the user.
    """
    try:
        body = parse_json(content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    if isinstance(detail, list):
        parts = [_validation_item(item) for item in detail[:5]]
        message = "; ".join(part for part in parts if part)
    elif isinstance(detail, str):
        message = detail
    elif isinstance(body.get("message"), str):
        message = body["message"]
    else:
        return None
    return message[:MESSAGE_LIMIT] or None


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = item.get("loc")
    where = ".".join(str(part) for part in loc) if isinstance(loc, list) else ""
    msg = str(item.get("msg", "invalid"))
    return f"{where}: {msg}" if where else msg


def _request_id(response: httpx.Response) -> str | None:
    request_id: str | None = response.headers.get("x-request-id") or response.headers.get(
        "request-id"
    )
    return request_id


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait (delta or HTTP date), capped; None if absent."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_SECONDS)


def _backoff(attempt: int) -> float:
    """Exponential backoff with jitter, so parallel clients do not retry in step."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "the request timed out"
    return str(exc) or type(exc).__name__


def _ms(started: float) -> str:
    return f"{(clock() - started) * 1000:.0f} ms"
