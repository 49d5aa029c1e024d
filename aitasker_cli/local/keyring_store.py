"""Tokens in the OS keyring, asked from a worker thread that gives up after a few seconds.

Each token is stored under the service `aitasker:<API host>` with the profile as the user name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from aitasker_cli.core.errors import AuthError

KEYRING_TIMEOUT_SECONDS = 3.0
"""A locked or absent Secret Service can block forever; no keyring call may take longer."""

T = TypeVar("T")


class KeyringUnavailable(AuthError):
    """No keyring backend works here, or it failed or did not answer in time."""


class KeyringMissing(KeyringUnavailable):
    """There is no keyring backend at all, so nothing can be stored in one either."""


def backend_name() -> str:
    """The name of the working keyring backend; KeyringUnavailable when there is none."""
    return ask(lambda kr: str(kr.name))


def read(profile: str, api_host: str) -> tuple[str | None, str]:
    """The token stored for this profile and host (None when there is none), and the backend.

    Reading is also the only real test of a keyring: a locked Secret Service has a name but
    never answers.
    """
    service = _service(api_host)
    return ask(lambda kr: (kr.get_password(service, profile), str(kr.name)))


def store(profile: str, api_host: str, token: str) -> str:
    """Save the token for this profile and host; returns the backend's name."""
    service = _service(api_host)

    def save(kr: Any) -> str:
        kr.set_password(service, profile, token)
        return str(kr.name)

    return ask(save)


def delete(profile: str, api_host: str) -> str | None:
    """Delete the entry if there is one; returns the backend's name when it did."""
    service = _service(api_host)

    def remove(kr: Any) -> str | None:
        if kr.get_password(service, profile) is None:
            return None
        kr.delete_password(service, profile)
        return str(kr.name)

    return ask(remove)


def _service(api_host: str) -> str:
    """The keyring's service name for tokens of this API host; the profile is the user name."""
    return f"aitasker:{api_host}"


def ask(operation: Callable[[Any], T]) -> T:
    """Run operation(backend) in a worker thread and give up after KEYRING_TIMEOUT_SECONDS.

    The import happens in the worker too: backend discovery may talk to D-Bus and block.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            import keyring
            from keyring.backends import fail, null

            backend = keyring.get_keyring()
            # The null backend "succeeds" and stores nothing, so it counts as no backend.
            if isinstance(backend, (fail.Keyring, null.Keyring)):
                outcome["error"] = KeyringMissing("no OS keyring backend is available")
                return
            outcome["value"] = operation(backend)
        except Exception as exc:
            outcome["error"] = KeyringUnavailable(
                f"the OS keyring failed ({type(exc).__name__}: {exc})"
            )

    worker = threading.Thread(target=work, name="aitasker-keyring", daemon=True)
    worker.start()
    worker.join(KEYRING_TIMEOUT_SECONDS)
    if worker.is_alive():
        raise KeyringUnavailable(
            f"the OS keyring did not answer within {KEYRING_TIMEOUT_SECONDS:g} s (is it locked?)"
        )
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value
