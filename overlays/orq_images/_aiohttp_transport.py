"""`AsyncOrq` on aiohttp: `AsyncOrq(http_client=DefaultAioHttpClient())`, behind the extra.

httpx2's async transport costs about three times aiohttp's CPU per call, and that is
most of what an async call costs. This client performs the send flow's HTTP actions
(Send, Receive: see _send.py) on an aiohttp session directly; everything
else, retries and their classification, each attempt's asyncio timeout, the download
checks, the error mapping, is the same code the httpx2 client runs. Requests are
still built as httpx2.Requests, and answers handed back as httpx2.Responses, so the
rest of the SDK cannot tell the transports apart; aiohttp's errors become the httpx2
errors the retry policy already classifies.

Both designs were measured before choosing (CPU per call against raw aiohttp, same
run, 1 to 1024 calls in flight): this native driver costs 1.3x to 1.8x; an httpx2
transport on aiohttp, driven through httpx2.AsyncClient, cost 1.6x to 2.5x, the
client's own send path (auth, redirects, hooks, its pool bookkeeping) on top.

What aiohttp would otherwise do per request is done once here: the proxy variables
are read when the client is made (as httpx2 reads them), never per request in a
thread; no netrc look-up, no cookie jar; the body is decoded by httpx2's decoders,
so `max_response_bytes` counts decoded bytes exactly as on httpx2.
"""

from __future__ import annotations

import os
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any, Self

import httpx2

from ._exceptions import OrqError
from ._fork import leave_untouched
from ._httpx2_internals import body_bytes
from ._reading import BodyReader
from ._send import Receive, Send

if TYPE_CHECKING:
    import asyncio

    import aiohttp

__all__ = ["DefaultAioHttpClient"]

_INSTALL = 'pip install "orq-images[aiohttp]"'
# What httpx2's decoders always handle; aiohttp would offer what it can decode itself.
_ACCEPT_ENCODING = "gzip, deflate"
_HTTP11 = {"http_version": b"HTTP/1.1"}
# Hosts whose proxy choice is remembered; an application talks to a handful.
_PROXY_CACHE_SIZE = 256


def _environment_proxies() -> dict[str, str]:
    import urllib.request  # noqa: PLC0415 - a dozen modules `import orq_images` need not load

    return urllib.request.getproxies_environment()


def _bypassed(host: str, proxies: dict[str, str]) -> bool:
    import urllib.request  # noqa: PLC0415

    # NO_PROXY as urllib (and so requests and aiohttp) reads it; typeshed omits it.
    return bool(urllib.request.proxy_bypass_environment(host, proxies))  # type: ignore[attr-defined]


def _running_loop() -> asyncio.AbstractEventLoop:
    import asyncio  # noqa: PLC0415 - `import orq_images` does not load asyncio

    return asyncio.get_running_loop()


def _aiohttp() -> Any:
    try:
        import aiohttp  # noqa: PLC0415 - only when the aiohttp client is made
    except ImportError:
        raise OrqError(
            f"DefaultAioHttpClient needs aiohttp, which is not installed: {_INSTALL}"
        ) from None
    return aiohttp


