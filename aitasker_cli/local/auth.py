"""Which token to send, and where `auth login` keeps it and `auth logout` removes it from.

Resolution order (CLI-CONTRACT.md): AITASKER_TOKEN, then the keyring entry for the profile and
API host (aitasker_cli/local/keyring_store.py), then the 0600 credentials file that
`auth login --insecure-storage` wrote (aitasker_cli/local/credentials.py).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from aitasker_cli.core.errors import AuthError
from aitasker_cli.local import credentials, keyring_store
from aitasker_cli.local.config import Settings
from aitasker_cli.local.keyring_store import KeyringMissing, KeyringUnavailable
from aitasker_cli.local.tokens import check_token

TOKEN_ENV = "AITASKER_TOKEN"
SANDBOX_TOKEN = "sandbox"
"""The sandbox wants a bearer token, as the API does, but any will do: this is no secret."""
LOGIN_HINT = "Run 'aitasker auth login', or set AITASKER_TOKEN."
API_KEYS_URL = "https://docs.aitasker.co/authentication/api-keys"
"""The documentation page that says where to create an API token."""
NO_KEYRING_HINT = (
    "Set AITASKER_TOKEN instead, or run 'aitasker auth login --insecure-storage' "
    "to keep the token in a file only you can read."
)


class TokenSource(str, Enum):
    """Where a token came from; the value is what `auth status -o json` prints as `source`."""

    env = "env"
    keyring = "keyring"
    file = "file"
    sandbox = "sandbox"


@dataclass(frozen=True)
class Token:
    value: str
    source: TokenSource
    location: str
    """The env var's name, the keyring backend's name, the file's path, or the sandbox."""

    @property
    def origin(self) -> str:
        """Where the token came from, for a sentence: "the OS keyring (SecretService)"."""
        if self.source is TokenSource.keyring:
            return f"the OS keyring ({self.location})"
        return self.location

    def __repr__(self) -> str:
        # Keeps the secret out of debug output and assertion messages.
        return f"Token(source={self.source.value!r}, location={self.location!r})"


class Forgotten(NamedTuple):
    """What `forget` removed, and why the keyring could not be asked, if it could not."""

    removed: list[str]
    keyring_problem: KeyringUnavailable | None
    """The keyring failed or did not answer, so a token may still be stored there."""


def resolve_token(settings: Settings) -> Token:
    """The token to send, by the contract's order; AuthError (exit 4) when there is none."""
    if settings.sandbox:
        return Token(SANDBOX_TOKEN, TokenSource.sandbox, "the embedded sandbox API")
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return Token(check_token(from_env), TokenSource.env, TOKEN_ENV)
    keyring_problem = None
    try:
        stored, backend = keyring_store.read(settings.profile, settings.api_host)
        if stored:
            return Token(stored, TokenSource.keyring, backend)
    except KeyringUnavailable as exc:
        keyring_problem = exc.message
    from_file = credentials.token_for(settings.profile, settings.api_host)
    if from_file:
        return Token(from_file, TokenSource.file, str(credentials.path()))
    message = f"not logged in to {settings.api_host} (profile '{settings.profile}')"
    if keyring_problem:
        message += f"; {keyring_problem}"
    raise AuthError(message, hint=LOGIN_HINT)


def check_keyring(settings: Settings) -> None:
    """KeyringUnavailable (exit 4) unless the keyring answers a read for this profile and host.

    `auth login` asks before it asks for the token, so nobody pastes one only to hear that it
    cannot be kept. A read, not the backend's name: a locked keyring has a name but no answer.
    """
    try:
        keyring_store.read(settings.profile, settings.api_host)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(
            f"{exc.message}; nothing was stored", hint=NO_KEYRING_HINT
        ) from None


def login(
    settings: Settings,
    token: str,
    *,
    insecure_storage: bool,
    verify: Callable[[], object] | None,
) -> str:
    """Check, verify and store a token; returns where it went. Nothing is written on failure.

    Without `insecure_storage` a working keyring is required, and that is checked first, so a
    machine without one fails closed instead of falling back to a plain file. Either way the
    profile's token in the other store is removed, so only the new one can be found.
    """
    token = check_token(token)
    profile, host = settings.profile, settings.api_host
    if insecure_storage:
        if verify is not None:
            verify()
        stored_in = credentials.store(profile, host, token)
        with contextlib.suppress(KeyringUnavailable):
            keyring_store.delete(profile, host)
        return f"the file {stored_in}"
    try:
        keyring_store.backend_name()
        if verify is not None:
            verify()
        backend = keyring_store.store(profile, host, token)
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(
            f"{exc.message}; nothing was stored", hint=NO_KEYRING_HINT
        ) from None
    credentials.remove(profile, host)
    return f"the OS keyring ({backend})"


def forget(settings: Settings) -> Forgotten:
    """Delete the stored token of this profile and host, from the keyring and the file.

    No keyring backend at all means there is nothing in one; a keyring that fails or does not
    answer is reported, since a token may still be stored there.
    """
    removed = []
    problem = None
    try:
        backend = keyring_store.delete(settings.profile, settings.api_host)
        if backend:
            removed.append(f"keyring ({backend})")
    except KeyringMissing:
        pass
    except KeyringUnavailable as exc:
        problem = exc
    if credentials.remove(settings.profile, settings.api_host):
        removed.append(str(credentials.path()))
    return Forgotten(removed, problem)
