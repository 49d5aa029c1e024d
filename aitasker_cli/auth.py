"""Finding, storing and forgetting the API token: env var, OS keyring, or a 0600 file.

Resolution order (CLI-CONTRACT.md): AITASKER_TOKEN, then the keyring entry for the profile and
API host, then the credentials file that `auth login --insecure-storage` wrote.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from aitasker_cli.atomic import write_atomically
from aitasker_cli.config import Settings
from aitasker_cli.errors import AitaskerError, AuthError, LocalIOError, UsageError
from aitasker_cli.paths import config_dir

TOKEN_ENV = "AITASKER_TOKEN"
KEYRING_TIMEOUT_SECONDS = 3.0
"""A locked or absent Secret Service can block forever; no keyring call may take longer."""

SANDBOX_TOKEN = "sandbox"
"""The sandbox wants a bearer token, as the API does, but any will do: this is no secret."""
LOGIN_HINT = "Run 'aitasker auth login', or set AITASKER_TOKEN."

T = TypeVar("T")


@dataclass(frozen=True)
class Token:
    value: str
    source: str
    """Where it came from: "env", "keyring" or "file"."""
    location: str
    """The env var's name, the keyring backend's name, or the file's path."""

    def __repr__(self) -> str:
        # Keeps the secret out of debug output and assertion messages.
        return f"Token(source={self.source!r}, location={self.location!r})"


@dataclass(frozen=True)
class TokenKind:
    kind: str
    """"api_key_live", "api_key_test", "jwt" or "unknown"."""
    label: str
    expires_at: datetime | None = None
    invalid_expiry: bool = False
    """A JWT whose `exp` claim is there but is no time (a string, NaN, past year 9999)."""


class KeyringUnavailable(AuthError):
    """No keyring backend works here, or it failed or did not answer in time."""


class KeyringMissing(KeyringUnavailable):
    """There is no keyring backend at all, so nothing can be stored in one either."""


@dataclass(frozen=True)
class Forgotten:
    """What `forget` removed, and why the keyring could not be asked, if it could not."""

    removed: list[str]
    keyring_problem: KeyringUnavailable | None
    """The keyring failed or did not answer, so a token may still be stored there."""


def resolve_token(settings: Settings) -> Token:
    """The token to send, by the contract's order; AuthError (exit 4) when there is none."""
    if settings.sandbox:
        return Token(SANDBOX_TOKEN, "sandbox", "the embedded sandbox API")
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return Token(check_token(from_env), "env", TOKEN_ENV)
    keyring_problem = None
    try:
        stored, backend = _keyring_call(
            lambda kr: (kr.get_password(_service(settings.api_host), settings.profile), kr.name)
        )
        if stored:
            return Token(stored, "keyring", backend)
    except KeyringUnavailable as exc:
        keyring_problem = exc.message
    from_file = _read_credentials(for_use=True).get(settings.profile, {}).get(settings.api_host)
    if from_file:
        return Token(from_file, "file", str(credentials_path()))
    message = f"not logged in to {settings.api_host} (profile '{settings.profile}')"
    if keyring_problem:
        message += f"; {keyring_problem}"
    raise AuthError(message, hint=LOGIN_HINT)


def check_token(value: str) -> str:
    """The token, if it can travel in an HTTP header: printable ASCII with no spaces."""
    token = value.strip()
    if not token:
        raise UsageError("the token is empty")
    if not all(33 <= ord(ch) <= 126 for ch in token):
        raise UsageError("the token contains spaces, control or non-ASCII characters")
    return token


def describe_token(value: str) -> TokenKind:
    """Which of the platform's token kinds this is and, for a JWT, when it expires."""
    if value.startswith("aitk_live_"):
        return TokenKind("api_key_live", "API key (live)")
    if value.startswith("aitk_test_"):
        return TokenKind("api_key_test", "API key (test)")
    claims = _jwt_claims(value)
    if claims is None:
        return TokenKind("unknown", "unrecognised token")
    if "exp" not in claims:
        return TokenKind("jwt", "JWT")
    expires = _expiry(claims["exp"])
    return TokenKind("jwt", "JWT", expires, invalid_expiry=expires is None)


