"""The HTTP client: the one module that speaks to the AITasker API (and imports httpx).

It validates path parameters before sending, retries what is safe to retry, turns every
status into the error carrying the contract's exit code, and checks that each body has the
documented shape.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import pydantic

from aitasker_cli import __version__
from aitasker_cli.config import Settings
from aitasker_cli.errors import (
    HINT_BY_STATUS,
    NotFoundError,
    RejectedError,
    UnavailableError,
    error_for_status,
)
from aitasker_cli.models import ApiModel, HiredAgent, Workspace, WorkspaceDetail, WorkspaceTask
from aitasker_cli.routes import PAGE_SIZE, build_path

USER_AGENT = f"aitasker-cli/{__version__}"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
RETRY_AFTER_CAP_SECONDS = 60.0
MESSAGE_LIMIT = 500

M = TypeVar("M", bound=ApiModel)

sleep = time.sleep
"""Module attribute so tests can make retries instant."""


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
        self._log = log
        self._http = httpx.Client(
            base_url=settings.api_url,
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            # A redirect could carry the token to another host; report it instead.
            follow_redirects=False,
            transport=httpx.WSGITransport(app=app) if app is not None else None,
        )

    def close(self) -> None:
        self._http.close()

    # --- endpoints ------------------------------------------------------------------------

    def list_agents(self, *, status: str | None, limit: int | None) -> Iterator[HiredAgent]:
        return self._paginate(HiredAgent, "agents.list", {}, status=status, limit=limit)

    def get_agent(self, agent_id: str) -> HiredAgent:
        return self._one(HiredAgent, "agents.show", {"agent_id": agent_id})

    def pause_agent(self, agent_id: str) -> HiredAgent:
        return self._one(HiredAgent, "agents.pause", {"agent_id": agent_id})

    def resume_agent(self, agent_id: str) -> HiredAgent:
        return self._one(HiredAgent, "agents.resume", {"agent_id": agent_id})

    def list_workspaces(self, *, status: str | None, limit: int | None) -> Iterator[Workspace]:
        return self._paginate(Workspace, "workspaces.list", {}, status=status, limit=limit)

    def get_workspace(self, workspace_id: str) -> WorkspaceDetail:
        return self._one(WorkspaceDetail, "workspaces.show", {"workspace_id": workspace_id})

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

    def verify_token(self) -> None:
        """One cheap authenticated GET: AuthError if the token is refused (401).

        Any other 4xx says nothing about the token (the route may be missing on this API),
        so it is reported as "could not verify" rather than as the API's own words.
        """
        try:
            self._call("workspaces.list", {}, params={"limit": 1})
        except (NotFoundError, RejectedError) as exc:
            raise UnavailableError(
                f"could not verify the token: {exc.message}",
                hint="Check --api-url, or use --no-verify to skip the check.",
                status=exc.status,
                request_id=exc.request_id,
            ) from None

    # --- plumbing -------------------------------------------------------------------------

    def _one(self, model: type[M], route: str, path: Mapping[str, str]) -> M:
        return _parse(model, self._call(route, path))

    def _paginate(
        self,
        model: type[M],
        route: str,
        path: Mapping[str, str],
        *,
        status: str | None,
        limit: int | None,
    ) -> Iterator[M]:
        """Follow limit/offset pages until `limit` items, an empty page, or a short page.

        Servers may cap a page below the size asked for, so a page is "short" only when it
        is shorter than the largest page seen before it (CLI-CONTRACT.md, Output).
        """
        filters = {"status": status} if status else {}
        offset = largest = delivered = 0
        seen: set[Any] = set()
        while limit is None or delivered < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - delivered)
            page = self._call(route, path, params={**filters, "limit": size, "offset": offset})
            if not isinstance(page, list):
                raise _shape_error(f"a {type(page).__name__} where a list was expected")
            if not page:
                return
            items = [_parse(model, item) for item in page]
            fresh = [item for item in items if item.id not in seen]
            if not fresh:
                return  # a server that ignores `offset` repeats itself: all has been seen
            for item in fresh[: None if limit is None else limit - delivered]:
                seen.add(item.id)
                delivered += 1
                yield item
            if len(page) < largest:
                return
            largest = max(largest, len(page))
            offset += len(page)

    def _call(
        self, route: str, path: Mapping[str, str], *, params: dict[str, Any] | None = None
    ) -> Any:
        method, url = build_path(route, path)
        response = self._send(method, url, params)
        return _decode(response)

    def _send(self, method: str, url: str, params: dict[str, Any] | None) -> httpx.Response:
        """Send with retries on connection errors and 429/502/503/504.

        Every route the CLI calls is a read or an idempotent state change (pause, resume),
        so a retried request cannot do anything twice.
        """
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        for attempt in range(self._settings.retries + 1):
            started = time.monotonic()
            try:
                response = self._http.request(method, url, params=params, headers=headers)
            except httpx.TransportError as exc:
                reason = _describe_transport_error(exc)
                self._trace(f"{method} {url} failed after {_ms(started)}: {reason}")
                if attempt == self._settings.retries:
                    raise UnavailableError(
                        f"cannot reach {self._settings.api_url}: {reason}",
                        hint="Check your network and --api-url; --timeout and --retries "
                        "give a slow API more time.",
                    ) from None
                self._wait(_backoff(attempt), reason, attempt)
                continue
            request_id = _request_id(response)
            self._trace(
                f"{method} {response.request.url} -> {response.status_code} in {_ms(started)}"
                + (f" (request id {request_id})" if request_id else "")
            )
            if response.status_code in RETRY_STATUSES and attempt < self._settings.retries:
                delay = _retry_after(response)
                self._wait(
                    _backoff(attempt) if delay is None else delay,
                    f"HTTP {response.status_code}",
                    attempt,
                )
                continue
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _bearer(self) -> str:
        if self._token is None:
            self._token = self._token_provider()
        return self._token

    def _wait(self, seconds: float, reason: str, attempt: int) -> None:
        self._trace(
            f"retrying in {seconds:.1f} s ({reason}; "
            f"retry {attempt + 1} of {self._settings.retries})"
        )
        sleep(seconds)

    def _trace(self, line: str) -> None:
        if self._log is not None:
            self._log(line)


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


def _decode(response: httpx.Response) -> Any:
    """The JSON body of a successful response; otherwise the error for its status."""
    status = response.status_code
    if 200 <= status < 300:
        try:
            return json.loads(response.content)
        except ValueError:
            kind = response.headers.get("content-type", "unknown type").split(";")[0]
            raise UnavailableError(
                f"the API answered HTTP {status} with a body that is not JSON ({kind})",
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
        server_message(response) or f"HTTP {status} {response.reason_phrase}".rstrip(),
        hint=HINT_BY_STATUS.get(status),
        status=status,
        request_id=_request_id(response),
    )


def server_message(response: httpx.Response) -> str | None:
    """The server's own words from a FastAPI error body, or None if it gave none.

    FastAPI sends `{"detail": "..."}` for HTTPException and `{"detail": [{"loc", "msg",
    "type"}]}` for validation errors. An HTML error page is never shown to the user.
    """
    try:
        body = json.loads(response.content)
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
    return f"{(time.monotonic() - started) * 1000:.0f} ms"
