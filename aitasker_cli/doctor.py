"""`aitasker doctor`: check a setup piece by piece, and say how to fix what is broken."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from aitasker_cli import __version__, auth
from aitasker_cli.config import Settings, config_path, is_loopback
from aitasker_cli.errors import AitaskerError

CLOCK_SKEW_LIMIT_SECONDS = 300.0
"""Beyond five minutes, token expiry and the server's idea of "now" start to disagree."""


@dataclass(frozen=True)
class Check:
    check: str
    status: str
    """"ok", "warn" (works, but worth knowing) or "fail"."""
    detail: str
    fix: str | None = None
    exit_code: int = 0
    """For a failure, the contract's exit code of the same failure in any other command."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Probe = Callable[[], "datetime | None"]
"""One authenticated request to the API; returns the server's clock from its Date header."""


def run_checks(load_settings: Callable[[], Settings], probe: Probe) -> list[Check]:
    """Every check, in the order a person would look: install, config, token, network.

    Settings that cannot be loaded (a broken config file) end the list early: every later
    check depends on them.
    """
    try:
        settings = load_settings()
    except AitaskerError as exc:
        fix = exc.hint or f"Fix or remove {config_path()}."
        return [_version(), Check("config", "fail", exc.message, fix, exc.exit_code)]
    checks = [_version(), _config(settings), _api_url(settings)]
    token_check, has_token = _token(settings)
    checks += [token_check, _keyring(settings, token_check), *_credentials_file()]
    if has_token:
        checks += _api(probe)
    return checks


def _version() -> Check:
    return Check(
        "version",
        "ok",
        f"aitasker {__version__}, Python {platform.python_version()} on {platform.system()}",
    )


def _config(settings: Settings) -> Check:
    path = config_path()
    if not path.exists():
        return Check("config", "ok", f"no {path}; profile '{settings.profile}' uses the defaults")
    return Check("config", "ok", f"{path}, profile '{settings.profile}'")


def _api_url(settings: Settings) -> Check:
    if settings.sandbox:
        return Check(
            "api_url", "ok", "the embedded sandbox (--sandbox); nothing leaves this machine"
        )
    if settings.api_url.startswith("https://"):
        return Check("api_url", "ok", f"{settings.api_url} (https)")
    host = settings.api_host.rsplit(":", 1)[0].strip("[]")
    if is_loopback(host):
        return Check("api_url", "warn", f"{settings.api_url}: plain http, allowed for this machine")
    return Check("api_url", "fail", f"{settings.api_url} is not https", "Use an https:// URL.", 2)


def _token(settings: Settings) -> tuple[Check, bool]:
    try:
        token = auth.resolve_token(settings)
    except AitaskerError as exc:  # no token, an unsafe or unreadable credentials file
        return Check(
            "token", "fail", exc.message, exc.hint or auth.LOGIN_HINT, exc.exit_code
        ), False
    if token.source == "sandbox":
        return Check("token", "ok", "none needed for the sandbox"), True
    kind = auth.describe_token(token.value)
    where = {
        "env": "AITASKER_TOKEN",
        "keyring": f"the OS keyring ({token.location})",
        "file": token.location,
    }[token.source]
    detail = f"{kind.label} from {where}"
    if kind.invalid_expiry:
        return Check(
            "token",
            "warn",
            f"{detail}, with an invalid expiry: its 'exp' claim is not a valid time",
            "The API decides whether it is accepted; log in again if it is refused.",
        ), True
    if kind.expires_at is not None:
        if kind.expires_at <= datetime.now(timezone.utc):
            return Check(
                "token",
                "fail",
                f"{detail} expired at {kind.expires_at:%Y-%m-%d %H:%M} UTC",
                "Log in again: aitasker auth login",
                4,
            ), True
        detail += f", expires {kind.expires_at:%Y-%m-%d %H:%M} UTC"
    return Check("token", "ok", detail), True


def _keyring(settings: Settings, token_check: Check) -> Check:
    """Read this profile's entry for real, within the keyring time limit, and time it."""
    started = time.monotonic()
    try:
        backend = auth.probe_keyring(settings)
    except auth.KeyringUnavailable as exc:
        needed = token_check.status == "fail"
        return Check(
            "keyring",
            "fail" if needed else "warn",
            exc.message,
            "Install and unlock a Secret Service (such as gnome-keyring), or set AITASKER_TOKEN; "
            "'aitasker auth login --insecure-storage' keeps the token in a 0600 file instead.",
            exc.exit_code if needed else 0,
        )
    return Check(
        "keyring", "ok", f"{backend}, answered in {(time.monotonic() - started) * 1000:.0f} ms"
    )


def _credentials_file() -> list[Check]:
    """A check of the credentials file's rights, when there is such a file."""
    path = auth.credentials_path()
    if not path.exists():
        return []
    problem = auth.credentials_file_problem()
    if problem is None:
        return [Check("credentials", "ok", f"{path}, readable by you only")]
    return [Check("credentials", "fail", problem.message, problem.hint, problem.exit_code)]


def _api(probe: Probe) -> list[Check]:
    started = time.monotonic()
    try:
        server_time = probe()
    except AitaskerError as exc:
        fix = exc.hint or "Check your network, --api-url and the token."
        return [Check("api", "fail", exc.message, fix, exc.exit_code)]
    elapsed = (time.monotonic() - started) * 1000
    checks = [Check("api", "ok", f"reachable in {elapsed:.0f} ms; the token was accepted")]
    if server_time is None:
        checks.append(Check("clock", "warn", "the API sent no Date header to compare with"))
        return checks
    skew = (datetime.now(timezone.utc) - server_time).total_seconds()
    if abs(skew) > CLOCK_SKEW_LIMIT_SECONDS:
        checks.append(
            Check(
                "clock",
                "fail",
                f"this machine's clock is {skew:+.0f} s off the API's",
                "Synchronise the clock (NTP): tokens expire by the server's time.",
                1,
            )
        )
    else:
        checks.append(Check("clock", "ok", f"within {abs(skew):.0f} s of the API's clock"))
    return checks
