"""`aitasker auth`: log in and out, show where the token comes from, print it for scripts."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any

import typer

from aitasker_cli.cli.options import Common, api_command
from aitasker_cli.cli.session import connect
from aitasker_cli.core.errors import AitaskerError, AuthError, UsageError
from aitasker_cli.domain import views
from aitasker_cli.local import auth, credentials, keyring_store, tokens


@api_command
def login(
    common: Common,
    with_token: Annotated[
        bool, typer.Option("--with-token", help="Read the token from stdin.")
    ] = False,
    insecure_storage: Annotated[
        bool,
        typer.Option(
            "--insecure-storage", help="Store the token in a 0600 file, not the OS keyring."
        ),
    ] = False,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Store the token without checking it with the API.")
    ] = False,
) -> None:
    """Store an API token for this profile and API host.

    Create a token on the API keys page: https://docs.aitasker.co/authentication/api-keys
    """
    from aitasker_cli.output import render

    settings = common.settings(creating_profile=True)
    if settings.sandbox:
        render.message("The sandbox needs no login: --sandbox commands work without a token.")
        return
    if not insecure_storage:
        auth.check_keyring(settings)  # before the token is asked for, not after
    token = _read_token(with_token)
    render.add_secret(token)  # from here on, no message can show it
    with connect(common, token=token) as session:
        verify = None if no_verify else session.client.verify_token
        where = auth.login(
            session.settings, token, insecure_storage=insecure_storage, verify=verify
        )
        render.message(
            f"Logged in to {session.settings.api_host} (profile '{session.settings.profile}'); "
            f"token stored in {where}."
        )
        if insecure_storage:
            render.warning(f"{credentials.path()} holds the token unencrypted (mode 0600).")
        if os.environ.get(auth.TOKEN_ENV):
            render.warning(f"{auth.TOKEN_ENV} is set and is used instead of the stored token.")


@api_command
def logout(common: Common) -> None:
    """Remove the stored token of this profile and API host."""
    from aitasker_cli.output import render

    settings = common.settings()
    forgotten = auth.forget(settings)
    where = f"{settings.api_host} (profile '{settings.profile}')"
    if forgotten.removed:
        render.message(
            f"Logged out of {where}; removed the token from {', '.join(forgotten.removed)}."
        )
    elif forgotten.keyring_problem is None:
        render.message(f"Not logged in to {where}; nothing to remove.")
    if os.environ.get(auth.TOKEN_ENV):
        render.warning(f"{auth.TOKEN_ENV} is still set in this environment.")
    if forgotten.keyring_problem is not None:
        raise keyring_store.KeyringUnavailable(
            f"{forgotten.keyring_problem.message}; a token for {where} may still be stored there",
            hint="Unlock the OS keyring (or start it) and run 'aitasker auth logout' again.",
        )


@api_command
def status(
    common: Common,
    no_verify: Annotated[
        bool, typer.Option("--no-verify", help="Do not check the token with the API.")
    ] = False,
) -> None:
    """Show where the token comes from, what kind it is, and whether the API accepts it."""
    from aitasker_cli.output import render

    with connect(common) as session:
        token = auth.resolve_token(session.settings)
        kind = tokens.describe_token(token.value)
        failure: AitaskerError | None = None
        verified: bool | None = None
        if not no_verify:
            try:
                session.client.verify_token()
                verified = True
            except AuthError as exc:
                verified, failure = False, exc
            except AitaskerError as exc:
                failure = exc
        elif kind.expires_at is not None and kind.expires_at <= datetime.now(timezone.utc):
            failure = AuthError(
                f"the token expired at {kind.expires_at:%Y-%m-%d %H:%M} UTC",
                hint="Log in again: aitasker auth login",
            )
        report: dict[str, Any] = {
            "profile": session.settings.profile,
            "api_url": session.settings.api_url,
            "source": token.source.value,
            "location": token.location,
            "kind": kind.kind,
            "expires_at": _expiry(kind),
            "verified": verified,
        }
        render.show(report, views.LOGIN_STATUS, session.output)
        if kind.invalid_expiry:
            render.warning("the token's expiry (its 'exp' claim) is not a valid time.")
        if failure is not None:
            raise failure


def _expiry(kind: tokens.TokenKind) -> datetime | str | None:
    """The expiry (JSON shows it in ISO 8601 UTC, a table as "in 2 h"); "invalid" for an `exp`
    claim that is no time; None when there is none."""
    if kind.invalid_expiry:
        return "invalid"
    return kind.expires_at


@api_command
def token(common: Common) -> None:
    """Print the token this profile would send, for use in other tools."""
    from aitasker_cli.output import render

    render.write_secret(auth.resolve_token(common.settings()).value)


def _read_token(with_token: bool) -> str:
    """The token from stdin (--with-token) or a hidden prompt; never waits on a pipe or a TTY."""
    from aitasker_cli.output import render

    if with_token:
        if sys.stdin.isatty():
            raise UsageError(
                "--with-token reads the token from stdin, but stdin is a terminal",
                hint="Pipe it in: printf '%s' \"$TOKEN\" | aitasker auth login --with-token",
            )
        return tokens.check_token(sys.stdin.read())
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the token on",
            hint="Pipe the token in with --with-token, or set AITASKER_TOKEN.",
        )
    render.message(f"Create an API token on {auth.API_KEYS_URL} if you have none.")
    return tokens.check_token(render.prompt_secret("Paste your AITasker API token: "))


COMMANDS: dict[str, Callable[..., None]] = {
    "login": login,
    "logout": logout,
    "status": status,
    "token": token,
}
"""The subcommands, by name; the app is assembled in aitasker_cli/cli/main.py."""