def _expiry(exp: object) -> datetime | None:
    """The time a JWT's `exp` claim names; None when it names none a datetime can hold."""
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(exp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):  # NaN, infinite, past 9999 or time_t
        return None


def _jwt_claims(value: str) -> dict[str, Any] | None:
    parts = value.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


# --- the OS keyring -------------------------------------------------------------------------


def keyring_backend_name() -> str:
    """The name of the working keyring backend; KeyringUnavailable when there is none."""
    return _keyring_call(lambda kr: str(kr.name))


def probe_keyring(settings: Settings) -> str:
    """Read this profile's entry, as a command would; returns the backend's name.

    Naming the backend proves nothing: a locked Secret Service has a name but never answers.
    """
    service = _service(settings.api_host)
    return _keyring_call(lambda kr: (kr.get_password(service, settings.profile), str(kr.name))[1])


def profiles_in_file(api_host: str) -> set[str]:
    """The profiles that the credentials file holds a token for, for this API host."""
    return {name for name, hosts in _read_credentials(for_use=False).items() if api_host in hosts}


def has_stored_token(profile: str, api_host: str) -> bool:
    """Whether the credentials file or the keyring holds a token for this profile and host.

    The file is read first: it answers at once, and a keyring may hang. A keyring that fails
    or does not answer cannot say there is nothing, so that is KeyringUnavailable (exit 4).
    """
    if _read_credentials(for_use=False).get(profile, {}).get(api_host):
        return True
    service = _service(api_host)
    try:
        return _keyring_call(lambda kr: kr.get_password(service, profile)) is not None
    except KeyringMissing:
        return False
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(
            f"cannot tell whether profile '{profile}' exists: {exc.message}",
            hint="Unlock the OS keyring and try again, or name the profile in config.toml.",
        ) from None


def store_in_keyring(settings: Settings, token: str) -> str:
    """Save the token for this profile and host; returns the backend's name."""

    def save(kr: Any) -> str:
        kr.set_password(_service(settings.api_host), settings.profile, token)
        return str(kr.name)

    backend = _keyring_call(save)
    _remove_from_file(settings)
    return backend


def forget(settings: Settings) -> Forgotten:
    """Delete the stored token of this profile and host, from the keyring and the file.

    No keyring backend at all means there is nothing in one; a keyring that fails or does not
    answer is reported, since a token may still be stored there.
    """
    removed = []
    problem = None
    try:
        backend = _keyring_call(lambda kr: _delete_from_keyring(kr, settings))
        if backend:
            removed.append(f"keyring ({backend})")
    except KeyringMissing:
        pass
    except KeyringUnavailable as exc:
        problem = exc
    if _remove_from_file(settings):
        removed.append(str(credentials_path()))
    return Forgotten(removed, problem)


def _delete_from_keyring(kr: Any, settings: Settings) -> str | None:
    """Delete the entry if there is one; returns the backend's name when it did."""
    service = _service(settings.api_host)
    if kr.get_password(service, settings.profile) is None:
        return None
    kr.delete_password(service, settings.profile)
    return str(kr.name)


def _service(api_host: str) -> str:
    """The keyring's service name for tokens of this API host; the profile is the user name."""
    return f"aitasker:{api_host}"


def _keyring_call(operation: Callable[[Any], T]) -> T:
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


# --- the credentials file (only after `auth login --insecure-storage`) ----------------------


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def store_in_file(settings: Settings, token: str) -> Path:
    """Write the token to the 0600 credentials file; the keyring entry, if any, is removed."""
    tokens = _read_credentials(for_use=False)
    tokens.setdefault(settings.profile, {})[settings.api_host] = token
    _write_credentials(tokens)
    with contextlib.suppress(KeyringUnavailable):
        _keyring_call(lambda kr: _delete_from_keyring(kr, settings))
    return credentials_path()


