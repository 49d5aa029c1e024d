"""`aitasker doctor`: check a setup piece by piece, and say how to fix what is broken."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from aitasker_cli import __version__
from aitasker_cli.core.errors import AitaskerError
from aitasker_cli.local import auth, credentials, keyring_store
from aitasker_cli.local.config import (
    DEFAULT_PROFILE,
    ApiUrlError,
    Settings,
    config_path,
    config_profiles,
)
from aitasker_cli.local.tokens import describe_token

CLOCK_SKEW_LIMIT_SECONDS = 300.0
"""Beyond five minutes, token expiry and the server's idea of "now" start to disagree."""


class Status(str, Enum):
    """How a check went; the value is what `doctor -o json` prints as `status`."""

    ok = "ok"
    warn = "warn"
    """It works, but it is worth knowing."""
    fail = "fail"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and how to fix it."""

    check: str
    status: Status
    detail: str
    fix: str | None = None
    exit_code: int = 0
    """For a failure, the contract's exit code of the same failure in any other command."""

    def as_dict(self) -> dict[str, Any]:
        """The check as the renderer shows it, its status as plain text."""
        return {**asdict(self), "status": self.status.value}


Probe = Callable[[], "datetime | None"]
"""One authenticated request to the API; returns the server's clock from its Date header."""


def run_checks(load_settings: Callable[[], Settings], probe: Probe) -> list[Check]:
    """Every check, in the order a person would look: install, config, token, network.

    Settings that cannot be loaded (a broken config file, an unknown profile, a refused API
    URL) end the list early: every later check depends on them.
    """
    try:
        settings = load_settings()
    except ApiUrlError as exc:  # config.toml was read; only the URL is refused
        detail = f"{exc.message} (from {exc.origin})"
        refused = Check("api_url", Status.fail, detail, exc.hint, exc.exit_code)
        return [_version(), _config_of_unchecked_profile(exc.profile), refused]
    except AitaskerError as exc:
        fix = exc.hint or f"Fix or remove {config_path()}."
        return [_version(), Check("config", Status.fail, exc.message, fix, exc.exit_code)]
    checks = [_version(), _config(settings.profile), _api_url(settings)]
    token_check, has_token = _token(settings)
    checks += [token_check, _keyring(settings, token_check), *_credentials_file()]
    if has_token:
        checks += _api(probe, sandbox=settings.sandbox)
    return checks


def _version() -> Check:
    return Check(
        "version",
        Status.ok,
        f"aitasker {__version__}, Python {platform.python_version()} on {platform.system()}",
    )


def _config(profile: str) -> Check:
    path = config_path()
    if not path.exists():
        return Check("config", Status.ok, f"no {path}; profile '{profile}' uses the defaults")
    return Check("config", Status.ok, f"{path}, profile '{profile}'")


def _config_of_unchecked_profile(profile: str) -> Check:
    """The config check when the API URL was refused before the profile could be checked.

    A profile that config.toml does not define may still be one that a stored token defines,
    but stored tokens are found by the API host, and there is no usable one to look under.
    """
    try:
        defined = profile == DEFAULT_PROFILE or profile in config_profiles()
    except AitaskerError as exc:  # the file changed since the settings read it
        return Check("config", Status.fail, exc.message, exc.hint, exc.exit_code)
    if defined:
        return _config(profile)
    return Check(
        "config",
        Status.warn,
        f"profile '{profile}' is not in {config_path()}; whether a stored token defines it "
        "cannot be told until the API URL is usable",
    )


def _api_url(settings: Settings) -> Check:
    if settings.sandbox:
        return Check(
            "api_url", Status.ok, "the embedded sandbox (--sandbox); nothing leaves this machine"
        )
    if settings.api_url.startswith("https://"):
        return Check("api_url", Status.ok, f"{settings.api_url} (https)")
    # Settings refuse any other plain-http URL (ApiUrlError above), so this is this machine.
    return Check(
        "api_url", Status.warn, f"{settings.api_url}: plain http, allowed for this machine"
    )


