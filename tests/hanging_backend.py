"""A keyring backend that never answers, like a Secret Service waiting on an unlock prompt.

Tests select it with PYTHON_KEYRING_BACKEND=tests.hanging_backend.HangingKeyring. It first
touches the file named by HANGING_KEYRING_MARKER, so a test can tell whether it was consulted.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from keyring.backend import KeyringBackend


class HangingKeyring(KeyringBackend):
    priority = 1

    def _hang(self) -> None:
        marker = os.environ.get("HANGING_KEYRING_MARKER")
        if marker:
            Path(marker).touch()
        time.sleep(3600)

    def get_password(self, service: str, username: str) -> str | None:
        self._hang()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang()

    def delete_password(self, service: str, username: str) -> None:
        self._hang()
