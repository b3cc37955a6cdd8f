"""The client facade: `Orq` and `AsyncOrq`, whose calls read like orq's docs.

    with Orq(api_key=...) as orq:
        res = orq.router.images.generations.create(prompt=..., model=...)

Both share one base for settings, request building and response parsing
(_request.py), and one send flow with retries and deadlines (_send.py); they
differ only in the httpx client that performs it. An `http_client` passed in is
used as it is and never modified.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import httpx2

from . import _own_http as own_http
from ._aiohttp_transport import DefaultAioHttpClient
from ._api_key import ApiKey
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    OrqError,
)
from ._fork import renewal_lock
from ._generated.router import AsyncRouter, Router
from ._ported_clients import http_clients
from ._request import build_request, parse_response, timeout_from_ms
from ._response import RawResponse
from ._retry import RetryConfig
from ._send import Flow, MemoryBody, adrive, attempts, drive
from ._settings import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    ClientSettings,
    make_settings,
)

if TYPE_CHECKING:
    from ._download import SavingFile
    from ._loops import LoopClients
    from ._send import Body

__all__ = ["DEFAULT_CONNECTION_LIMITS", "AsyncOrq", "Orq"]

AsyncHttp = httpx2.AsyncClient | DefaultAioHttpClient

DEFAULT_CONNECTION_LIMITS = httpx2.Limits(
    max_connections=100, max_keepalive_connections=100, keepalive_expiry=5.0
)
"""The SDK's own pool: up to 100 connections, all of them kept alive between calls.

httpx2 keeps only 20 of its 100 alive, so every burst of calls above 20 would
close the rest and connect (TLS included) again on the next. More than 100
calls at once wait for a free connection rather than each opening a socket:
past that, a client spends more CPU on managing its pool than it gains. An idle
connection is closed after 5 s, before the usual server idle timeouts, so that
a call is never sent on a connection the server is closing.
"""


STRICT_ENV = "ORQ_STRICT_RESPONSE_VALIDATION"


def _strict(given: bool | None) -> bool:
    if given is None:
        return os.environ.get(STRICT_ENV, "") not in ("", "0")
    return bool(given)


def _pool_limits(given: object, limits: httpx2.Limits | None) -> httpx2.Limits:
    if limits is not None and given is not None:
        raise OrqError(
            "connection_limits applies to the SDK's own connections: "
            "set the limits of the http_client you pass instead"
        )
    if limits is not None and not isinstance(limits, httpx2.Limits):
        raise OrqError(f"connection_limits: expected an httpx2.Limits, got {limits!r}")
    return limits or DEFAULT_CONNECTION_LIMITS


@functools.cache
def _response_model(schema_name: str) -> Any:
    """The generated model of a schema, imported on first use."""
    from ._generated import models  # noqa: PLC0415 - `import orq_images` loads no model

    return getattr(models, schema_name)


def _sdk_error(exc: httpx2.TransportError) -> OrqError:
    """httpx's exception as the SDK's, to be raised from it."""
    request = exc.request
    # No query in messages: a download URL may carry a signature there.
    where = f"{request.method} {request.url.copy_with(query=None, fragment=None)}"
    if isinstance(exc, httpx2.TimeoutException):
        return APITimeoutError(f"{where} timed out ({type(exc).__name__})", request=request)
    return APIConnectionError(f"{where} failed: {type(exc).__name__}: {exc}", request=request)


class _TransportErrors:
    """httpx's exceptions, as the SDK's; the original stays as __cause__.

    For downloads. An API call catches them itself: a context manager held across
    an await is two more objects for the garbage collector per call in flight.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, httpx2.TransportError):
            raise _sdk_error(exc) from exc


def _refused_answer(response: httpx2.Response, problem: str) -> OrqError:
    return APIResponseValidationError(
        f"the {response.status_code} response {problem}", response=response, body=None
    )


HttpT = TypeVar("HttpT", httpx2.Client, AsyncHttp)


