"""Every private part of httpx2 and httpcore2 the SDK relies on, and nothing else.

httpx2 has no public way to hand a response the body the SDK read itself (bounded,
see _send.py) or to choose the network backend of the transports a client builds
(one per proxy variable, too). The SDK does both here, so that a new httpx2 that
moves these parts breaks one module: tests/client/test_httpx2_internals.py checks
each of them against the installed httpx2 and fails loudly, naming the part.

Checked against httpx2 and httpcore2 2.16.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx2

TESTED_WITH = ("2.16",)
"""The httpx2 (and httpcore2) release series these parts were checked against."""


def set_body(response: httpx2.Response, content: bytes) -> None:
    """Give `response` a body read elsewhere, so that `.content` and `.json()` return it,
    as `Response.read()` would have left them."""
    response._content = content


def body_in_hand(response: httpx2.Response) -> bytes | None:
    """The body of a response that was built holding it (as a MockTransport handler's
    `httpx2.Response(200, json=...)` is): httpx2 has read and decoded it already, so it
    cannot be streamed. None for a response still to be read."""
    if not response.is_stream_consumed:
        return None
    content: bytes | None = getattr(response, "_content", None)
    return content


def body_bytes(stream: httpx2.ByteStream) -> bytes:
    """The bytes a ByteStream (a JSON request's body) holds, without copying them."""
    content: bytes = stream._stream
    return content


def set_cookie_store(client: httpx2.Client | httpx2.AsyncClient, cookies: httpx2.Cookies) -> None:
    """Make `cookies` the client's cookie store itself: the public `cookies` setter
    would copy its cookies into a new httpx2.Cookies, dropping its class."""
    client._cookies = cookies


def cookies_set_by(jar: CookieJar, response: httpx2.Response) -> Sequence[Cookie]:
    """The cookies `response` has `jar` store, found as httpx2 hands them to it."""
    answer: Any = httpx2.Cookies._CookieCompatResponse(response)
    request = httpx2.Cookies._CookieCompatRequest(response.request)
    return jar.make_cookies(answer, request)


def wrap_network_backend(
    transport: httpx2.BaseTransport | httpx2.AsyncBaseTransport, wrap: Callable[[Any], Any]
) -> bool:
    """Put `wrap(backend)` in place of the network backend of `transport`'s pool
    (sync or async).

    False, with `transport` left as it is, when its pool is not laid out as in the
    tested httpx2: the caller then keeps the guarantees that need no wrapping.
    """
    import httpcore2  # noqa: PLC0415 - loaded with the first client, not with the SDK

    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore2.ConnectionPool):
        if not isinstance(backend, httpcore2.NetworkBackend):
            return False
    elif isinstance(pool, httpcore2.AsyncConnectionPool):
        if not isinstance(backend, httpcore2.AsyncNetworkBackend):
            return False
    else:
        return False
    pool._network_backend = wrap(backend)
    return True


def plain_socket(stream: Any) -> socket.socket | None:
    """The socket under httpcore's own sync stream, plain TCP or TLS (an ssl.SSLSocket),
    to write to directly; None for any other stream (TLS inside a proxy's TLS tunnel)."""
    from httpcore2._backends.sync import SyncStream  # noqa: PLC0415 - as above

    if type(stream) is not SyncStream:
        return None
    sock = stream.get_extra_info("socket")
    return sock if isinstance(sock, socket.socket) else None


class TransportHookClient(httpx2.Client):
    """An httpx2.Client that passes every transport it builds, the direct one and one
    per proxy variable, through `wrap_transport` first."""

    def wrap_transport(self, transport: httpx2.BaseTransport) -> httpx2.BaseTransport:
        return transport

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx2.BaseTransport:
        return self.wrap_transport(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx2.BaseTransport:
        return self.wrap_transport(super()._init_proxy_transport(*args, **kwargs))


class AsyncTransportHookClient(httpx2.AsyncClient):
    """An httpx2.AsyncClient that passes every transport it builds through
    `wrap_transport` first, as TransportHookClient does."""

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return transport

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx2.AsyncBaseTransport:
        return self.wrap_transport(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx2.AsyncBaseTransport:
        return self.wrap_transport(super()._init_proxy_transport(*args, **kwargs))
