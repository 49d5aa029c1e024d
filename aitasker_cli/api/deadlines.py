"""An outer deadline over a client's requests (`--wait-timeout`): past it, a request is
neither sent nor retried."""

from __future__ import annotations

import threading


class OutOfTime(Exception):
    """An outer deadline (`--wait-timeout`) came before the request could finish."""


class OuterDeadline:
    """Bounds every request this thread sends, retries included, by one deadline."""

    def __init__(self, store: threading.local, deadline: float) -> None:
        self._store = store
        self._deadline = deadline

    def __enter__(self) -> None:
        self._store.deadline = self._deadline

    def __exit__(self, *_exc: object) -> None:
        self._store.deadline = None
