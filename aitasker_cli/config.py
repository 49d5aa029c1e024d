"""Settings: where the config lives, its profiles, and how flags, env and profile combine."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aitasker_cli.errors import UsageError
from aitasker_cli.paths import config_dir

DEFAULT_API_URL = "https://api.aitasker.co"
SANDBOX_API_URL = "http://sandbox.localhost"
"""What the in-process sandbox is called; no request to it ever leaves the process."""
DEFAULT_PROFILE = "default"
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
OUTPUT_FORMATS = ("table", "json", "ndjson", "csv", "tsv", "id")
PROFILE_KEYS = ("api_url", "output")


def config_path() -> Path:
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know before it talks to the API."""

    profile: str
    api_url: str
    output: str | None
    """The chosen format, or None to pick one from whether stdout is a terminal."""
    timeout: float
    retries: int
    debug: bool
    sandbox: bool = False
    """Talk to the embedded sandbox API in-process instead of the network."""

    @property
    def api_host(self) -> str:
        """Host (and port, if any) of the API: stored tokens are keyed by it."""
        return urlsplit(self.api_url).netloc.lower()


def resolve_settings(
    *,
    profile: str | None = None,
    api_url: str | None = None,
    output: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    debug: bool = False,
    sandbox: bool = False,
    creating_profile: bool = False,
) -> Settings:
    """Combine values given by flag or env (None when absent) with the profile and defaults.

    `creating_profile` is for `auth login`, the one command that may name a new profile.
    """
    del creating_profile  # checked once profiles must be known (hardening issue, item 18)
    profile_name = profile or DEFAULT_PROFILE
    stored = load_profile(profile_name)
    url = SANDBOX_API_URL if sandbox else api_url or stored.get("api_url") or DEFAULT_API_URL
    return Settings(
        profile=profile_name,
        api_url=url if sandbox else check_api_url(url),
        output=output or stored.get("output"),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        retries=DEFAULT_RETRIES if retries is None else retries,
        debug=debug,
        sandbox=sandbox,
    )


def load_profile(name: str) -> dict[str, str]:
    """The `[profiles.NAME]` table of config.toml; empty when the file or profile is absent."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on Python 3.10
        import tomli as tomllib

    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read the config file {path}: {exc.strerror}") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(
            f"the config file {path} is not valid TOML: {exc}",
            hint="Fix the file, or move it away to start from the defaults.",
        ) from exc
    profiles = document.get("profiles", {})
    if not isinstance(profiles, Mapping):
        raise UsageError(f"in the config file {path}, 'profiles' must be a table")
    table = profiles.get(name, {})
    if not isinstance(table, Mapping):
        raise UsageError(f"in the config file {path}, [profiles.{name}] must be a table")
    return _checked_profile(table, name, path)


def _checked_profile(table: Mapping[str, Any], name: str, path: Path) -> dict[str, str]:
    where = f"[profiles.{name}] of {path}"
    for key, value in table.items():
        if key not in PROFILE_KEYS:
            raise UsageError(
                f"unknown key '{key}' in {where}",
                hint=f"Known keys: {', '.join(PROFILE_KEYS)}.",
            )
        if not isinstance(value, str):
            raise UsageError(f"'{key}' in {where} must be a string")
    output = table.get("output")
    if output is not None and output not in OUTPUT_FORMATS:
        raise UsageError(
            f"output = '{output}' in {where} is not a format",
            hint=f"Use one of: {', '.join(OUTPUT_FORMATS)}.",
        )
    return dict(table)


def check_api_url(url: str) -> str:
    """The URL without a trailing slash, if it is https, or plain http to this machine only.

    A token must never cross the network in clear text, so any other http:// URL is refused
    before a request is built.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(
            f"'{url}' is not an API URL",
            hint=f"Give an https:// URL, such as {DEFAULT_API_URL}.",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing to send a token over plain http to {parts.hostname}",
            hint="Use an https:// URL; plain http is only for 127.0.0.1, ::1 and localhost.",
        )
    return url.strip().rstrip("/")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
