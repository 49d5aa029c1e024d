"""The JSON Schemas of what the commands print: their names, what each describes, and which
command prints which.

Plain data (standard library only): `aitasker schema` lists the names from here, `--help` names
a command's schema from here, and tools/schemas.py generates each schema (docs/schemas/NAME.json
and its copy in the package, aitasker_cli/schemas/) under these names.
"""

from __future__ import annotations

from typing import NamedTuple


class Schema(NamedTuple):
    """One schema: the shape of one kind of object aitasker prints."""

    name: str
    """What `aitasker schema NAME` takes, and the file's name (NAME.json)."""
    title: str
    description: str
    """One line, for the list."""


SCHEMAS = (
    Schema("agent", "Agent", "A hired agent, as the API sends it."),
    Schema("workspace", "Workspace", "A workspace, as the API sends it."),
    Schema("task", "Task", "A workspace's task, as the API sends it, with its fingerprint."),
    Schema(
        "result",
        "Result",
        "One item's result of a change or a decision, with the agent or task after it.",
    ),
    Schema("history", "Operation", "One operation of this machine's journal."),
    Schema("history-item", "Operation item", "One item (agent or task) of an operation."),
    Schema(
        "event", "Watch event", "One line of a --watch stream: an item added, changed or removed."
    ),
    Schema("login", "Login status", "Where the token comes from, and whether the API takes it."),
    Schema("check", "Check", "One check of `aitasker doctor`."),
)
NAMES = tuple(schema.name for schema in SCHEMAS)

LIST = "list"
"""-o json prints an array of these, -o ndjson one a line."""
ONE = "one"
"""-o json prints one of these (so does -o ndjson, on one line)."""
RESULTS = "results"
"""-o json prints an array of per-item results, -o ndjson one a line as each is known."""


class Prints(NamedTuple):
    """What a command prints with -o json or -o ndjson."""

    schema: str
    """The name of the schema of each object."""
    shape: str
    """LIST, ONE or RESULTS."""
    watch: bool = False
    """Whether it has --watch, whose ndjson lines are `event`s."""
    single: str | None = None
    """What it prints instead given a single ID (and no --dry-run): pause and resume print
    the agent itself, as `agents show` does."""


PRINTS: dict[tuple[str, ...], Prints] = {
    ("agents", "list"): Prints("agent", LIST, watch=True),
    ("agents", "show"): Prints("agent", ONE),
    ("agents", "wait"): Prints("agent", ONE),
    ("agents", "pause"): Prints("result", RESULTS, single="agent"),
    ("agents", "resume"): Prints("result", RESULTS, single="agent"),
    ("agents", "cancel"): Prints("result", RESULTS),
    ("tasks", "list"): Prints("task", LIST, watch=True),
    ("tasks", "inbox"): Prints("task", LIST, watch=True),
    ("tasks", "show"): Prints("task", ONE),
    ("tasks", "wait"): Prints("task", ONE),
    ("tasks", "approve"): Prints("result", RESULTS),
    ("tasks", "reject"): Prints("result", RESULTS),
    ("workspaces", "list"): Prints("workspace", LIST, watch=True),
    ("workspaces", "show"): Prints("workspace", ONE),
    ("workspaces", "tasks"): Prints("task", LIST),
    ("auth", "status"): Prints("login", ONE),
    ("history",): Prints("history", LIST),
    ("undo",): Prints("result", RESULTS),
    ("doctor",): Prints("check", LIST),
}
"""Every command that prints JSON objects of its own kind, by command path. Not here: `api`
(the response as it came), `schema` (a JSON Schema), and commands that print no JSON."""
ALSO_PRINTS: dict[tuple[str, ...], str] = {("history",): "history-item"}
"""A second kind of object a command prints, given an OPERATION_ID: `history OPERATION_ID`
lists one operation's items."""


def schema_note(words: tuple[str, ...]) -> str | None:
    """The paragraph of a command's `--help` naming the schema of what it prints, if any."""
    prints = PRINTS.get(words)
    if prints is None:
        return None
    schema = f"`aitasker schema {prints.schema}`"
    if prints.shape == LIST:
        note = (
            f"-o json prints an array, -o ndjson an object a line; {schema} prints their "
            "JSON Schema."
        )
    elif prints.shape == ONE:
        note = f"-o json prints one object; {schema} prints its JSON Schema."
    else:
        note = (
            "-o json prints an array of per-item results, -o ndjson one a line as each is known; "
            f"{schema} prints their JSON Schema."
        )
    if prints.single:
        note += (
            f" Given one {prints.single} (without --dry-run), -o json prints the "
            f"{prints.single} itself: `aitasker schema {prints.single}`."
        )
    also = ALSO_PRINTS.get(words)
    if also:
        note += f" With OPERATION_ID, their schema is `aitasker schema {also}`."
    if prints.watch:
        note += " With --watch, each line is an event: `aitasker schema event`."
    return note


def with_schema(words: tuple[str, ...], help_text: str | None) -> str | None:
    """A command's help with its schema note as a last paragraph (its first line unchanged)."""
    note = schema_note(words)
    if help_text is None or note is None:
        return help_text
    import inspect

    return f"{inspect.cleandoc(help_text)}\n\n{note}"
