"""Settings: where the config lives, its profiles, and how flags, env and profile combine."""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from aitasker_cli.core.errors import AitaskerError, LocalIOError, UsageError
from aitasker_cli.core.paths import config_dir
from aitasker_cli.domain.formats import FORMAT_NAMES
from aitasker_cli.local import credentials

DEFAULT_API_URL = "https://api.aitasker.co"
SANDBOX_API_URL = "http://sandbox.localhost"
"""What the in-process sandbox is called; no request to it ever leaves the process."""
DEFAULT_PROFILE = "default"
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
PROFILE_KEYS = ("api_url", "output")
CONFIG_SIZE_LIMIT = 1 << 20
"""config.toml may be at most 1 MiB; a larger one is refused as a broken config (exit 2)."""
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
"""Opening a FIFO put in the config's place must not wait for a writer."""


def config_path() -> Path:
    return config_dir() / "config.toml"


class ApiUrlError(UsageError):
    """The API URL that settings would use is refused (exit 2); config.toml itself was read."""

    def __init__(self, message: str, *, hint: str | None, profile: str, origin: str) -> None:
        super().__init__(message, hint=hint)
        self.profile = profile
        """The profile whose settings were being resolved."""
        self.origin = origin
        """Where the URL was given: the flag or env var, or the profile in config.toml."""


class Settings(NamedTuple):
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

    `creating_profile` is for `auth login`, the one command that may name a new profile; any
    other command refuses a profile that does not exist (see `check_profile_exists`).
    """
    profile_name = profile or DEFAULT_PROFILE
    stored = load_profile(profile_name)
    url = api_url or stored.get("api_url") or DEFAULT_API_URL
    try:
        checked_url = None if sandbox else check_api_url(url)
    except UsageError as exc:
        origin = (
            "--api-url or AITASKER_API_URL"
            if api_url
            else f"api_url in [profiles.{profile_name}] of {config_path()}"
        )
        raise ApiUrlError(exc.message, hint=exc.hint, profile=profile_name, origin=origin) from None
    if not creating_profile:
        check_profile_exists(profile_name, url if checked_url is None else checked_url)
    return Settings(
        profile=profile_name,
        api_url=SANDBOX_API_URL if checked_url is None else checked_url,
        output=output or stored.get("output"),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        retries=DEFAULT_RETRIES if retries is None else retries,
        debug=debug,
        sandbox=sandbox,
    )


def check_profile_exists(name: str, api_url: str) -> None:
    """Refuse (exit 2) a profile that neither config.toml nor a stored credential defines.

    A mistyped `--profile` would otherwise fall back to the defaults, and send a token meant
    for staging to production. `default` always exists. The same rule holds with `--sandbox`,
    so a command that works there works without it; `api_url` is the URL the profile would
    use without the sandbox, for finding its stored credential.
    """
    if name == DEFAULT_PROFILE or name in config_profiles():
        return
    from aitasker_cli.local import stored  # the keyring is loaded only for such a profile

    try:
        host = urlsplit(check_api_url(api_url)).netloc.lower()
    except UsageError:  # only with --sandbox, which ignores the URL: no credential can match
        host = None
    if host is not None and stored.has_stored_token(name, host):
        return
    others = config_profiles() | (credentials.profiles(host) if host else set())
    known = [DEFAULT_PROFILE, *sorted(others - {DEFAULT_PROFILE})]
    raise UsageError(
        f"there is no profile '{name}'",
        hint=f"Known profiles: {', '.join(known)}. Create one with "
        f"'aitasker auth login --profile {name}' or a [profiles.{name}] table in {config_path()}.",
    )


def load_profile(name: str) -> dict[str, str]:
    """The `[profiles.NAME]` table of config.toml; empty when the file or profile is absent."""
    path = config_path()
    table = _read_profiles().get(name, {})
    if not isinstance(table, Mapping):
        raise UsageError(f"in the config file {path}, [profiles.{name}] must be a table")
    return _checked_profile(table, name, path)


def config_profiles() -> set[str]:
    """The names of the profiles that config.toml defines; none when there is no file."""
    return set(_read_profiles())


def profile_names() -> list[str]:
    """The profiles config.toml defines, for TAB; none when it cannot be read."""
    try:
        return [str(name) for name in _read_profiles()]
    except AitaskerError:
        return []


def _read_profiles() -> Mapping[str, Any]:
    """The `profiles` table of config.toml; empty when there is no file."""
    path = config_path()
    fix = "Fix the file, or move it away to start from the defaults."
    raw = _read_config_bytes(path, fix)
    if raw is None:
        return {}
    if sys.version_info >= (3, 11):  # only now: the parser is a few ms of every command
        import tomllib
    else:  # pragma: no cover - exercised only on Python 3.10
        import tomli as tomllib

    try:
        text = raw.decode("utf-8-sig")  # tolerates the byte-order mark some editors write
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"the config file {path} is not UTF-8 text (invalid byte at offset {exc.start})",
            hint=fix,
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"the config file {path} is not valid TOML: {exc}", hint=fix) from exc
    except RecursionError:  # tomllib recurses once per level of nested arrays and tables
        raise UsageError(
            f"the config file {path} nests arrays or tables too deeply", hint=fix
        ) from None
    profiles = document.get("profiles", {})
    if not isinstance(profiles, Mapping):
        raise UsageError(f"in the config file {path}, 'profiles' must be a table")
    return profiles


def _read_config_bytes(path: Path, fix: str) -> bytes | None:
    """The bytes of config.toml, None when there is none; only a regular file, at most 1 MiB.

    A FIFO or a device in its place (a link to /dev/zero) is refused at once, never waited on
    or read without end: every command, and TAB after --profile, reads this file.
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise LocalIOError(f"cannot read the config file {path}: {exc.strerror}") from exc
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise LocalIOError(f"cannot read the config file {path}: {os.strerror(errno.EISDIR)}")
        if not stat.S_ISREG(mode):
            raise UsageError(f"the config file {path} is not a regular file", hint=fix)
        chunks: list[bytes] = []
        size = 0
        while size <= CONFIG_SIZE_LIMIT:
            chunk = os.read(descriptor, CONFIG_SIZE_LIMIT + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise LocalIOError(f"cannot read the config file {path}: {exc.strerror}") from exc
    finally:
        os.close(descriptor)
    if size > CONFIG_SIZE_LIMIT:
        raise UsageError(
            f"the config file {path} is larger than {CONFIG_SIZE_LIMIT // (1 << 20)} MiB", hint=fix
        )
    return b"".join(chunks)


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
    if output is not None and output not in FORMAT_NAMES:
        raise UsageError(
            f"output = '{output}' in {where} is not a format",
            hint=f"Use one of: {', '.join(FORMAT_NAMES)}.",
        )
    return dict(table)


def check_api_url(url: str) -> str:
    """The URL without a trailing slash, if it is https, or plain http to this machine only.

    A token must never cross the network in clear text, so any other http:// URL is refused
    before a request is built. So is anything the HTTP client could not send to (a bad port,
    a host that is not an ASCII name or IP address) and a user name or password in the URL,
    which would replace the token with HTTP Basic and show up in messages and keyring names.
    Messages never repeat a user name or password, nor a control character.
    """
    candidate = url.strip()
    if any(char == " " or not char.isprintable() for char in candidate):
        raise UsageError(
            "the API URL contains a space or an invisible or control character",
            hint=f"Give a plain https:// URL, such as {DEFAULT_API_URL}.",
        )
    if "@" in _authority(candidate):
        raise UsageError(
            "the API URL contains a user name or password (the part before '@'); "
            "aitasker never sends them",
            hint="Remove it from the URL: the token from 'aitasker auth login' or "
            "AITASKER_TOKEN is what signs you in.",
        )
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:  # an unclosed [IPv6 literal, a port that is not a number
        raise UsageError(
            f"{_shown(candidate)} is not a valid URL ({exc})",
            hint=f"Give an https:// URL, such as {DEFAULT_API_URL}.",
        ) from None
    if ("[" in parts.netloc or "]" in parts.netloc) and not _BRACKETED_HOST.fullmatch(
        parts.netloc
    ):  # urlsplit takes the brackets' content as the host and ignores text around them
        raise UsageError(
            f"{_shown(candidate)} is not a valid URL (an IPv6 address in brackets must be "
            "the whole host, followed by nothing but a port)",
            hint=f"Give an https:// URL, such as {DEFAULT_API_URL}.",
        )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(
            f"{_shown(candidate)} is not an API URL",
            hint=f"Give an https:// URL, such as {DEFAULT_API_URL}.",
        )
    if port == 0:
        raise UsageError(f"the port in {_shown(candidate)} must be from 1 to 65535")
    _check_host(parts.hostname)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            f"refusing to send a token over plain http to {parts.hostname}",
            hint="Use an https:// URL; plain http is only for 127.0.0.1, ::1 and localhost.",
        )
    return candidate.rstrip("/")


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_IPV4_LIKE = re.compile(r"[0-9.]+")
_BRACKETED_HOST = re.compile(r"\[[^\[\]]*\](?::[0-9]*)?")


