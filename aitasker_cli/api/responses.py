"""Reading the API's answers: bodies within a cap, strict JSON, errors by status, shapes checked."""

from __future__ import annotations

import json
import math
import os
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple, TypeVar

import pydantic

from aitasker_cli.api.httpx_adapter import httpx
from aitasker_cli.api.models import ApiModel
from aitasker_cli.core.errors import HINT_BY_STATUS, UnavailableError, error_for_status

MESSAGE_LIMIT = 64 * 1024
"""How much of a server's error message is kept; render shows less, after redacting it."""
MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest response body read (after decompression), a larger one being exit 7; the
environment variable AITASKER_MAX_BODY_BYTES may lower it (see body_cap), never raise it."""
MAX_BODY_VARIABLE = "AITASKER_MAX_BODY_BYTES"
MAX_JSON_DEPTH = 64
"""No documented response nests deeper; a deeper one is refused before anything recurses."""
RETRY_AFTER_CAP_SECONDS = 60.0
INFLATE_STEP = 256 * 1024
"""The most one decompression call makes: zlib briefly holds its output twice, so steps the
size of the cap would double the memory a refused body costs."""

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


def body_cap(environ: Mapping[str, str] = os.environ) -> int:
    """The body cap: AITASKER_MAX_BODY_BYTES bytes if that is below MAX_BODY_BYTES, else it."""
    # The variable lets tests reach the cap cheaply. A larger, zero or malformed value is
    # ignored, so no environment can make the CLI read more than MAX_BODY_BYTES.
    value = environ.get(MAX_BODY_VARIABLE, "").strip()
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return MAX_BODY_BYTES
    return min(int(value), MAX_BODY_BYTES) or MAX_BODY_BYTES


def read_capped(response: httpx.Response, cap: int = MAX_BODY_BYTES) -> bytes:
    """The decoded body, or exit 7 once it passes `cap` bytes: memory stays bounded."""
    # The raw bytes are decoded here, not by httpx: its decoders inflate each network chunk
    # whole, so a few kilobytes of gzip could become gigabytes before any cap saw them. Here
    # no decoding step makes more than what is left of the cap (plus one byte, to notice).
    decoder: _Decoder | None = None
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        if not raw:
            continue
        if decoder is None:  # chosen at the first byte: an empty body needs no decoding
            decoder = _decoder_for(response)
        for piece in decoder.decode(raw, cap - size + 1):
            size += len(piece)
            if size > cap:
                raise _too_large(response, cap)
            chunks.append(piece)
    return b"".join(chunks)


def _too_large(response: httpx.Response, cap: int) -> UnavailableError:
    mib = 1024 * 1024
    limit = f"{cap // mib} MiB" if cap % mib == 0 else f"{cap:,} bytes"
    return UnavailableError(
        f"the API's response is larger than {limit}, the most aitasker reads",
        hint="Ask for smaller pages with --limit, or check --api-url.",
        status=response.status_code,
        request_id=request_id(response),
    )


class _Decoder:
    """Identity: the raw bytes as they come."""

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        """`data` decoded, in pieces that stop once they add up to `room` bytes."""
        yield data[:room]


class _Inflater(_Decoder):
    """gzip or deflate, inflated in steps that never pass the room left."""

    def __init__(self, wbits: int, *, fallback: int | None = None) -> None:
        self._inflate = zlib.decompressobj(wbits)
        # deflate is meant to be zlib-wrapped, but servers send it raw too (as httpx allows).
        self._fallback = fallback

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        pending = data
        # Past the end of the stream, bytes are dropped (as httpx does) rather than kept.
        while room > 0 and not self._inflate.eof:
            try:
                piece = self._inflate.decompress(pending, min(room, INFLATE_STEP))
            except zlib.error as exc:
                if self._fallback is None:
                    raise _undecodable(str(exc)) from None
                self._inflate = zlib.decompressobj(self._fallback)
                self._fallback = None
                continue
            self._fallback = None
            pending = self._inflate.unconsumed_tail
            # With room for output, zlib stops short only at the end of its input or of the
            # stream; a full piece may leave output inside zlib, so it is asked again.
            if not piece:
                return
            room -= len(piece)
            yield piece


_ENCODINGS: dict[str, Callable[[], _Decoder]] = {
    "gzip": lambda: _Inflater(zlib.MAX_WBITS | 16),
    "x-gzip": lambda: _Inflater(zlib.MAX_WBITS | 16),  # RFC 9110 8.4.1.3: the same as gzip
    "deflate": lambda: _Inflater(zlib.MAX_WBITS, fallback=-zlib.MAX_WBITS),
}
"""What we decode, and so what the client's Accept-Encoding may ask for (with identity)."""


def _decoder_for(response: httpx.Response) -> _Decoder:
    """The decoder for the response's Content-Encoding; exit 7 for any we cannot decode."""
    # One layer at most: we never ask for more, and each layer multiplies what a few bytes
    # may expand to.
    codings = [
        coding.strip().lower()
        for coding in response.headers.get_list("content-encoding", split_commas=True)
    ]
    layers = [coding for coding in codings if coding not in ("", "identity")]
    if not layers:
        return _Decoder()
    if len(layers) == 1 and layers[0] in _ENCODINGS:
        return _ENCODINGS[layers[0]]()
    named = ", ".join(layers)[:100]
    why = "more than one content-coding layer" if len(layers) > 1 else "not gzip or deflate"
    raise UnavailableError(
        f"unsupported response encoding ({named}): {why}",
        hint="aitasker reads gzip or deflate, one layer; check --api-url.",
        status=response.status_code,
        request_id=request_id(response),
    )


def _undecodable(reason: str) -> UnavailableError:
    return UnavailableError(
        f"the API's compressed response could not be decoded ({reason})",
        hint="Check --api-url: it should point at the AITasker API.",
    )
