"""The network under the client: proxies, TLS only for https, and a deadline for each request.

httpx's timeouts bound each read; a server that sends one byte a second would never trip them.
Bounding every wait by what is left of the request's deadline bounds the whole request.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from aitasker_cli.api.httpx_adapter import httpcore, httpx, wrap_network_backend
from aitasker_cli.core.errors import UsageError
from aitasker_cli.local.config import Settings, is_loopback

DEADLINE = threading.local()
"""When the request this thread is sending must be done by (time.monotonic), or None."""


def make_transport(settings: Settings) -> httpx.BaseTransport:
    """The network transport for the API URL: no proxy for loopback, TLS only for https."""
    parts = urlsplit(settings.api_url)
    https = parts.scheme == "https"
    try:
        transport = httpx.HTTPTransport(
            # Plain http is only ever allowed to this machine, where no certificate is used.
            verify=https,
            proxy=proxy_for(parts.hostname or "", parts.netloc, https),
        )
    except ImportError:  # a SOCKS proxy without the socksio package
        raise UsageError(
            "SOCKS proxies (ALL_PROXY=socks5://…) are not supported",
            hint="Unset ALL_PROXY, or use an http(s) proxy in HTTPS_PROXY.",
        ) from None
    except ValueError as exc:
        raise UsageError(f"the proxy setting is not usable: {exc}") from None
    wrap_network_backend(transport, DeadlineBackend)
    return transport


def proxy_for(host: str, netloc: str, https: bool) -> str | None:
    """The proxy from the environment for this host; never one for a loopback API.

    A token sent to this machine must not travel, in clear, to a proxy somewhere else (as
    Go's HTTP client, requests to loopback skip proxies); NO_PROXY is honoured as usual.
    """
    if is_loopback(host):
        return None
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass_environment(netloc, proxies):  # type: ignore[attr-defined]
        return None
    proxy = proxies.get("https" if https else "http") or proxies.get("all")
    # HTTPS_PROXY=host:port is common; httpx and curl take a proxy without a scheme as http.
    return proxy if not proxy or "://" in proxy else f"http://{proxy}"


def describe_transport_error(exc: httpx.TransportError) -> str:
    """What went wrong on the network, in a few words."""
    if isinstance(exc, httpx.TimeoutException):
        return "the request timed out"
    return str(exc) or type(exc).__name__


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sockets, with every wait cut short at the current request's deadline.

    httpx's timeouts bound each read; a server that sends one byte a second would never trip
    them. Bounding each wait by the time left bounds the whole request.
    """

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, time_left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, time_left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = time_left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    """The smaller of httpx's per-operation timeout and what is left of the deadline."""
    deadline: float | None = getattr(DEADLINE, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline passed")
    return left if timeout is None else min(timeout, left)
