"""The SDK's own sync connections, whose every socket wait stops at the attempt's deadline.

httpcore gives all the socket reads of one phase (say, receiving the headers) the
timeout it read when the phase began. A server that sends its headers a byte at a
time answers each read in time and keeps the phase alive for as long as it likes.
The async client is cut off by an asyncio timeout; a blocked sync socket cannot be,
so the SDK's own sync clients connect through `DeadlineBackend`, whose streams cap
each read and write by what is left of the attempt `_send.drive` is running in this
thread (`ATTEMPT_DEADLINE`).

A caller's own `http_client` is used as it is, so with it the sync client keeps the
per-phase bound only. This module imports httpcore2, so it is loaded when the first
sync client is made, not with `import orq_images`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

from ._httpx2_internals import TransportHookClient, plain_socket, wrap_network_backend
from ._pinned_addresses import PinnedBackend
from ._send import ATTEMPT_DEADLINE, WRITE_SIZE


def _capped(timeout: float | None, expired: type[httpcore2.TimeoutException]) -> float | None:
    """`timeout`, or less if the attempt under way has less left; raises `expired` if none."""
    deadline = ATTEMPT_DEADLINE.get()
    if deadline is None or deadline.at is None:
        return timeout
    left = deadline.at - time.monotonic()
    if left <= 0:
        raise expired("the attempt took longer than its timeout")
    return left if timeout is None or timeout > left else timeout


class _DeadlineStream(httpcore2.NetworkStream):
    def __init__(self, stream: httpcore2.NetworkStream) -> None:
        self._stream = stream
        # httpcore's own stream over one socket (plain, or TLS through ssl.SSLSocket):
        # its socket can be written directly. TLS inside a TLS proxy tunnel cannot.
        self._socket = plain_socket(stream)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _capped(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # httpcore gives every send of a write the whole timeout, and a reader taking a
        # little at a time answers each send in time: a long write would outlast the
        # attempt. So a long one is sent here, each send capped by what is left, in as
        # few system calls as httpcore would make (uploads hand over whole images).
        sock = self._socket
        if sock is None or len(buffer) <= WRITE_SIZE:
            if buffer:  # h11 ends each request with an empty write
                self._stream.write(buffer, _capped(timeout, httpcore2.WriteTimeout))
            return
        view = memoryview(buffer)
        try:
            while view:
                sock.settimeout(_capped(timeout, httpcore2.WriteTimeout))
                view = view[sock.send(view) :]
        except TimeoutError as exc:
            raise httpcore2.WriteTimeout(exc) from exc
        except OSError as exc:
            raise httpcore2.WriteError(exc) from exc

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        capped = _capped(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, capped))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's network backend, with streams that honour ATTEMPT_DEADLINE."""

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
        capped = _capped(timeout, httpcore2.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, capped, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.NetworkStream:
        capped = _capped(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, capped, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineClient(TransportHookClient):
    """An httpx2.Client, proxy variables and all, whose connections honour ATTEMPT_DEADLINE,
    and PINNED (see _pinned_addresses)."""

    caps_every_socket_wait = True
    """Every transport's sockets are capped: `drive` lets uploads go out in large writes."""

    def wrap_transport(self, transport: httpx2.BaseTransport) -> httpx2.BaseTransport:
        # httpx2 offers no way to choose the network backend of the transports it
        # makes, so each pool's is wrapped once it is built. Should a future httpx2 lay
        # its pool out differently, the transport keeps the per-phase bound only
        # (tests/client/test_httpx2_internals.py and the drip tests notice), and
        # uploads go out in slices with the deadline looked at between them.
        if not wrap_network_backend(
            transport, lambda backend: DeadlineBackend(PinnedBackend(backend))
        ):
            self.caps_every_socket_wait = False
        return transport