def _shown(url: str) -> str:
    """The URL quoted for a message, unless it has an '@' that may follow a password."""
    return "the API URL" if "@" in url else f"'{url}'"


def _authority(url: str) -> str:
    """The `user:password@host:port` part of a URL, also when the scheme was left out."""
    scheme = _SCHEME.match(url)
    rest = url[scheme.end() :] if scheme else url
    return re.split(r"[/?#]", rest, maxsplit=1)[0]


def _check_host(host: str) -> None:
    """Refuse a host the HTTP client would reject or could never resolve.

    Only ASCII names are accepted: a look-alike Unicode host (a Cyrillic letter in 'api') must
    never receive a token; an internationalised name can be given in its xn-- form.
    """
    import ipaddress

    if ":" in host or _IPV4_LIKE.fullmatch(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise UsageError(f"'{host}' in the API URL is not a valid IP address") from None
        return
    if not host.isascii():
        raise UsageError(
            "the host in the API URL has non-ASCII characters",
            hint="Type the host in plain ASCII; an internationalised name goes in its xn-- form.",
        )
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise UsageError(
            f"'{host}' in the API URL is not a valid host name",
            hint="A host name is made of letters, digits and hyphens, separated by dots.",
        )
    if host.lower().startswith("xn--") and not _decodes_as_idna(host.lower()):
        raise UsageError(
            f"'{host}' in the API URL is not a valid internationalised host name "
            "(it does not decode to a valid Unicode name)",
            hint="Copy the host's xn-- form from a tool that converts it, or type it in ASCII.",
        )


def _decodes_as_idna(host: str) -> bool:
    """Whether HOST decodes as IDNA: the HTTP client decodes, whole, a host that starts with
    xn-- when it builds a request, and fails on one that does not."""
    import idna  # the HTTP client's own IDNA library; loaded only for such a host

    try:
        idna.decode(host)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
