"""The JSON Schemas (draft 2020-12) of what aitasker prints, generated from the types behind it.

Run by tools/regen.py, never by aitasker itself: the server's objects come from the pydantic
models (aitasker_cli/api/models.py), per-item results from ops/reporting.py's ItemResult, a
check from ops/doctor.py's Check; the journal's operations, `auth status` and the --watch
events, which are built as plain dicts, are described by the TypedDicts below. The names,
titles and one-line descriptions are aitasker_cli/domain/schemas.py's.

Every object the server sends keeps its unknown fields (`additionalProperties: true`); the
objects aitasker makes itself say nothing about other keys, so a later version may add some.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

# Regeneration only: aitasker itself never imports this module, nor pydantic's schema machinery.
from pydantic import ConfigDict, Field, TypeAdapter  # noqa: TID253
from pydantic.json_schema import GenerateJsonSchema  # noqa: TID253
from typing_extensions import NotRequired, TypedDict

from aitasker_cli import __version__
from aitasker_cli.api.models import HiredAgent, WorkspaceDetail, WorkspaceTask  # noqa: TID253
from aitasker_cli.domain.schemas import ALSO_PRINTS, PRINTS, SCHEMAS
from aitasker_cli.local import journal_records
from aitasker_cli.ops import reporting
from aitasker_cli.ops.doctor import Check

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FOLDERS = ("docs/schemas", "aitasker_cli/schemas")
"""Where the schemas are written: beside the docs, and in the package, which
`aitasker schema NAME` prints from."""
OUTCOMES = (*journal_records.OUTCOMES, "would_change", "would_skip")
OPERATION_ID = f"^{journal_records._OPERATION_ID.pattern}$"
FINGERPRINT = {
    "type": "string",
    "pattern": "^[0-9a-f]{12}$",
    "description": "Computed by aitasker, not sent by the server: the first 12 hex characters "
    "of the SHA-256 of the task's approval_level, description, id, output_data, "
    "proposed_actions, status, title and workspace_id as the server sent them (JSON, keys "
    "sorted, no spaces, UTF-8). What --if-match takes.",
}
_DOCSTRINGS = ConfigDict(use_attribute_docstrings=True)


def schema_id(name: str) -> str:
    """The `$id` of a schema: it names the version of aitasker whose output it describes."""
    return f"https://docs.aitasker.co/cli/{__version__}/schemas/{name}.json"


# What aitasker builds as plain dicts


class OperationSummary(TypedDict):
    """One operation, as `aitasker history` lists it: its items counted, not listed."""

    __pydantic_config__ = _DOCSTRINGS  # type: ignore[misc]

    id: Annotated[str, Field(pattern=OPERATION_ID)]
    """The operation ID: what `history` and `undo` take."""
    time: datetime
    """When it ran, ISO 8601 UTC to the second."""
    action: str
    """pause, resume, cancel, approve, reject or undo."""
    final: bool
    """Whether nothing can undo it (cancel, approve, reject)."""
    undoes: Annotated[str, Field(pattern=OPERATION_ID)] | None
    """For undo: the operation it undid."""
    changed: int
    """How many items it changed."""
    failed: int
    """How many items failed or were interrupted."""
    total: int
    """How many items it had."""
    profile: str
    host: str
    """The API's host (sandbox.localhost for --sandbox)."""
    api_url: str | None
    """The whole API base URL; null in records written before it was kept."""
    origin: str
    """Who ran it: terminal, mcp or action."""


class OperationItem(TypedDict):
    """One item of an operation (an agent, or a task), as `aitasker history OPERATION_ID`
    lists it."""

    __pydantic_config__ = _DOCSTRINGS  # type: ignore[misc]

    id: Annotated[str, Field(json_schema_extra={"format": "uuid"})]
    name: str
    """Its name when it was changed ('' if unknown)."""
    before: str | None
    """Its status before (null if unknown)."""
    after: str | None
    """Its status after (null if unknown: failed or interrupted)."""
    outcome: Literal[journal_records.OUTCOMES]
    reason: str | None
    """The reason sent with a decision (approve, reject), or why the item was skipped."""


class LoginStatus(TypedDict):
    """What `aitasker auth status` prints."""

    __pydantic_config__ = _DOCSTRINGS  # type: ignore[misc]

    profile: str
    api_url: str
    source: str
    """Where the token comes from: env, keyring, file, sandbox."""
    location: str | None
    """The variable, keyring entry or file holding it."""
    kind: str
    """What the token looks like (an API key, a JWT)."""
    expires_at: datetime | Literal["invalid"] | None
    """Its expiry (ISO 8601 UTC); "invalid" for an `exp` claim that is no time."""
    verified: bool | None
    """Whether the API accepted it; null with --no-verify, or when it could not be asked."""


class WatchEvent(TypedDict):
    """First `added` for every item in the filtered set, then each change as a poll sees it."""

    __pydantic_config__ = _DOCSTRINGS  # type: ignore[misc]

    event: Literal["added", "changed", "removed"]
    """`removed`: the item left the filtered set."""
    id: str
    """The item's ID."""
    at: datetime
    """When the poll that saw it ended, ISO 8601 UTC."""
    item: HiredAgent | WorkspaceDetail | WorkspaceTask
    """The item (for `removed`, as last seen)."""
    before: NotRequired[dict[str, Any]]
    """For `changed`: the changed fields only, before."""
    after: NotRequired[dict[str, Any]]
    """For `changed`: the changed fields only, after."""


