"""`aitasker api PATH`: call any path under the API URL with your token, like `gh api`."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import typer

from aitasker_cli.cli.options import Common, api_command
from aitasker_cli.cli.session import connect
from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.formats import Output, OutputFormat

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP method or header name (RFC 9110, section 5.6.2)."""
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
"""What a header value may hold: visible ASCII, space and tab; never CR or LF."""
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0, DEL and C1: characters that would split or garble a request line."""
QueryPairs = list[tuple[str, str]]

PathArg = Annotated[
    str, typer.Argument(metavar="PATH", help="A path under the API URL, e.g. /api/v1/workspaces.")
]
MethodOpt = Annotated[
    str | None,
    typer.Option(
        "--method", "-X", metavar="METHOD", help="HTTP method [default: GET, or POST with --input]."
    ),
]
FieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--field",
        "-f",
        metavar="KEY=VALUE",
        help="A string parameter: query for GET, JSON body otherwise. Repeatable.",
    ),
]
TypedFieldOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--typed-field",
        "-F",
        metavar="KEY=VALUE",
        help="Like -f, but numbers, true, false, null and JSON stay typed; @FILE reads a file.",
    ),
]
HeaderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--header", "-H", metavar="NAME:VALUE", help="An extra request header. Repeatable."
    ),
]
InputOpt = Annotated[
    str | None,
    typer.Option("--input", metavar="FILE", help="The request body from FILE, or - for stdin."),
]
PaginateOpt = Annotated[
    bool, typer.Option("--paginate", help="Follow limit/offset pages of a GET list to the end.")
]


@api_command
def command(
    common: Common,
    path: PathArg,
    method: MethodOpt = None,
    field: FieldOpt = None,
    typed_field: TypedFieldOpt = None,
    header: HeaderOpt = None,
    input_file: InputOpt = None,
    paginate: PaginateOpt = False,
) -> None:
    """Call any API path with your token and print the response body (JSON).

    -o json (the default, whatever format is set elsewhere) or -o ndjson (one line per
    item of an array); --fields keeps those keys (a.b for nested) of each object.
    """
    from aitasker_cli.output import render

    explicit = _explicit_format(common)
    values = {**_fields(field or [], typed=False), **_fields(typed_field or [], typed=True)}
    body = _read_body(input_file)
    verb = _method(method or ("POST" if body is not None else "GET"))
    if body is None and values and verb not in ("GET", "HEAD", "DELETE"):
        body, values = json.dumps(values).encode(), {}
    if paginate and verb != "GET":
        raise UsageError("--paginate follows pages of a GET list", hint="Drop -X, or --paginate.")
    headers = _headers(header)
    with connect(common) as session:
        inherited = session.output.format
        chosen = explicit or (inherited if inherited in JSON_FORMATS else OutputFormat.json)
        output = Output(chosen, session.output.fields, session.output.color)
        target, query = _target(path, session.settings.api_url)
        query += [(key, _as_query(value)) for key, value in values.items()]
        params = tuple(query)
        if paginate:
            pages = session.client.request_pages(target, params=params, headers=headers)
            render.json_pages(([_projected(i, output.fields) for i in p] for p in pages), output)
            return
        reply = session.client.request(verb, target, params=params, body=body, headers=headers)
        if isinstance(reply, str):
            if output.fields is not None:
                raise UsageError(
                    "the response is text, not JSON, so --fields has no keys to select",
                    hint="Run it again without --fields to see the text.",
                )
            if explicit is not None:
                render.warning(f"the response is text, not JSON; shown as sent, not as {chosen}.")
            render.response_body(reply)
        elif chosen is OutputFormat.ndjson:
            items = reply if isinstance(reply, list) else [reply]
            render.json_pages([[_projected(item, output.fields) for item in items]], output)
        elif isinstance(reply, list):
            render.response_body([_projected(item, output.fields) for item in reply])
        else:
            render.response_body(_projected(reply, output.fields))


JSON_FORMATS = (OutputFormat.json, OutputFormat.ndjson)
"""The formats `api` writes; the response is JSON, and any other would have to guess columns."""
OUTPUT_ENV = "AITASKER_OUTPUT"


def _explicit_format(common: Common) -> OutputFormat | None:
    """The -o given on the command line (JSON or NDJSON), or None if it came from elsewhere.

    A format from AITASKER_OUTPUT, the profile or the default for a pipe was chosen for the
    other commands' tables, so `api` keeps writing JSON then: `aitasker api ... | jq` works.
    One typed here is a request, and one that `api` cannot honour is a usage error (exit 2).
    """
    given = common.output
    # `common.output` is set by the flag or by the env var; the flag wins when both are set.
    # When they name the same format, the user asked for nothing the env had not: inherited.
    if given is None or os.environ.get(OUTPUT_ENV, "").strip() == given.value:
        return None
    if given not in JSON_FORMATS:
        raise UsageError(
            f"api writes the response as JSON; -o {given.value} is not available here",
            hint="Use -o json or -o ndjson, and --fields a,b to keep some keys.",
        )
    return given


def _projected(item: Any, fields: tuple[str, ...] | None) -> Any:
    """The keys of `fields` from a JSON object (null where absent), nested for a.b paths."""
    if fields is None:
        return item
    if not isinstance(item, dict):
        raise UsageError(
            f"--fields selects keys of JSON objects, but the response holds {_json_kind(item)}",
            hint="Run it again without --fields.",
        )
    from aitasker_cli.output.cells import nested

    return nested(item, fields)


def _json_kind(value: Any) -> str:
    """What a JSON value is, for a sentence: "an array", "a string", ..."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _target(path: str, api_url: str) -> tuple[str, QueryPairs]:
    """The path to request under the API URL, and the query it carried, in order.

    A full URL is accepted only under the API URL itself (the token's origin and path prefix).
    Dot segments are resolved here, and refused when they would climb out of the API URL:
    the server, or a proxy before it, would resolve them against its root, not the prefix.
    """
    control = CONTROL.search(path)
    if control:
        raise UsageError(
            f"the path holds a control character ({_codepoint(control.group())}), "
            "which cannot be sent in a request line",
            hint="Percent-encode it (%0A for a newline) if the API really expects it.",
        )
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        origin = urlsplit(api_url)
        prefix = origin.path.rstrip("/")
        within = _resolved(parts.path or "/", path)
        same_origin = (parts.scheme.lower(), parts.netloc.lower()) == (
            origin.scheme.lower(),
            origin.netloc.lower(),
        )
        if not same_origin or not (within == prefix or within.startswith(prefix + "/")):
            raise UsageError(
                f"{path} is not under the API URL {api_url}; the token goes nowhere else",
                hint="Give a path such as /api/v1/workspaces.",
            )
        relative = within[len(prefix) :] or "/"
    else:
        relative = _resolved("/" + parts.path.lstrip("/"), path)
    return relative, parse_qsl(parts.query, keep_blank_values=True)


