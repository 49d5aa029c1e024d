"""The client's calls on a workspace's tasks: list by statuses, get one, approve or reject.

A mixin of ApiClient (api/client.py), kept apart so the client stays under the size limit;
it sends through the client's own `_one` and `_paginate`, so retries, pacing and errors are
the same as for every other call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from aitasker_cli.api.models import WorkspaceTask
from aitasker_cli.api.responses import M
from aitasker_cli.domain.actions import Action


class _Sends(Protocol):
    """What the mixin needs of ApiClient: its calls for one item and for pages."""

    def _one(
        self,
        model: type[M],
        route: str,
        path: Mapping[str, str],
        *,
        idempotent: bool,
        body: bytes | None = None,
    ) -> M: ...

    def _paginate(
        self,
        model: type[M],
        route: str,
        path: Mapping[str, str],
        *,
        status: str | None,
        limit: int | None,
    ) -> Iterator[M]: ...


class TaskCalls:
    """The task endpoints, over the transport of the ApiClient they are mixed into."""

    def get_task(self: _Sends, workspace_id: str, task_id: str) -> WorkspaceTask:
        return self._one(
            WorkspaceTask,
            "tasks.show",
            {"workspace_id": workspace_id, "task_id": task_id},
            idempotent=True,
        )

    def decide(
        self: _Sends, action: Action, workspace_id: str, task_id: str, reason: str | None
    ) -> WorkspaceTask:
        """Send a decision (actions.APPROVE or REJECT) on one task; the task afterwards.

        The body is the documented TaskDecision, `{"reason": ...}`, null when none is given.
        A decision is final, so it is resent only when it cannot have arrived (the row's
        `retry_safe` is False): never after a timeout or a dropped connection.
        """
        if action.resource != "tasks":
            raise ValueError(f"{action.resource} {action.name} is not a decision on a task")
        body = json.dumps({"reason": reason}, ensure_ascii=False).encode("utf-8")
        return self._one(
            WorkspaceTask,
            action.route,
            {"workspace_id": workspace_id, "task_id": task_id},
            idempotent=action.retry_safe,
            body=body,
        )

    def list_tasks(
        self: _Sends, workspace_id: str, *, statuses: Sequence[str] = (), limit: int | None
    ) -> Iterator[WorkspaceTask]:
        """A workspace's tasks in any of `statuses` (all of them if none), at most `limit`.

        The API filters by one status a request, so several statuses are one listing each, in
        the order given; a task that moves between two of them while they are read is
        yielded once.
        """
        seen: set[str] = set()
        for status in dict.fromkeys(statuses) or (None,):
            left = None if limit is None else limit - len(seen)
            if left is not None and left <= 0:
                return
            for task in self._paginate(
                WorkspaceTask,
                "workspaces.tasks",
                {"workspace_id": workspace_id},
                status=status,
                limit=left,
            ):
                if str(task.id) not in seen:
                    seen.add(str(task.id))
                    yield task
