"""Pacing for every thread of one client, from the API's rate-limit headers."""

from __future__ import annotations

import threading
from collections.abc import Callable

from aitasker_cli.api.deadlines import OutOfTime
from aitasker_cli.api.httpx_adapter import httpx


class Throttle:
    """Paces every thread of one client so a bulk run slows down instead of meeting 429s.

    When the API says no requests are left in its window (`X-RateLimit-Remaining: 0`), requests
    are spaced at the window's sustained rate (60 s / `X-RateLimit-Limit`); a 429 with
    `Retry-After` holds every thread back, not only the one that got it.
    """

    def __init__(self, *, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._spacing = 0.0
        self.sustained = 0.0
        """60 s / the last `X-RateLimit-Limit` seen: the most often one poller may ask."""
        self.limit: int | None = None
        self.remaining: int | None = None
        """The last `X-RateLimit-Limit` and `X-RateLimit-Remaining` seen (None: none yet)."""
        self.sent = 0
        """Requests started by every thread of the client, retries included."""

    def wait(self, deadline: float | None = None) -> None:
        """Wait for this request's turn; OutOfTime (and no turn taken) if it would come after
        `deadline`, an outer deadline such as `--wait-timeout`'s."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            if deadline is not None and start > deadline:
                raise OutOfTime
            self.sent += 1
            self._next_start = start + self._spacing
        if start > now:
            self._sleep(start - now)

    def observe(self, response: httpx.Response, retry_after: float | None) -> None:
        remaining = _header_int(response, "x-ratelimit-remaining")
        limit = _header_int(response, "x-ratelimit-limit")
        with self._lock:
            now = self._clock()
            if limit:
                self.sustained = 60.0 / limit
                self.limit = limit
            if remaining is not None:
                self.remaining = remaining
            if remaining is not None and limit:
                self._spacing = 60.0 / limit if remaining <= 0 else 0.0
                self._next_start = max(self._next_start, now + self._spacing)
            if response.status_code == 429 and retry_after is not None:
                self._next_start = max(self._next_start, now + retry_after)


def _header_int(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None
