"""Bulk pause and resume: reading the IDs, running them concurrently, and keeping every outcome."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from aitasker_cli.errors import AitaskerError, ExitCode, UsageError
from aitasker_cli.routes import parse_id

SHOWN_PROBLEMS = 5


class Interrupted(AitaskerError):
    exit_code = ExitCode.INTERRUPTED


def read_ids(arguments: Sequence[str], lines: str | None) -> list[str]:
    """The agent IDs from arguments and stdin lines, checked, in order, each once.

    Blank lines and `#` comments are skipped; a line may also be a JSON object with an `id`
    (what `-o ndjson` writes). One malformed entry stops everything before anything is sent.
    """
    found: list[str] = []
    problems: list[str] = []
    entries = [(f"argument {n}", value) for n, value in enumerate(arguments, 1)]
    for number, line in enumerate((lines or "").splitlines(), 1):
        text = line.strip()
        if text and not text.startswith("#"):
            entries.append((f"line {number}", _id_of(text)))
    for where, value in entries:
        try:
            found.append(parse_id(value, "agent"))
        except UsageError:
            problems.append(f"{where}: {value[:60]!r}")
    if problems:
        more = (
            f" (and {len(problems) - SHOWN_PROBLEMS} more)"
            if len(problems) > SHOWN_PROBLEMS
            else ""
        )
        raise UsageError(
            f"{len(problems)} input(s) are not agent IDs, so nothing was sent: "
            + "; ".join(problems[:SHOWN_PROBLEMS])
            + more,
            hint='Give one UUID per line, or one JSON object with an "id" per line.',
        )
    if not found:
        raise UsageError("no agent IDs given", hint="Pass AGENT_ID arguments, or --stdin.")
    return list(dict.fromkeys(found))


def _id_of(line: str) -> str:
    if not line.startswith("{"):
        return line
    try:
        value = json.loads(line)
    except ValueError:
        return line
    identifier = value.get("id") if isinstance(value, dict) else None
    return identifier if isinstance(identifier, str) else line


@dataclass(frozen=True)
class Outcome:
    """What happened to one item: the agent after the call, or why it failed."""

    id: str
    agent: dict[str, Any] | None = None
    error: AitaskerError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> dict[str, Any]:
        """The contract's per-item shape."""
        if self.error is None:
            return {"id": self.id, "ok": True, "agent": self.agent}
        return {
            "id": self.id,
            "ok": False,
            "error": {
                "status": self.error.status,
                "exit_code": int(self.error.exit_code),
                "message": self.error.message,
            },
        }


class BulkRun:
    """Runs `action` on every ID with `concurrency` threads sharing one client."""

    def __init__(
        self, ids: Sequence[str], action: Callable[[str], dict[str, Any]], concurrency: int
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bulk")
        self._futures: dict[Future[dict[str, Any]], str] = {
            self._pool.submit(action, agent_id): agent_id for agent_id in ids
        }
        self._reported: set[str] = set()

    def outcomes(self) -> Iterator[Outcome]:
        """Each item's outcome, as it completes."""
        for future in as_completed(self._futures):
            yield self._report(future)
        self._pool.shutdown()

    def stop(self) -> list[Outcome]:
        """After Ctrl-C: cancel what has not started; the outcome of every item not yet given."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        left = []
        for future, agent_id in self._futures.items():
            if agent_id in self._reported:
                continue
            if future.done() and not future.cancelled():
                left.append(self._report(future))
            else:
                started = not future.cancelled()
                message = (
                    "interrupted while in flight; the change may or may not have been made"
                    if started
                    else "interrupted before it was sent"
                )
                self._reported.add(agent_id)
                left.append(Outcome(agent_id, error=Interrupted(message)))
        return left

    def _report(self, future: Future[dict[str, Any]]) -> Outcome:
        agent_id = self._futures[future]
        self._reported.add(agent_id)
        try:
            return Outcome(agent_id, agent=future.result())
        except AitaskerError as exc:
            return Outcome(agent_id, error=exc)
        except Exception as exc:  # a bug for this item must not lose the others' results
            return Outcome(agent_id, error=AitaskerError(f"unexpected {type(exc).__name__}: {exc}"))