def _resolved(path: str, given: str) -> str:
    """`path` without its dot segments; UsageError if any reading of them climbs above `/`.

    Literal and percent-encoded dot segments (`..`, `%2e%2e`) are resolved (RFC 3986,
    section 5.2.4). A server may also decode `%2f` or treat `\\` as a separator, so the
    decoded path is checked too: whichever way it is read, it must stay under the root.
    """
    depth = 0
    for piece in re.split(r"[/\\]", unquote(path)):
        depth = depth - 1 if piece == ".." else depth + (piece not in ("", "."))
        if depth < 0:
            raise UsageError(
                f"{given} climbs out of the API URL with '..'",
                hint="Give a path under the API URL, such as /api/v1/workspaces.",
            )
    kept: list[str] = []
    segments = path.split("/")[1:]
    for segment in segments:
        dots = unquote(segment)
        if dots == "..":
            if kept:
                kept.pop()
        elif dots != ".":
            kept.append(segment)
    if segments and unquote(segments[-1]) in (".", ".."):
        kept.append("")  # `/a/b/..` is the folder `/a/`
    return "/" + "/".join(kept)


def _method(name: str) -> str:
    if not TOKEN.fullmatch(name):
        raise UsageError(f"{_shown(name)} is not an HTTP method", hint="Use -X GET, POST, ...")
    return name.upper()


def _codepoint(character: str) -> str:
    return f"U+{ord(character):04X}"


def _shown(text: str) -> str:
    """`text` quoted, with anything unprintable as an escape, for an error message."""
    return ascii(text)


def _fields(pairs: list[str], *, typed: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"'{pair}' is not KEY=VALUE")
        values[key] = _typed(value) if typed else value
    return values


def _typed(value: str) -> Any:
    if value.startswith("@"):
        return _read_file(value[1:]).decode("utf-8", errors="replace")
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_query(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _headers(pairs: list[str] | None) -> dict[str, str]:
    """The -H headers; each must be one that HTTP can carry as given."""
    headers = {}
    for pair in pairs or []:
        raw_name, sep, raw_value = pair.partition(":")
        name, value = raw_name.strip(), raw_value.strip()
        if not sep or not name:
            raise UsageError(f"{_shown(pair)} is not NAME:VALUE")
        if not TOKEN.fullmatch(name):
            raise UsageError(
                f"the header name {_shown(name)} is not valid in HTTP",
                hint="A name is ASCII letters, digits and !#$%&'*+-.^_`|~, e.g. X-Trace.",
            )
        bad = next((c for c in value if not HEADER_VALUE.fullmatch(c)), None)
        if bad is not None:
            # The value itself is not shown: headers are where API keys travel.
            raise UsageError(
                f"the value of header {name} holds {_codepoint(bad)}, which HTTP cannot carry",
                hint="A header value is printable ASCII; percent-encode anything else.",
            )
        if name.lower() == "authorization":
            raise UsageError("the Authorization header is added for you from your login")
        headers[name] = value
    return headers


def _read_body(source: str | None) -> bytes | None:
    if source is None:
        return None
    if source != "-":
        return _read_file(source)
    binary = getattr(sys.stdin, "buffer", None)
    return binary.read() if binary is not None else sys.stdin.read().encode()


def _read_file(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
