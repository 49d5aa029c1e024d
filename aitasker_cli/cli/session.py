"""A command's session: settings, output choice, and an API client whose token comes late."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.cli.options import Common
    from aitasker_cli.domain.formats import Output
    from aitasker_cli.local.config import Settings


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
    from aitasker_cli.api.client import ApiClient
    from aitasker_cli.core.startup import start_up_over
    from aitasker_cli.output import render

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
    start_up_over()  # what a command imports is loaded by now
    try:
        yield Session(settings, output, client)
    finally:
        client.close()


def sandbox_app() -> Any:
    """The sandbox API over the state shared by every `--sandbox` invocation."""
    from aitasker_cli.core.paths import sandbox_dir
    from aitasker_cli.sandbox.embedded import EmbeddedSandbox

    return EmbeddedSandbox(sandbox_dir())


def bearer_token(settings: Settings) -> str:
    """The resolved token, registered with render so it can never be printed."""
    from aitasker_cli.local import auth
    from aitasker_cli.output import render

    token = auth.resolve_token(settings)
    if token.source is not auth.TokenSource.sandbox:  # public, and would mask real data
        render.add_secret(token.value)
    return token.value


class Listing:
    """At most `limit` items of a listing; on a terminal, it finds out whether more exist.

    Only when a person can read the notice (stderr is a terminal) is one more item asked for
    than is shown, so scripts send the same requests as ever.
    """

    def __init__(self, fetch: Callable[[int | None], Iterable[Any]], limit: int | None) -> None:
        from aitasker_cli.output import sink

        self._limit = limit
        self._probing = limit is not None and sink.is_terminal(sys.stderr)
        self._fetch = fetch
        self.more = False
        """Whether an item beyond the limit exists (known only after iterating)."""

    def __iter__(self) -> Iterator[Any]:
        wanted = self._limit + 1 if self._limit is not None and self._probing else self._limit
        for shown, item in enumerate(self._fetch(wanted)):
            if shown == self._limit:
                self.more = True
                return
            yield item

    def tell_if_cut(self, noun: str) -> None:
        """Say on stderr that the listing was cut, if more items exist (`noun` singular)."""
        if self.more and self._limit is not None:
            from aitasker_cli.output import render

            shown = f"{self._limit} {noun}" + ("" if self._limit == 1 else "s")
            render.message(f"Showing {shown}; more exist: use --all or --limit N")
