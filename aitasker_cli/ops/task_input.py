"""The tasks a decision reads on stdin: full IDs, `WORKSPACE_ID/TASK_ID` lines, what `tasks
list` and `tasks inbox` print (ndjson, json, tsv, csv), each with the workspace and the
fingerprint it carries when it carries them.

A fingerprint read here acts as that task's `--if-match`: `tasks inbox -o ndjson | tasks
approve --stdin --yes` decides on exactly the tasks that were listed, as they were listed.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from aitasker_cli.core.errors import UsageError
from aitasker_cli.domain.fingerprint import LENGTH
from aitasker_cli.domain.routes import parse_id
from aitasker_cli.ops.bulk import LONGEST_LINE, SHOWN_PROBLEMS, JsonArray

_FINGERPRINT = re.compile(f"[0-9a-f]{{{LENGTH}}}")
HINT = (
    "Pipe `aitasker tasks inbox -o ndjson` (or -o id, tsv, csv, json); a line may also be "
    "TASK_ID or WORKSPACE_ID/TASK_ID."
)


class TaskLine(NamedTuple):
    """One task read on stdin."""

    task_id: str
    workspace_id: str | None = None
    """None when the line did not say (it is then looked up)."""
    fingerprint: str | None = None


def is_fingerprint(text: str) -> bool:
    """Whether `text` is a fingerprint: 12 hex characters (either case; compared lower-case)."""
    return _FINGERPRINT.fullmatch(text.lower()) is not None


def read_task_lines(lines: Iterable[str] | JsonArray) -> list[TaskLine]:
    """Every task of `lines`, checked, in order, each once; exit 2 naming the first few bad
    entries (nothing is sent then), or if there is none."""
    found: dict[str, TaskLine] = {}
    problems: list[str] = []
    count = 0
    header: list[str] | None = None

    def take(where: str, entry: Any) -> None:
        nonlocal count
        try:
            line = _task_of(entry)
        except UsageError as exc:
            count += 1
            if len(problems) < SHOWN_PROBLEMS:
                problems.append(f"{where}: {exc.message}")
            return
        known = found.setdefault(line.task_id, line)
        if known.workspace_id and line.workspace_id and known.workspace_id != line.workspace_id:
            raise UsageError(
                f"{where}: task {line.task_id} is given in two workspaces, "
                f"{known.workspace_id} and {line.workspace_id}, so nothing was sent",
                hint=HINT,
            )
        if known.fingerprint and line.fingerprint and known.fingerprint != line.fingerprint:
            raise UsageError(
                f"{where}: task {line.task_id} is given with two fingerprints, "
                f"{known.fingerprint} and {line.fingerprint}, so nothing was sent",
                hint=HINT,
            )
        # Given twice, a task keeps everything either line said of it: a fingerprint on
        # either must hold, never be dropped for the other.
        found[line.task_id] = TaskLine(
            line.task_id,
            known.workspace_id or line.workspace_id,
            known.fingerprint or line.fingerprint,
        )

    if isinstance(lines, JsonArray):
        for number, item in enumerate(lines.items, 1):
            take(f"item {number}", item)
    else:
        for number, raw in enumerate(lines, 1):
            text = raw.strip()
            if len(text) > LONGEST_LINE:
                take(f"line {number}", f"(too long: over {LONGEST_LINE} characters)")
            elif not text or text.startswith("#"):
                continue
            elif text.startswith("{"):
                take(f"line {number}", _json_object(text))
            elif "," in text and "\t" not in text:
                try:
                    fields = next(csv.reader([text]))
                except csv.Error as exc:  # a stray CR, say: not a line `tasks list` wrote
                    take(f"line {number}", f"(not CSV: {exc})")
                    continue
                if fields and fields[0].strip().lower() == "id":
                    header = [field.strip() for field in fields]
                    continue
                take(f"line {number}", _row(fields, header))
            else:
                take(f"line {number}", text.split("\t") if "\t" in text else text)
    if count:
        more = f" (and {count - len(problems)} more)" if count > len(problems) else ""
        raise UsageError(
            f"{count} input(s) are not tasks, so nothing was sent: " + "; ".join(problems) + more,
            hint=HINT,
        )
    if not found:
        raise UsageError("no tasks came on stdin", hint=HINT)
    return list(found.values())


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text[:60]


def _row(fields: Sequence[str], header: Sequence[str] | None) -> dict[str, str]:
    """A CSV row as an object: by its header's names, else its first field as the ID."""
    if header is None:
        return {"id": fields[0].strip()}
    return {name: value.strip() for name, value in zip(header, fields, strict=False)}


def _task_of(entry: Any) -> TaskLine:
    """The task an entry names: an object (json, ndjson, csv), TSV fields, or one word."""
    if isinstance(entry, dict):
        return _from_object(entry)
    if isinstance(entry, list):
        # TSV, as `tasks list -o tsv` writes it: the ID first, the fingerprint last.
        last = entry[-1].strip() if len(entry) > 1 else ""
        return TaskLine(_id(entry[0].strip()), None, last.lower() if is_fingerprint(last) else None)
    text = str(entry)
    if "/" in text:
        workspace, _slash, task = text.rpartition("/")
        return TaskLine(_id(task), parse_id(workspace, "workspace"))
    return TaskLine(_id(text))


def _from_object(entry: dict[str, Any]) -> TaskLine:
    task_id, workspace, fingerprint = (
        entry.get("id"),
        entry.get("workspace_id"),
        entry.get("fingerprint"),
    )
    if not isinstance(task_id, str):
        raise UsageError("an object without a task 'id'")
    if workspace is not None and not isinstance(workspace, str):
        raise UsageError("its 'workspace_id' is not text")
    if fingerprint is not None and not (
        isinstance(fingerprint, str) and is_fingerprint(fingerprint)
    ):
        raise UsageError(f"its 'fingerprint' is not {LENGTH} hex characters")
    return TaskLine(
        _id(task_id),
        parse_id(workspace, "workspace") if workspace else None,
        fingerprint.lower() if fingerprint else None,
    )


def _id(text: str) -> str:
    try:
        return parse_id(text, "task")
    except UsageError:
        raise UsageError(f"{text[:60]!r} is not a task ID") from None