# Types of the package that pydantic cannot read as they are


def attribute_docs(cls: type) -> dict[str, str]:
    """The docstring under each attribute of a class, by attribute name."""
    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    for node, after in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            found[node.target.id] = inspect.cleandoc(after.value.value)
    return found


def readable(cls: type, overrides: dict[str, Any], required: tuple[str, ...] = ()) -> Any:
    """A typing.TypedDict as a typing_extensions one pydantic reads on any Python, with its
    docstrings as descriptions; `overrides` types some keys, `required` are always there."""
    docs = attribute_docs(cls)
    keys: dict[str, Any] = {}
    for key, hint in typing.get_type_hints(cls).items():
        typed = overrides.get(key, hint)
        if key in docs:
            typed = Annotated[typed, Field(description=docs[key])]
        keys[key] = typed if key in required else NotRequired[typed]
    made: Any = TypedDict(cls.__name__, keys)  # type: ignore[operator]
    made.__doc__ = cls.__doc__
    return made


def result_type() -> Any:
    """ItemResult, with the agent and the task typed, and what every result has required."""
    error = readable(reporting.ItemError, {}, required=("status", "exit_code", "message"))
    return readable(
        reporting.ItemResult,
        {
            "outcome": Literal[OUTCOMES],
            "agent": HiredAgent | None,
            "task": WorkspaceTask | None,
            "operation": Annotated[str, Field(pattern=OPERATION_ID)],
            "error": error,
        },
        required=("id", "ok", "outcome"),
    )


TYPES: dict[str, Callable[[], Any]] = {
    "agent": lambda: HiredAgent,
    "workspace": lambda: WorkspaceDetail,
    "task": lambda: WorkspaceTask,
    "result": result_type,
    "history": lambda: OperationSummary,
    "history-item": lambda: OperationItem,
    "event": lambda: WatchEvent,
    "login": lambda: LoginStatus,
    "check": lambda: Check,
}
"""The type each schema is generated from, by name."""


class _Generator(GenerateJsonSchema):
    """pydantic's draft 2020-12 schemas without a title on every field (made up from its name)."""

    def field_title_should_be_set(self, _schema: Any) -> bool:
        return False


def generate(name: str, printed_by: list[str]) -> dict[str, Any]:
    """The schema `name`, its description naming the commands that print it."""
    schema = dict(
        _tidy(
            TypeAdapter(TYPES[name]()).json_schema(
                mode="serialization", schema_generator=_Generator
            )
        )
    )
    defs = schema.pop("$defs", {})
    _add_fingerprint(schema if name == "task" else defs.get("WorkspaceTask"))
    known = next(each for each in SCHEMAS if each.name == name)
    schema.pop("title", None)
    paragraphs = [known.description, schema.pop("description", "")]
    if printed_by:
        paragraphs.append("Printed by " + ", ".join(f"`{each}`" for each in printed_by) + ".")
    description = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    ordered = {
        "$schema": DRAFT,
        "$id": schema_id(name),
        "title": known.title,
        "description": description,
        **schema,
    }
    return {**ordered, "$defs": defs} if defs else ordered


def _add_fingerprint(task: dict[str, Any] | None) -> None:
    """A task object as aitasker prints it also has its fingerprint."""
    if task is None:
        return
    task["properties"]["fingerprint"] = FINGERPRINT
    task["required"] = [*dict.fromkeys([*task.get("required", []), "fingerprint"])]


def _tidy(schema: Any, keywords: bool = True) -> Any:
    """The schema without `default`s, which describe what a model assumes when reading, not
    what is printed (a missing key is missing, not null); descriptions on one line a paragraph
    (docstrings are wrapped)."""
    if isinstance(schema, list):
        return [_tidy(each) for each in schema]
    if not isinstance(schema, dict):
        return schema
    if not keywords:  # a mapping of names (properties, $defs) to schemas
        return {key: _tidy(value) for key, value in schema.items()}
    tidy = {
        key: _tidy(value, keywords=key not in ("properties", "$defs"))
        for key, value in schema.items()
        if key != "default"
    }
    if isinstance(tidy.get("description"), str):
        paragraphs = tidy["description"].split("\n\n")
        tidy["description"] = "\n\n".join(" ".join(each.split()) for each in paragraphs)
    return tidy


def printed_by(commands: list[tuple[str, ...]]) -> dict[str, list[str]]:
    """For each schema, the commands (of those that exist) printing it."""
    found: dict[str, list[str]] = {schema.name: [] for schema in SCHEMAS}
    for words in commands:
        prints = PRINTS.get(words)
        if prints is None:
            continue
        command = " ".join(("aitasker", *words))
        found[prints.schema].append(command)
        if prints.single:
            found[prints.single].append(f"{command} (one {prints.single})")
        also = ALSO_PRINTS.get(words)
        if also:
            found[also].append(f"{command} OPERATION_ID")
        if prints.watch:
            found["event"].append(f"{command} --watch")
    return found


def schema_files() -> dict[str, str]:
    """Every schema's file, in each of FOLDERS, by its path from the repository's root."""
    from aitasker_cli.cli.main import command_paths

    assert set(TYPES) == {schema.name for schema in SCHEMAS}, "a schema without a type"
    commands = printed_by(command_paths())
    files: dict[str, str] = {}
    for name in TYPES:
        text = json.dumps(generate(name, commands[name]), indent=2, ensure_ascii=False) + "\n"
        for folder in FOLDERS:
            files[f"{folder}/{name}.json"] = text
    return files
