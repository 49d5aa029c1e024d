"""Reading the API's answers: bodies within a cap, strict JSON, errors by status, shapes checked."""

from __future__ import annotations

import json
import math
import time
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, TypeVar

import httpx
import pydantic

from aitasker_cli.errors import HINT_BY_STATUS, UnavailableError, error_for_status
from aitasker_cli.models import ApiModel

MESSAGE_LIMIT = 64 * 1024
"""How much of a server's error message is kept; render shows less, after redacting it."""
MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest response body read (after decompression); a larger one is exit 7."""
MAX_JSON_DEPTH = 64
"""No documented response nests deeper; a deeper one is refused before anything recurses."""
RETRY_AFTER_CAP_SECONDS = 60.0

M = TypeVar("M", bound=ApiModel)


class Reply(NamedTuple):
    """A response whose body has been read, within the size cap and the request's deadline."""

    response: httpx.Response
    body: bytes


def parse_model(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise shape_error(f"a {type(data).__name__} where an object was expected")
    try:
        return model.from_json(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the object"
        raise shape_error(f"{where}: {first['msg']}") from None


def shape_error(detail: str) -> UnavailableError:
    return UnavailableError(
        f"the API's response does not have the documented shape ({detail})",
        hint="The API may have changed; check for a newer aitasker, or report this with --debug.",
    )


def decode(reply: Reply, *, allow_text: bool = False) -> Any:
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
                request_id=request_id(response),
            ) from None
    if 300 <= status < 400:
        raise UnavailableError(
            f"the API answered with a redirect (HTTP {status}), which is not followed",
            hint="Check --api-url; a redirect could carry your token to another host.",
            status=status,
            request_id=request_id(response),
        )
    error = error_for_status(status)
    raise error(
        server_message(content) or f"HTTP {status} {response.reason_phrase}".rstrip(),
        hint=HINT_BY_STATUS.get(status),
        status=status,
        request_id=request_id(response),
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


def request_id(response: httpx.Response) -> str | None:
    request_id: str | None = response.headers.get("x-request-id") or response.headers.get(
        "request-id"
    )
    return request_id


def retry_after(response: httpx.Response) -> float | None:
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


def read_capped(response: httpx.Response) -> bytes:
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
                request_id=request_id(response),
            )
        chunks.append(chunk)
    return b"".join(chunks)