def _remove_from_file(settings: Settings) -> bool:
    tokens = _read_credentials(for_use=False)
    if tokens.get(settings.profile, {}).pop(settings.api_host, None) is None:
        return False
    if not tokens[settings.profile]:
        del tokens[settings.profile]
    _write_credentials(tokens)
    return True


def _read_credentials(*, for_use: bool) -> dict[str, dict[str, str]]:
    """The tokens of the credentials file, by profile and API host; empty when there is none.

    `for_use`: a token is about to be sent, so a file that group or others may read is
    refused (on POSIX), as ssh refuses such a key: the token in it may already be known.
    Writing the file again makes it 0600, so logging in or out needs no such check.
    """
    path = credentials_path()
    recreate = "Delete it and run 'aitasker auth login --insecure-storage' again."
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if for_use:
                _check_private(path, mode)
            document = json.loads(handle.read())
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise LocalIOError(f"cannot read the credentials file {path}: {exc.strerror}") from exc
    except (ValueError, RecursionError) as exc:
        raise AuthError(f"cannot read the credentials file {path}", hint=recreate) from exc
    tokens = document.get("tokens") if isinstance(document, dict) else None
    if not isinstance(tokens, dict) or not all(
        isinstance(hosts, dict) and all(isinstance(v, str) for v in hosts.values())
        for hosts in tokens.values()
    ):
        raise AuthError(f"the credentials file {path} is not in the expected format", hint=recreate)
    return tokens


def credentials_file_problem() -> AitaskerError | None:
    """Why the credentials file may not be used (others may read it, or it cannot be read)."""
    try:
        _read_credentials(for_use=True)
    except AitaskerError as exc:
        return exc
    return None


def _check_private(path: Path, mode: int) -> None:
    """AuthError (exit 4) when group or others have any access to the file (POSIX only)."""
    if os.name != "posix" or not stat.S_IMODE(mode) & 0o077:
        return
    import shlex

    raise AuthError(
        f"the credentials file {path} is open to group or others "
        f"(mode {stat.S_IMODE(mode):04o}); refusing to use it",
        hint=f"chmod 600 {shlex.quote(str(path))}; if others may have read the token, "
        "replace it as well.",
    )


def _write_credentials(tokens: dict[str, dict[str, str]]) -> None:
    """Replace the file at once; it is created 0600 and never exists with wider rights.

    A folder or disk that refuses the write is LocalIOError (exit 10), and no temporary file
    is left behind.
    """
    path = credentials_path()
    if tokens:
        data = json.dumps({"tokens": tokens}, indent=2).encode("utf-8")
        write_atomically(
            path,
            data,
            what="the credentials file",
            private=True,
            hint="Check that the folder is writable and its disk is not full, "
            "or set AITASKER_CONFIG_DIR to one that is.",
        )
        return
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise LocalIOError(
            f"cannot remove the credentials file {path}: {exc.strerror or exc}"
        ) from None


# --- login ----------------------------------------------------------------------------------


def login(
    settings: Settings,
    token: str,
    *,
    insecure_storage: bool,
    verify: Callable[[], object] | None,
) -> str:
    """Check, verify and store a token; returns where it went. Nothing is written on failure.

    Without `insecure_storage` a working keyring is required, and that is checked first, so a
    machine without one fails closed instead of falling back to a plain file.
    """
    token = check_token(token)
    if insecure_storage:
        if verify is not None:
            verify()
        return f"the file {store_in_file(settings, token)}"
    try:
        keyring_backend_name()
        if verify is not None:
            verify()
        return f"the OS keyring ({store_in_keyring(settings, token)})"
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(
            f"{exc.message}; nothing was stored",
            hint="Set AITASKER_TOKEN instead, or run 'aitasker auth login --insecure-storage' "
            "to keep the token in a file only you can read.",
        ) from None