def _token(settings: Settings) -> tuple[Check, bool]:
    try:
        token = auth.resolve_token(settings)
    except AitaskerError as exc:  # no token, an unsafe or unreadable credentials file
        return Check(
            "token", Status.fail, exc.message, exc.hint or auth.LOGIN_HINT, exc.exit_code
        ), False
    if token.source is auth.TokenSource.sandbox:
        return Check("token", Status.ok, "none needed for the sandbox"), True
    kind = describe_token(token.value)
    detail = f"{kind.label} from {token.origin}"
    if kind.invalid_expiry:
        return Check(
            "token",
            Status.warn,
            f"{detail}, with an invalid expiry: its 'exp' claim is not a valid time",
            "The API decides whether it is accepted; log in again if it is refused.",
        ), True
    if kind.expires_at is not None:
        if kind.expires_at <= datetime.now(timezone.utc):
            return Check(
                "token",
                Status.fail,
                f"{detail} expired at {kind.expires_at:%Y-%m-%d %H:%M} UTC",
                "Log in again: aitasker auth login",
                4,
            ), True
        detail += f", expires {kind.expires_at:%Y-%m-%d %H:%M} UTC"
    return Check("token", Status.ok, detail), True


def _keyring(settings: Settings, token_check: Check) -> Check:
    """Read this profile's entry for real, within the keyring time limit, and time it."""
    started = time.monotonic()
    try:
        backend = keyring_store.read(settings.profile, settings.api_host)[1]
    except keyring_store.KeyringUnavailable as exc:
        needed = token_check.status is Status.fail
        # Suggesting AITASKER_TOKEN to someone who has set it would send them in a circle.
        env_token = bool(os.environ.get(auth.TOKEN_ENV, "").strip())
        alternative = "" if env_token else f", or set {auth.TOKEN_ENV}"
        return Check(
            "keyring",
            Status.fail if needed else Status.warn,
            exc.message,
            f"Install and unlock a Secret Service (such as gnome-keyring){alternative}; "
            "'aitasker auth login --insecure-storage' keeps the token in a 0600 file instead.",
            exc.exit_code if needed else 0,
        )
    return Check(
        "keyring", Status.ok, f"{backend}, answered in {(time.monotonic() - started) * 1000:.0f} ms"
    )


def _credentials_file() -> list[Check]:
    """A check of the credentials file's rights, when there is such a file."""
    path = credentials.path()
    if not path.exists():
        return []
    problem = credentials.problem()
    if problem is None:
        return [Check("credentials", Status.ok, f"{path}, readable by you only")]
    return [Check("credentials", Status.fail, problem.message, problem.hint, problem.exit_code)]


def _api(probe: Probe, *, sandbox: bool) -> list[Check]:
    """One authenticated request, timed; the sandbox takes any token, so none is "accepted"."""
    started = time.monotonic()
    try:
        server_time = probe()
    except AitaskerError as exc:
        fix = exc.hint or "Check your network, --api-url and the token."
        return [Check("api", Status.fail, exc.message, fix, exc.exit_code)]
    elapsed = (time.monotonic() - started) * 1000
    if sandbox:
        answered = f"the sandbox answered in {elapsed:.0f} ms"
    else:
        answered = f"reachable in {elapsed:.0f} ms; the token was accepted"
    checks = [Check("api", Status.ok, answered)]
    if server_time is None:
        checks.append(Check("clock", Status.warn, "the API sent no Date header to compare with"))
        return checks
    skew = (datetime.now(timezone.utc) - server_time).total_seconds()
    if abs(skew) > CLOCK_SKEW_LIMIT_SECONDS:
        checks.append(
            Check(
                "clock",
                Status.fail,
                f"this machine's clock is {skew:+.0f} s off the API's",
                "Synchronise the clock (NTP): tokens expire by the server's time.",
                1,
            )
        )
    else:
        checks.append(Check("clock", Status.ok, f"within {abs(skew):.0f} s of the API's clock"))
    return checks
