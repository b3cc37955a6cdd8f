"""The http clients the SDK makes for itself (without an `http_client` from the caller).

- No cookies (see _cookies.py).
- One TLS context per process: loading the CA bundle costs tens of milliseconds,
  and `Orq.create_async` makes a client for each event loop. A child after
  os.fork() makes its own, since a parent's thread may have been inside it, mid
  handshake, holding one of its locks.
"""

from __future__ import annotations

import os
import ssl

import httpx2

from ._cookies import NoCookies
from ._fork import renewal_lock
from ._httpx2_internals import set_cookie_store


class _Tls:
    context: ssl.SSLContext | None = None
    pid = 0


def tls_context() -> ssl.SSLContext:
    """The TLS context of every client the SDK makes in this process."""
    if _Tls.pid != os.getpid():
        with renewal_lock():
            if _Tls.pid != os.getpid():
                _Tls.context = httpx2.create_ssl_context()
                _Tls.pid = os.getpid()
    assert _Tls.context is not None
    return _Tls.context


def sync_client(timeout: httpx2.Timeout, limits: httpx2.Limits) -> httpx2.Client:
    from ._deadline_sockets import DeadlineClient  # noqa: PLC0415 - it imports httpcore2

    client = DeadlineClient(timeout=timeout, limits=limits, verify=tls_context())
    set_cookie_store(client, NoCookies())
    return client


def async_client(timeout: httpx2.Timeout, limits: httpx2.Limits) -> httpx2.AsyncClient:
    from ._pinned_addresses import PinnedAsyncClient  # noqa: PLC0415 - imports httpcore2

    client = PinnedAsyncClient(timeout=timeout, limits=limits, verify=tls_context())
    set_cookie_store(client, NoCookies())
    return client