class DefaultAioHttpClient:
    """An aiohttp connection pool for `AsyncOrq(http_client=DefaultAioHttpClient())`.

    Needs the `aiohttp` extra: `pip install "orq-images[aiohttp]"`. Every guarantee of
    the default httpx2 client holds on it (each attempt's timeout, retries,
    `max_response_bytes`, the download checks, proxies from the environment).

    - `limits`: the pool; by default the SDK's own (DEFAULT_CONNECTION_LIMITS): up to
      100 connections, idle ones closed after 5 s.
    - `trust_env`: use the HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY variables,
      read when the client is made, and SSL_CERT_FILE / SSL_CERT_DIR.
    - `verify`: as httpx2's: True, a CA bundle path, an ssl.SSLContext, or False.

    The AsyncOrq it is given to closes it, with its connections, when it is closed.
    """

    def __init__(
        self,
        *,
        limits: httpx2.Limits | None = None,
        trust_env: bool = True,
        verify: ssl.SSLContext | str | bool = True,
    ) -> None:
        self._aiohttp = _aiohttp()
        from ._client import DEFAULT_CONNECTION_LIMITS  # noqa: PLC0415 - _client imports us

        if limits is not None and not isinstance(limits, httpx2.Limits):
            raise OrqError(f"limits: expected an httpx2.Limits, got {limits!r}")
        self._limits = limits or DEFAULT_CONNECTION_LIMITS
        self._trust_env = trust_env
        self._verify = verify
        self._ssl = httpx2.create_ssl_context(verify=verify, trust_env=trust_env)
        self._proxies = _environment_proxies() if trust_env else {}
        self._proxy_for: dict[tuple[str, str], str | None] = {}
        self._session: aiohttp.ClientSession | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._pid = os.getpid()  # of the process that opened the session
        self._timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self.headers: httpx2.Headers = httpx2.Headers({"Accept-Encoding": _ACCEPT_ENCODING})
        """Headers sent with every request, as an httpx2.AsyncClient's `headers`."""
        self.is_closed: bool = False

    def __repr__(self) -> str:
        return f"DefaultAioHttpClient(limits={self._limits!r})"

    def fresh(self) -> DefaultAioHttpClient:
        """A new client with the same settings (for a download after this one closed)."""
        return DefaultAioHttpClient(
            limits=self._limits, trust_env=self._trust_env, verify=self._verify
        )

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use, inside the event loop it then belongs to; and anew in a
        # child after os.fork(), where the parent's is kept unused (see _fork.py).
        if self._session is not None:
            leave_untouched(self._session)
        import asyncio  # noqa: PLC0415 - `import orq_images` does not load asyncio

        self._pid = os.getpid()
        self._loop = weakref.ref(asyncio.get_running_loop())
        aiohttp = self._aiohttp
        limits = self._limits
        from ._pinned_addresses import pinned_resolver  # noqa: PLC0415 - imports httpcore2

        connector = aiohttp.TCPConnector(
            # A download connects to the addresses its host was checked at.
            resolver=pinned_resolver(aiohttp.DefaultResolver()),
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # the proxy is chosen here, once per host
            auto_decompress=False,  # httpx2 decodes, under the SDK's size limit
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
            timeout=aiohttp.ClientTimeout(total=None),
        )
        return self._session

    def _proxy(self, url: httpx2.URL) -> str | None:
        key = (url.scheme, url.host)
        try:
            return self._proxy_for[key]
        except KeyError:
            pass
        proxies = self._proxies
        proxy = None
        if proxies and not _bypassed(url.host, proxies):
            proxy = proxies.get(url.scheme) or proxies.get("all")
        if len(self._proxy_for) >= _PROXY_CACHE_SIZE:
            self._proxy_for.clear()
        self._proxy_for[key] = proxy
        return proxy

    def _timeout(self, limits: Any) -> aiohttp.ClientTimeout:
        # The attempt's asyncio timeout bounds it all; connecting has its own, shorter cap.
        connect = limits.get("connect")
        found = self._timeouts.get(connect)
        if found is None:
            found = self._aiohttp.ClientTimeout(total=None, sock_connect=connect)
            self._timeouts[connect] = found
        return found

    def _perform(self, action: Send | Receive) -> Awaitable[Any]:
        """Perform one HTTP action of a send flow (see _send.py)."""
        if isinstance(action, Send):
            return self._send(action.request)
        return self._receive(action)

    async def _receive(self, action: Receive) -> None:
        response = action.response
        body = response.stream
        assert isinstance(body, _AioBody)
        try:
            # The undecoded bytes as aiohttp has them: BodyReader decodes and bounds them.
            reader = BodyReader(response, action.sink, action.deadline)
            if not reader.stopped:
                async for raw in body:
                    if not reader.feed(raw):
                        break
                else:
                    reader.end()
        except self._aiohttp.ClientError as exc:
            raise _transport_error(exc, response.request, self._aiohttp) from exc
        finally:
            body.finish()
            response.is_stream_consumed = True
            response.is_closed = True

    async def _send(self, request: httpx2.Request) -> httpx2.Response:
        if self.is_closed:
            raise OrqError("the DefaultAioHttpClient given to AsyncOrq has been closed")
        session = self._session
        if session is None or self._pid != os.getpid():
            session = self._open()
        elif self._loop is None or self._loop() is not _running_loop():
            raise OrqError(
                "this DefaultAioHttpClient's connections belong to the event loop it was "
                "first used in: make one per event loop (asyncio.run), or use AsyncOrq() "
                "without http_client, whose connections are per loop"
            )
        stream = request.stream
        # A JSON body is one ByteStream: its bytes go as they are.
        data: Any = body_bytes(stream) if isinstance(stream, httpx2.ByteStream) else _Upload(stream)
        url = request.url
        try:
            answer = await session.request(
                request.method,
                str(url),
                headers=_header_items(request.headers),
                data=data or None,
                allow_redirects=False,
                proxy=self._proxy(url),
                timeout=self._timeout(request.extensions.get("timeout") or {}),
            )
        except self._aiohttp.ClientError as exc:
            if isinstance(data, _Upload) and data.refused is not None:
                raise data.refused from None
            raise _transport_error(exc, request, self._aiohttp) from exc
        return httpx2.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=_AioBody(answer),
            request=request,
            extensions=_HTTP11,
        )

    async def aclose(self) -> None:
        """Close the connections; calls through a closed client fail with an OrqError."""
        self.is_closed = True
        if self._session is not None and self._pid == os.getpid():
            await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _header_items(headers: httpx2.Headers) -> list[tuple[str, str]]:
    # httpx2 encodes str headers as ASCII, or UTF-8 when they are not: decoding the
    # raw bytes as UTF-8 gives them back, without Headers' per-item encoding look-up.
    try:
        return [(name.decode(), value.decode()) for name, value in headers.raw]
    except UnicodeDecodeError:  # bytes given as latin-1: httpx2 knows how to read them
        return headers.multi_items()


