"""`aitasker api PATH`: call any path under the API URL with your token, like `gh api`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from aitasker_cli.cli.common import Common, api_command, connect, render
from aitasker_cli.errors import UsageError

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
    """Call any API path with your token and print the response body (JSON)."""
    values = {**_fields(field or [], typed=False), **_fields(typed_field or [], typed=True)}
    body = _read_body(input_file)
    verb = (method or ("POST" if body is not None else "GET")).upper()
    if body is None and values and verb not in ("GET", "HEAD", "DELETE"):
        body, values = json.dumps(values).encode(), {}
    if paginate and verb != "GET":
        raise UsageError("--paginate follows pages of a GET list", hint="Drop -X, or --paginate.")
    with connect(common) as session:
        target = _relative(path, session.settings.api_url)
        query = {key: _as_query(value) for key, value in values.items()}
        if paginate:
            pages = session.client.request_pages(target, params=query, headers=_headers(header))
            render.json_pages(pages, session.output)
        else:
            render.response_body(
                session.client.request(
                    verb, target, params=query, body=body, headers=_headers(header)
                )
            )


def _relative(path: str, api_url: str) -> str:
    """The path to request; a full URL is accepted only on the API's own origin (the token's)."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        origin = urlsplit(api_url)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            raise UsageError(
                f"{path} is not under the API URL {api_url}; the token goes nowhere else",
                hint="Give a path such as /api/v1/workspaces.",
            )
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    return "/" + path.lstrip("/")


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
    headers = {}
    for pair in pairs or []:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"'{pair}' is not NAME:VALUE")
        if name.strip().lower() == "authorization":
            raise UsageError("the Authorization header is added for you from your login")
        headers[name.strip()] = value.strip()
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
