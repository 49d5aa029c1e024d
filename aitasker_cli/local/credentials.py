"""The credentials file: tokens by profile and API host, 0600, for `auth login --insecure-storage`.

Its JSON is `{"tokens": {"<profile>": {"<API host>": "<token>"}}}`.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from aitasker_cli.core.atomic import write_atomically
from aitasker_cli.core.errors import AitaskerError, AuthError, LocalIOError
from aitasker_cli.core.paths import config_dir

Tokens = dict[str, dict[str, str]]
"""Tokens by profile, then by API host."""


def path() -> Path:
    """Where the credentials file is (whether or not there is one)."""
    return config_dir() / "credentials.json"


def token_for(profile: str, api_host: str) -> str | None:
    """The token to send for this profile and host; None when the file holds none.

    AuthError (exit 4) when group or others may read the file: the token may already be known.
    """
    return _read(for_use=True).get(profile, {}).get(api_host)


def holds(profile: str, api_host: str) -> bool:
    """Whether the file holds a token for this profile and host (whatever its rights)."""
    return bool(_read(for_use=False).get(profile, {}).get(api_host))


def profiles(api_host: str) -> set[str]:
    """The profiles that the file holds a token for, for this API host."""
    return {name for name, hosts in _read(for_use=False).items() if api_host in hosts}


def store(profile: str, api_host: str, token: str) -> Path:
    """Add or replace the token of this profile and host; returns the file's path."""
    tokens = _read(for_use=False)
    tokens.setdefault(profile, {})[api_host] = token
    _write(tokens)
    return path()


def remove(profile: str, api_host: str) -> bool:
    """Delete the token of this profile and host; whether there was one to delete."""
    tokens = _read(for_use=False)
    if tokens.get(profile, {}).pop(api_host, None) is None:
        return False
    if not tokens[profile]:
        del tokens[profile]
    _write(tokens)
    return True


def problem() -> AitaskerError | None:
    """Why the file may not be used (others may read it, or it cannot be read); None if fine."""
    try:
        _read(for_use=True)
    except AitaskerError as exc:
        return exc
    return None


def _read(*, for_use: bool) -> Tokens:
    """The tokens of the file, by profile and API host; empty when there is no file.

    `for_use`: a token is about to be sent, so a file that group or others may read is
    refused (on POSIX), as ssh refuses such a key: the token in it may already be known.
    Writing the file again makes it 0600, so logging in or out needs no such check.
    """
    file = path()
    recreate = "Delete it and run 'aitasker auth login --insecure-storage' again."
    try:
        with file.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if for_use:
                _check_private(file, mode)
            document = json.loads(handle.read())
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise LocalIOError(f"cannot read the credentials file {file}: {exc.strerror}") from exc
    except (ValueError, RecursionError) as exc:
        raise AuthError(f"cannot read the credentials file {file}", hint=recreate) from exc
    tokens = document.get("tokens") if isinstance(document, dict) else None
    if not isinstance(tokens, dict) or not all(
        isinstance(hosts, dict) and all(isinstance(v, str) for v in hosts.values())
        for hosts in tokens.values()
    ):
        raise AuthError(f"the credentials file {file} is not in the expected format", hint=recreate)
    return tokens


def _check_private(file: Path, mode: int) -> None:
    """AuthError (exit 4) when group or others have any access to the file (POSIX only)."""
    if os.name != "posix" or not stat.S_IMODE(mode) & 0o077:
        return
    import shlex

    raise AuthError(
        f"the credentials file {file} is open to group or others "
        f"(mode {stat.S_IMODE(mode):04o}); refusing to use it",
        hint=f"chmod 600 {shlex.quote(str(file))}; if others may have read the token, "
        "replace it as well.",
    )


def _write(tokens: Tokens) -> None:
    """Replace the file at once; it is created 0600 and never exists with wider rights.

    With no token left the file is deleted. A folder or disk that refuses the write is
    LocalIOError (exit 10), and no temporary file is left behind.
    """
    file = path()
    if tokens:
        data = json.dumps({"tokens": tokens}, indent=2).encode("utf-8")
        write_atomically(
            file,
            data,
            what="the credentials file",
            private=True,
            hint="Check that the folder is writable and its disk is not full, "
            "or set AITASKER_CONFIG_DIR to one that is.",
        )
        return
    try:
        file.unlink(missing_ok=True)
    except OSError as exc:
        raise LocalIOError(
            f"cannot remove the credentials file {file}: {exc.strerror or exc}"
        ) from None
