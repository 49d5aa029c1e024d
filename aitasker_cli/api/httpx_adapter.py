"""httpx and httpcore, imported here for the API package, with the parts that are not public API.

Why each private part is used (README, Private parts of libraries):

- `httpx._main`, marked as not installed: where click is installed, `import httpx` also loads
  httpx's own command line (the optional `httpx[cli]`), and rich's console and progress bars
  and pygments with it: about 70 ms of every command, for nothing this CLI uses. httpx takes a
  failed import of it for "not installed". So the API modules import httpx from here, after
  the mark (tests/test_startup.py notices when it stops working).
- `HTTPTransport._pool._network_backend` (httpx's pool, httpcore's backend): the only way to
  give httpx's transport the sockets that bound each request by its deadline (--timeout).
  Without it the deadline would silently disappear, so a transport without it is an error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from aitasker_cli.core.errors import AitaskerError

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpcore  # noqa: E402  (after the mark above, which it must follow)
import httpx  # noqa: E402

__all__ = ["HttpxMismatch", "httpcore", "httpx", "network_backend", "wrap_network_backend"]

SUPPORTED_HTTPX = ">=0.27,<0.29"
"""The httpx versions pyproject.toml allows."""


class HttpxMismatch(AitaskerError):
    """The installed httpx or httpcore lacks a part aitasker relies on: an unsupported version."""


def network_backend(transport: httpx.HTTPTransport) -> httpcore.NetworkBackend:
    """The backend that opens `transport`'s sockets."""
    try:
        return transport._pool._network_backend
    except AttributeError:
        raise HttpxMismatch(
            f"httpx {httpx.__version__} with httpcore {httpcore.__version__} has no "
            "HTTPTransport._pool._network_backend, which aitasker needs to bound each request "
            "by --timeout",
            hint=f"Install a supported httpx: pip install 'httpx{SUPPORTED_HTTPX}'",
        ) from None


def wrap_network_backend(
    transport: httpx.HTTPTransport,
    wrap: Callable[[httpcore.NetworkBackend], httpcore.NetworkBackend],
) -> None:
    """Open `transport`'s sockets through `wrap(its backend)`."""
    transport._pool._network_backend = wrap(network_backend(transport))
