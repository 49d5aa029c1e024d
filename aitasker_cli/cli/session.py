"""A command's session: settings, output choice, and an API client whose token comes late."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aitasker_cli.cli.options import Common
    from aitasker_cli.client import ApiClient
    from aitasker_cli.config import Settings
    from aitasker_cli.output.formats import Output


@dataclass
class Session:
    settings: Settings
    output: Output
    client: ApiClient


@contextmanager
def connect(common: Common, *, token: str | None = None) -> Iterator[Session]:
    """Settings, output options and an API client whose token is looked up at first use.

    Looking the token up late means a malformed ID or option fails as a usage error (exit 2)
    even when no token is configured. `token` replaces the stored one (for `auth login`).
    """
    from aitasker_cli import render
    from aitasker_cli.client import ApiClient

    settings = common.settings(creating_profile=token is not None)
    output = render.output_options(settings.output, common.fields, no_color=common.no_color)

    def provide_token() -> str:
        if token is None:
            return bearer_token(settings)
        render.add_secret(token)
        return token

    client = ApiClient(
        settings,
        token=provide_token,
        log=render.debug if settings.debug else None,
        app=sandbox_app() if settings.sandbox else None,
    )
    try:
        yield Session(settings, output, client)
    finally:
        client.close()


def sandbox_app() -> Any:
    """The sandbox API over the state shared by every `--sandbox` invocation."""
    from aitasker_cli.paths import sandbox_dir
    from aitasker_cli.sandbox.embedded import EmbeddedSandbox

    return EmbeddedSandbox(sandbox_dir())


def bearer_token(settings: Settings) -> str:
    """The resolved token, registered with render so it can never be printed."""
    from aitasker_cli import auth, render

    token = auth.resolve_token(settings)
    if token.source is not auth.TokenSource.sandbox:  # public, and would mask real data
        render.add_secret(token.value)
    return token.value
