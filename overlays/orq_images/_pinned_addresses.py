"""A download connects to the very addresses its host name was checked at.

The download flow (_download.py) resolves each image URL's host once and checks
every address it gets. Were the connection to resolve the name again, a DNS
answer that changes between the two look-ups (DNS rebinding) would reach an
address nobody checked. So the checked addresses travel with the request (a Pin,
see _send.py), the send flow makes them PINNED while the attempt is sent, and
the SDK's own connections (the network backends below, wrapped
around httpcore's for the sync and the async httpx2 client, and the resolver of
the aiohttp client) connect to those addresses instead of looking the name up.
The name stays the request's Host and the TLS server name, so certificates are
still verified against it.

Only a connection to the pinned host and port is pinned. A connection to a proxy
is not: the proxy resolves the image host itself (see the README).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

from ._httpx2_internals import AsyncTransportHookClient, wrap_network_backend
from ._send import PINNED


def _pinned(host: str, port: int) -> tuple[str, ...] | None:
    pin = PINNED.get()
    return pin.addresses if pin is not None and pin.applies(host, port) else None


class PinnedBackend(httpcore2.NetworkBackend):
    """httpcore's sync network backend, connecting a pinned host to its checked addresses."""

    def __init__(self, backend: httpcore2.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        addresses = _pinned(host, port)
        if addresses is None:
            return self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        failure: httpcore2.ConnectError | None = None
        # As socket.create_connection does with a name's addresses: each in turn.
        for address in addresses:
            try:
                return self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore2.ConnectError as exc:
                failure = exc
        assert failure is not None  # a pin always holds at least one address
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        return self._backend.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class AsyncPinnedBackend(httpcore2.AsyncNetworkBackend):
    """httpcore's async network backend, connecting a pinned host to its checked addresses.

    Its methods take httpcore's `timeout` arguments, whatever asyncio would prefer.
    """

    def __init__(self, backend: httpcore2.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        addresses = _pinned(host, port)
        if addresses is None:
            return await self._backend.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        failure: httpcore2.ConnectError | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore2.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        return await self._backend.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class PinnedAsyncClient(AsyncTransportHookClient):
    """An httpx2.AsyncClient, proxy variables and all, whose connections honour PINNED."""

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        # Should a future httpx2 lay its pool out differently, the transport is left as
        # it is (tests/client/test_httpx2_internals.py notices); the peer check of
        # _download.py still refuses an answer from a forbidden address.
        wrap_network_backend(transport, AsyncPinnedBackend)
        return transport


def pinned_resolver(resolver: Any) -> Any:
    """An aiohttp resolver answering a pinned host with its checked addresses."""
    import socket  # noqa: PLC0415

    import aiohttp  # noqa: PLC0415 - only with the aiohttp extra

    class PinnedResolver(aiohttp.abc.AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[aiohttp.abc.ResolveResult]:
            addresses = _pinned(host, port)
            if addresses is None:
                return await resolver.resolve(host, port, family)  # type: ignore[no-any-return]
            return [
                {
                    "hostname": host,
                    "host": address,
                    "port": port,
                    "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
                for address in addresses
            ]

        async def close(self) -> None:
            await resolver.close()

    return PinnedResolver()