class _BaseClient(Generic[HttpT]):
    """What both clients share: their options, request building, parsing, downloads."""

    _settings: ClientSettings
    _limits: httpx2.Limits
    _closed: bool = False
    _sends_async = False  # AsyncOrq: its http_client is an async one
    _strict: bool = False

    def __init__(
        self,
        api_key: str | Callable[[], str] | None = None,
        *,
        server_url: str | None = None,
        timeout_ms: float | None = None,
        retry_config: RetryConfig | None = None,
        http_client: HttpT | None = None,
        async_http_client: httpx2.AsyncClient | None = None,
        connection_limits: httpx2.Limits | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        allow_link_local_urls: bool = False,
        strict_response_validation: bool | None = None,
        client: httpx2.Client | None = None,
        async_client: httpx2.AsyncClient | None = None,
    ) -> None:
        """Make a client; every option of both clients, documented once.

        Args:
            api_key: your orq.ai API key, or a function that returns it, called as each
                attempt is sent (to rotate keys). Default: the ORQ_API_KEY environment
                variable. Never shown: not in reprs, errors, logs or tracebacks' locals.
            server_url: the API's base URL. Default: the ORQ_BASE_URL environment
                variable, else the first server openapi.yaml names (orq.ai's API).
            timeout_ms: the most one attempt may take, from connecting to the last byte
                of the answer; each retry gets its own. Default: 600,000 (5,000 of it at
                most to connect).
            retry_config: client-side retries (RetryConfig). Default: 2 retries with
                backoff; `retries=` on a call overrides it for that call.
            http_client: the client to send through, used as it is (its transport,
                proxies and other requests are left alone) and not closed by the SDK: an
                httpx2.Client for Orq; an httpx2.AsyncClient, or DefaultAioHttpClient()
                to send on aiohttp (the `aiohttp` extra), for AsyncOrq.
            async_http_client: Orq only: an httpx2.AsyncClient for its `create_async`
                calls. Without it, one is made for each event loop they run in, closed
                with that loop or by close(). AsyncOrq's own connections are per loop
                too. The SDK's own connections are also per process: in a child after
                os.fork(), new ones are opened and the inherited ones left untouched.
            connection_limits: the pool of the SDK's own connections. Default:
                DEFAULT_CONNECTION_LIMITS (100, all kept alive). Not with http_client,
                whose limits are its own.
            max_response_bytes: the largest answer read, API response or image
                download, after decompression. Default: 100 MB.
            allow_link_local_urls: download image URLs on link-local and cloud-metadata
                addresses too. Default: refused.
            strict_response_validation: check every success body against the spec and
                refuse one that does not match (APIResponseValidationError). Default:
                off, or on when the ORQ_STRICT_RESPONSE_VALIDATION environment variable
                is 1; off, a field left out or null reads as None and unknown fields
                are kept, as openai-python reads them.
            client: orq-ai-sdk's name for http_client (Orq only): an httpx2.Client.
            async_client: orq-ai-sdk's name for the async client: an httpx2.AsyncClient,
                Orq's async_http_client or AsyncOrq's http_client.
        """
        key = ApiKey(api_key)
        del api_key  # from here on, no frame of the SDK holds the key bare (see _api_key.py)
        http_client, async_http_client = http_clients(  # type: ignore[assignment]
            sends_async=self._sends_async,
            http_client=http_client,
            async_http_client=async_http_client,
            client=client,
            async_client=async_client,
        )
        self._strict = _strict(strict_response_validation)
        self._settings = make_settings(
            api_key=key,
            server_url=server_url,
            timeout=DEFAULT_TIMEOUT if timeout_ms is None else timeout_from_ms(timeout_ms),
            retry_config=retry_config,
            max_response_bytes=max_response_bytes,
            allow_link_local_urls=allow_link_local_urls,
        )
        self._answers = MemoryBody(self._settings.max_response_bytes, _refused_answer)
        self._limits = _pool_limits(http_client, connection_limits)
        self._start(http_client, async_http_client)

    def _start(
        self, http_client: HttpT | None, async_http_client: httpx2.AsyncClient | None
    ) -> None:
        """Set up the client's connections and its `router`."""
        raise NotImplementedError

    def __repr__(self) -> str:
        # Also for a client whose construction failed: tracebacks rendered with their
        # locals show it (as `self` of __init__).
        settings: ClientSettings | None = getattr(self, "_settings", None)
        shown = "" if settings is None else f"server_url={settings.base_url!r}"
        return f"{type(self).__name__}({shown})"

    def _closed_error(self) -> OrqError:
        return OrqError(
            f"this {type(self).__name__} client was closed; make a new one to send requests"
        )

    def _check_open(self, http: httpx2.Client | AsyncHttp) -> None:
        if self._closed:
            raise self._closed_error()
        if http.is_closed:
            raise OrqError(f"the http_client given to {type(self).__name__} has been closed")

    def _call_flow(
        self,
        http: httpx2.Client | AsyncHttp,
        operation_id: str,
        fields: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> Flow:
        """The flow of one call through `http`, whose default headers it carries."""
        request = build_request(self._settings, http.headers, operation_id, fields, options)
        return attempts(request, self._settings.retry, self._answers)

    async def _async_http(self) -> AsyncHttp:
        """The http client async calls go through (each client says which)."""
        raise NotImplementedError

    async def _call_async(
        self,
        operation_id: str,
        fields: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        detailed: bool = False,
    ) -> Any:
        """One call of an operation, awaited: the generated router's methods land here."""
        http = await self._async_http()
        self._check_open(http)
        flow = self._call_flow(http, operation_id, fields, options)
        try:
            response = await adrive(http, flow)
        except httpx2.TransportError as exc:
            raise _sdk_error(exc) from exc
        return self._finish(operation_id, response, detailed)

    def _finish(self, operation_id: str, response: httpx2.Response, detailed: bool) -> Any:
        def parse() -> Any:
            return parse_response(
                operation_id, response, _response_model, self, strict=self._strict
            )

        if not detailed:
            return parse()
        if not response.is_success:
            parse()  # raises
        return RawResponse(response, parse)

    def _download_flow(self, url: str, target: Body) -> Flow:
        from ._download import ImageBody, download  # noqa: PLC0415 - only URL images need it

        limit = self._settings.max_response_bytes
        return download(
            url,
            ImageBody(limit, target),
            timeout=self._settings.timeout,
            retry=self._settings.retry,
            allow_link_local=self._settings.allow_link_local_urls,
        )

    def _image_in_memory(self) -> MemoryBody:
        from ._download import refused  # noqa: PLC0415

        return MemoryBody(self._settings.max_response_bytes, refused)

    def _image_in_file(self, file: SavingFile) -> Body:
        from ._download import FileBody  # noqa: PLC0415

        return FileBody(file, self._settings.max_response_bytes)

    # The Fetcher of images from this client (see _images.py). Each client provides
    # the http clients: `_download_http` (sync) and `_adownload_http` (async).

    def _download_http(self) -> AbstractContextManager[httpx2.Client]:
        raise OrqError(
            "this image came from an async client: use `await image.ato_bytes()` "
            "or `await image.asave(path)`"
        )

    def _adownload_http(self) -> AbstractAsyncContextManager[AsyncHttp]:
        raise NotImplementedError

    def _fetch_bytes(self, url: str) -> bytes:
        with self._download_http() as http, _TransportErrors():
            return drive(http, self._download_flow(url, self._image_in_memory())).content

    def _fetch_to(self, url: str, path: Path) -> None:
        from ._download import replacing  # noqa: PLC0415

        with self._download_http() as http, _TransportErrors(), replacing(path) as file:
            drive(http, self._download_flow(url, self._image_in_file(file)))

    async def _afetch_bytes(self, url: str) -> bytes:
        async with self._adownload_http() as http:
            with _TransportErrors():
                flow = self._download_flow(url, self._image_in_memory())
                return (await adrive(http, flow)).content

    async def _afetch_to(self, url: str, path: Path) -> None:
        from ._download import replacing  # noqa: PLC0415

        async with self._adownload_http() as http:
            with _TransportErrors(), replacing(path) as file:
                await adrive(http, self._download_flow(url, self._image_in_file(file)))

    def _new_http(self) -> httpx2.Client:
        return own_http.sync_client(self._settings.timeout, self._limits)

    def _new_async_http(self) -> httpx2.AsyncClient:
        return own_http.async_client(self._settings.timeout, self._limits)


class Orq(_BaseClient[httpx2.Client]):
    """The synchronous client; `create_async` methods are there too, as in orq's SDK.

    Its options, and the environment variables they default to, are those of
    `__init__` below (shared with AsyncOrq).
    """

    router: Router
    """`orq.router.<path>.create(...)`: one namespace per operation of the API."""

    def _start(
        self, http_client: httpx2.Client | None, async_http_client: httpx2.AsyncClient | None
    ) -> None:
        self._owns_http = http_client is None
        self._http = http_client or self._new_http()
        self._pid = os.getpid()
        self._given_async_http = async_http_client
        # Made by the first create_async call: sync programs never import asyncio.
        self._loop_clients: LoopClients | None = None
        self.router = Router(self)

    def _sync_http(self) -> httpx2.Client:
        """The http client to send through in this process (see _fork.py)."""
        if self._pid != os.getpid():
            self._renew_after_fork()
        return self._http

    def _renew_after_fork(self) -> None:
        with renewal_lock():
            if self._pid == os.getpid():
                return
            if self._owns_http and not self._http.is_closed:
                # The inherited client is dropped, never closed: closing would touch its
                # locks and its connections, which are the parent's too.
                self._http = self._new_http()
            self._pid = os.getpid()

    def _call(
        self,
        operation_id: str,
        fields: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        detailed: bool = False,
    ) -> Any:
        """One call of an operation: the generated router's methods land here."""
        http = self._sync_http()
        self._check_open(http)
        flow = self._call_flow(http, operation_id, fields, options)
        try:
            response = drive(http, flow)
        except httpx2.TransportError as exc:
            raise _sdk_error(exc) from exc
        return self._finish(operation_id, response, detailed)

    async def _async_http(self) -> httpx2.AsyncClient:
        if self._closed:
            raise self._closed_error()
        if self._given_async_http is not None:
            return self._given_async_http
        if self._loop_clients is None:
            from ._loops import LoopClients  # noqa: PLC0415 - it imports asyncio

            self._loop_clients = LoopClients(self._new_async_http)
        return await self._loop_clients.get()

    @contextmanager
    def _download_http(self) -> Iterator[httpx2.Client]:
        http = self._sync_http()
        if not http.is_closed:
            yield http
        elif self._owns_http:
            # The client was closed after the call: a short-lived connection, same settings.
            with self._new_http() as http:
                yield http
        else:
            raise OrqError(
                "cannot download this image: the http_client given to Orq has been closed"
            )

    @asynccontextmanager
    async def _adownload_http(self) -> AsyncIterator[httpx2.AsyncClient]:
        if self._closed and self._given_async_http is None:
            async with self._new_async_http() as http:
                yield http
        else:
            http = await self._async_http()
            if http.is_closed:
                raise OrqError(
                    "cannot download this image: the async_http_client given to Orq has been closed"
                )
            yield http

    def close(self) -> None:
        """Close the connections the SDK opened (not those of http clients passed in).

        From any thread, inside or outside an event loop: the connections of
        `create_async` calls are each closed on their own loop.
        """
        self._closed = True
        if self._owns_http:
            self._sync_http().close()
        if self._loop_clients is not None:
            self._loop_clients.close()

    async def aclose(self) -> None:
        """Close, including the async connections `create_async` opened."""
        self._closed = True
        if self._loop_clients is not None:
            await self._loop_clients.aclose()
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, *exc_info: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, *exc_info: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        await self.aclose()


class AsyncOrq(_BaseClient[AsyncHttp]):
    """The asynchronous client: the same calls and options as `Orq`, awaited.

    Its options, and the environment variables they default to, are those of
    `__init__` below (shared with Orq). A DefaultAioHttpClient() given as
    `http_client` is made for the SDK, so the client closes it with itself.
    Without an `http_client`, its own connections are per event loop: it works
    under any number of `asyncio.run()` calls, as `Orq.create_async` does.
    """

    _sends_async = True

    router: AsyncRouter
    """`orq.router.<path>.create(...)`, awaited: one namespace per operation of the API."""

    def _start(self, http_client: AsyncHttp | None, async_http_client: object) -> None:
        if async_http_client is not None:
            raise OrqError(
                "async_http_client is Orq's, for its create_async calls: "
                "AsyncOrq sends through http_client"
            )
        # A DefaultAioHttpClient is made for the SDK: it is the client's own to close.
        self._owns_http = http_client is None or isinstance(http_client, DefaultAioHttpClient)
        self._http: AsyncHttp | None = http_client
        # Without an http_client, the SDK's own: one per event loop.
        from ._loops import LoopClients  # noqa: PLC0415 - it imports asyncio

        self._loop_clients = LoopClients(self._new_async_http)
        self.router = AsyncRouter(self)

    async def _async_http(self) -> AsyncHttp:
        if self._closed:
            raise self._closed_error()
        if self._http is None:
            return await self._loop_clients.get()
        return self._http

    @asynccontextmanager
    async def _adownload_http(self) -> AsyncIterator[AsyncHttp]:
        http = self._http
        if http is not None and not http.is_closed:
            yield http
        elif http is None and not self._closed:
            yield await self._loop_clients.get()
        elif self._owns_http:
            # The client was closed after the call: a short-lived connection, same settings.
            fresh = (
                http.fresh() if isinstance(http, DefaultAioHttpClient) else self._new_async_http()
            )
            async with fresh as short_lived:
                yield short_lived
        else:
            raise OrqError(
                "cannot download this image: the http_client given to AsyncOrq has been closed"
            )

    async def close(self) -> None:
        """Close the connections the SDK opened (not those of an http_client passed in).

        From any event loop or thread: its own connections are each closed on
        their own loop.
        """
        self._closed = True
        if isinstance(self._http, DefaultAioHttpClient):
            await self._http.aclose()
        await self._loop_clients.aclose()

    async def aclose(self) -> None:
        """The same as close(), under the name httpx and openai use."""
        await self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, *exc_info: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        await self.close()
