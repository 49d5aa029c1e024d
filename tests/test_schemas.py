"""The JSON Schemas: valid draft 2020-12, generated (tools/regen.py checks them), shipped in the
package, printed by `aitasker schema`, and named by each command's `--help`. That they describe
what the commands really print is tests/test_schema_output.py's part."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no types of its own; no stubs in [test]
import pytest

from aitasker_cli import __version__
from aitasker_cli.cli.main import command_paths
from aitasker_cli.domain.schemas import ALSO_PRINTS, NAMES, PRINTS, SCHEMAS
from tests.processes import aitasker, clean_env
from tests.schema_checks import DOCS, problems, schema

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "aitasker_cli" / "schemas"
COMMANDS = set(command_paths())
HELP = json.loads((ROOT / "aitasker_cli" / "fast" / "help_table.json").read_text("utf-8"))


# The schemas themselves


@pytest.mark.parametrize("name", NAMES)
def test_each_schema_is_a_valid_draft_2020_12_schema_naming_the_version(name: str) -> None:
    found = schema(name)

    jsonschema.Draft202012Validator.check_schema(found)
    assert found["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert found["$id"].endswith(f"/{__version__}/schemas/{name}.json")
    assert found["title"] and found["description"]


def test_the_folders_hold_the_same_schemas_and_nothing_else() -> None:
    docs = {path.name: path.read_bytes() for path in DOCS.iterdir()}
    packaged = {path.name: path.read_bytes() for path in PACKAGED.iterdir() if path.is_file()}

    assert docs == packaged
    assert set(docs) == {f"{name}.json" for name in NAMES}


def test_server_objects_keep_unknown_fields_and_tasks_have_their_fingerprint() -> None:
    for name, title in (("agent", "HiredAgent"), ("workspace", "WorkspaceDetail")):
        assert schema(name)["additionalProperties"] is True, name
        assert schema("event")["$defs"][title]["additionalProperties"] is True
    task = schema("task")
    assert task["additionalProperties"] is True
    assert "fingerprint" in task["required"]
    assert "fingerprint" in schema("result")["$defs"]["WorkspaceTask"]["required"]
    assert {"operation", "agent", "task"} <= set(schema("result")["properties"])


def test_each_schema_catches_what_drifts_from_it() -> None:
    """The validators used below do fail: a missing key, a wrong type, an unknown key of
    aitasker's own, a malformed fingerprint."""
    agent = {"id": "1888df20-5bd0-4521-be84-762b3b9be05d", "status": "active"}
    task = {"id": agent["id"], "status": "queued", "fingerprint": "0123456789ab"}

    assert problems("agent", [agent, {**agent, "anything": {"the": "server"}}]) == []
    assert problems("agent", [{"id": agent["id"]}])
    assert problems("agent", [{**agent, "hired_at": "yesterday"}])
    assert problems("task", [task]) == []
    assert problems("task", [{**task, "fingerprint": "XYZ"}])
    assert problems("task", [{k: v for k, v in task.items() if k != "fingerprint"}])
    result = {"id": agent["id"], "ok": True, "outcome": "changed", "agent": agent}
    assert problems("result", [result]) == []
    assert problems("result", [{**result, "outcome": "paused"}])
    assert problems("result", [{**result, "new_key": 1}])
    assert problems("result", [{**result, "agent": {"id": agent["id"]}}])


# `aitasker schema`


def test_schema_prints_each_schema_as_the_docs_hold_it() -> None:
    env = clean_env()
    for name in NAMES:
        printed = aitasker("schema", name, env=env)

        assert printed.returncode == 0, printed.stderr
        assert printed.stdout == (DOCS / f"{name}.json").read_text("utf-8")


def test_schema_lists_the_schemas_in_the_chosen_format() -> None:
    env = clean_env()
    listed = aitasker("schema", "-o", "json", env=env)
    tsv = aitasker("schema", env=env)

    assert listed.returncode == tsv.returncode == 0
    assert json.loads(listed.stdout) == [dict(each._asdict()) for each in SCHEMAS]
    assert [line.split("\t")[0] for line in tsv.stdout.splitlines()] == list(NAMES)


def test_schema_with_ndjson_prints_it_on_one_line() -> None:
    printed = aitasker("schema", "task", "-o", "ndjson", env=clean_env())

    assert printed.stdout.count("\n") == 1
    assert json.loads(printed.stdout) == schema("task")


def test_an_unknown_schema_is_a_usage_error_naming_them_all() -> None:
    printed = aitasker("schema", "agnet", env=clean_env())

    assert (printed.returncode, printed.stdout) == (2, "")
    assert "there is no schema 'agnet'" in printed.stderr
    assert "Did you mean 'agent'?" in printed.stderr
    assert ", ".join(NAMES) in printed.stderr


# `--help` names the schemas


def options_of(words: tuple[str, ...]) -> set[str]:
    page = HELP["pages"][" ".join(words)]
    return {
        name
        for section in page["sections"]
        for left, _ in section["rows"]
        for name in left.replace(",", " ").split()
        if name.startswith("--")
    }


@pytest.mark.parametrize("words", sorted(set(PRINTS) & COMMANDS), ids=" ".join)
def test_the_help_of_each_command_printing_json_names_its_schema(words: tuple[str, ...]) -> None:
    page = HELP["pages"][" ".join(words)]
    prints = PRINTS[words]

    assert f"`aitasker schema {prints.schema}`" in page["help"]
    assert page["help"].splitlines()[0] == page["help"].split("\n\n")[0]  # the summary stays
    also = ALSO_PRINTS.get(words)
    if also:
        assert f"`aitasker schema {also}`" in page["help"]
    # A watch prints events: its schema says so, and so does the help.
    assert prints.watch == ("--watch" in options_of(words))
    assert ("`aitasker schema event`" in page["help"]) == prints.watch


def test_every_command_printing_json_is_in_the_table() -> None:
    """A command with -o (the global options) prints JSON of some kind: PRINTS names it, or it
    is one of those that print none of their own."""
    others = {("api",), ("schema",), ("mcp",), ("auth", "token"), ("auth", "login")}
    others.add(("auth", "logout"))
    others |= {("sandbox", "reset"), ("sandbox", "serve")}
    leaves = {words for words in COMMANDS if words and not HELP["pages"][" ".join(words)]["bare"]}
    with_output = {words for words in leaves if "--output" in options_of(words)}

    assert with_output - others - set(PRINTS) == set()