class _Upload:
    """A streamed request body (an upload), as the async iterable aiohttp sends.

    aiohttp would send an async generator's chunks with Transfer-Encoding: chunked;
    the request's own Content-Length header makes it send them as they are.
    A body that refuses to go on (a file changed mid-upload) is kept as `refused`:
    aiohttp reports it as a broken connection, which would be retried.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.refused: OrqError | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except OrqError as exc:
            self.refused = exc
            raise


class _AioBody(httpx2.AsyncByteStream):
    """An answer's body as it arrives, undecoded; `_receive` reads it through BodyReader."""

    def __init__(self, answer: aiohttp.ClientResponse) -> None:
        self.answer = answer

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.answer.content.iter_any()

    def finish(self) -> None:
        # A body read to the end gives its connection back to the pool; one left
        # part-read (a failure, a refusal, a cancelled task) closes it.
        answer = self.answer
        if answer.content.at_eof():
            answer.release()
        else:
            answer.close()

    async def aclose(self) -> None:
        self.finish()


def _transport_error(
    error: Exception, request: httpx2.Request, aiohttp: Any
) -> httpx2.TransportError:
    """aiohttp's error as the httpx2 error the retry policy and the SDK's errors expect."""
    # ClientResponseError's text names the URL, query included: a presigned download
    # URL carries its signature there. Its message alone says what went wrong.
    text = error.message if isinstance(error, aiohttp.ClientResponseError) else str(error)
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    kind: type[httpx2.TransportError]
    if isinstance(error, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        kind = httpx2.ProxyError
    elif isinstance(error, aiohttp.ConnectionTimeoutError):
        kind = httpx2.ConnectTimeout
    elif isinstance(error, aiohttp.ServerTimeoutError):
        kind = httpx2.ReadTimeout
    elif isinstance(error, aiohttp.ClientConnectorError):
        kind = httpx2.ConnectError
    elif isinstance(
        error,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        kind = httpx2.RemoteProtocolError
    elif isinstance(error, aiohttp.ClientConnectionError):
        kind = httpx2.ReadError
    elif isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        kind = httpx2.UnsupportedProtocol
    else:
        kind = httpx2.TransportError
    return kind(text, request=request)
