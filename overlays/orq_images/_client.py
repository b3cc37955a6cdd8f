"""The client facade: `Orq` and `AsyncOrq`, whose calls read like orq's docs.

    with Orq(api_key=...) as orq:
        res = orq.router.images.generations.create(prompt=..., model=...)

Both share one base for settings, request building and response parsing
(_request.py); they differ only in how they send. Retries live in the HTTP
transport (_retry.py), so every request, downloads included, goes through them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import httpx2

from ._exceptions import APIConnectionError, APITimeoutError, OrqError
from ._request import ClientSettings, build_request, download_error, parse_response, timeout_from_ms
from ._resources import AsyncRouter, Router
from ._response import RawResponse
from ._retry import AsyncRetryTransport, RetryConfig, RetryTransport

DEFAULT_BASE_URL = "https://api.orq.ai"
DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=5.0)
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


def _settings(
    api_key: str | None,
    server_url: str | None,
    timeout_ms: int | None,
    retry_config: RetryConfig | None,
) -> ClientSettings:
    key = api_key or os.environ.get("ORQ_API_KEY")
    if not key:
        raise OrqError(
            "no API key: pass Orq(api_key=...) or set the ORQ_API_KEY environment variable"
        )
    base_url = server_url or os.environ.get("ORQ_BASE_URL") or DEFAULT_BASE_URL
    if not base_url.startswith(("http://", "https://")):
        raise OrqError(f"server_url must start with http:// or https://, got {base_url!r}")
    if retry_config is not None and not isinstance(retry_config, RetryConfig):
        raise TypeError(f"retry_config: expected a RetryConfig, got {retry_config!r}")
    return ClientSettings(
        api_key=key,
        base_url=base_url,
        timeout=DEFAULT_TIMEOUT if timeout_ms is None else timeout_from_ms(timeout_ms),
        retry=retry_config or RetryConfig(),
    )


@contextmanager
def _transport_errors(request: httpx2.Request) -> Iterator[None]:
    """httpx's exceptions, as the SDK's; the original stays as __cause__."""
    try:
        yield
    except httpx2.TimeoutException as exc:
        message = f"{request.method} {request.url} timed out ({type(exc).__name__})"
        raise APITimeoutError(message, request=request) from exc
    except httpx2.TransportError as exc:
        message = f"{request.method} {request.url} failed: {type(exc).__name__}: {exc}"
        raise APIConnectionError(message, request=request) from exc


def _download_request(settings: ClientSettings, url: str) -> httpx2.Request:
    # No Authorization header: an image URL may point at another host.
    request = httpx2.Request("GET", url, headers={"Accept": "image/*"})
    request.extensions = {"timeout": settings.timeout.as_dict()}
    return request


def _pool_limits(given: object, limits: httpx2.Limits | None) -> httpx2.Limits:
    if limits is not None and given is not None:
        raise OrqError(
            "connection_limits applies to the SDK's own connections: "
            "set the limits of the http_client you pass instead"
        )
    if limits is not None and not isinstance(limits, httpx2.Limits):
        raise OrqError(f"connection_limits: expected an httpx2.Limits, got {limits!r}")
    return limits or DEFAULT_CONNECTION_LIMITS


def _client_with_retries(
    given: httpx2.Client | None, settings: ClientSettings, limits: httpx2.Limits
) -> httpx2.Client:
    """The SDK's own client, or the caller's with the retry layer around its transport."""
    if given is None:
        transport = RetryTransport(httpx2.HTTPTransport(limits=limits), settings.retry)
        return httpx2.Client(transport=transport, timeout=settings.timeout)
    if not isinstance(given._transport, RetryTransport):
        given._transport = RetryTransport(given._transport, settings.retry)
    return given


def _async_client_with_retries(
    given: httpx2.AsyncClient | None, settings: ClientSettings, limits: httpx2.Limits
) -> httpx2.AsyncClient:
    """The async twin of _client_with_retries."""
    if given is None:
        transport = AsyncRetryTransport(httpx2.AsyncHTTPTransport(limits=limits), settings.retry)
        return httpx2.AsyncClient(transport=transport, timeout=settings.timeout)
    if not isinstance(given._transport, AsyncRetryTransport):
        given._transport = AsyncRetryTransport(given._transport, settings.retry)
    return given


class _BaseClient:
    _settings: ClientSettings

    def __repr__(self) -> str:
        return f"{type(self).__name__}(server_url={self._settings.base_url!r})"

    def _async_http(self) -> httpx2.AsyncClient:
        raise NotImplementedError

    def _request(self, operation_id: str, params: Mapping[str, Any]) -> httpx2.Request:
        return build_request(self._settings, self._default_headers(), operation_id, params)

    def _default_headers(self) -> httpx2.Headers:
        raise NotImplementedError

    async def _async_download(self, url: str) -> bytes:
        request = _download_request(self._settings, url)
        with _transport_errors(request):
            response = await self._async_http().send(request)
        error = download_error(response)
        if error is not None:
            raise error
        return response.content

    async def _call_async(
        self, operation_id: str, params: Mapping[str, Any], *, detailed: bool = False
    ) -> Any:
        request = self._request(operation_id, params)
        with _transport_errors(request):
            response = await self._async_http().send(request)
        return self._finish(operation_id, response, None, self._async_download, detailed)

    @staticmethod
    def _finish(
        operation_id: str,
        response: httpx2.Response,
        download: Any,
        async_download: Any,
        detailed: bool,
    ) -> Any:
        if not detailed:
            return parse_response(operation_id, response, download, async_download)
        if not response.is_success:
            parse_response(operation_id, response, download, async_download)  # raises
        return RawResponse(
            response, lambda: parse_response(operation_id, response, download, async_download)
        )


class Orq(_BaseClient):
    """The synchronous client; `create_async` methods are there too, as in orq's SDK.

    `http_client`: an httpx2.Client to send through (not closed by the SDK); the
    SDK wraps its transport with the retry layer.
    `connection_limits`: the pool of the SDK's own connections (default
    DEFAULT_CONNECTION_LIMITS); not with `http_client`, whose limits are its own.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retry_config: RetryConfig | None = None,
        http_client: httpx2.Client | None = None,
        connection_limits: httpx2.Limits | None = None,
    ) -> None:
        self._settings = _settings(api_key, server_url, timeout_ms, retry_config)
        self._limits = _pool_limits(http_client, connection_limits)
        self._owns_http = http_client is None
        self._http = _client_with_retries(http_client, self._settings, self._limits)
        self._lazy_async_http: httpx2.AsyncClient | None = None
        self.router = Router(self)

    def _default_headers(self) -> httpx2.Headers:
        return self._http.headers

    def _async_http(self) -> httpx2.AsyncClient:
        if self._lazy_async_http is None:
            self._lazy_async_http = _async_client_with_retries(None, self._settings, self._limits)
        return self._lazy_async_http

    def _download(self, url: str) -> bytes:
        request = _download_request(self._settings, url)
        with _transport_errors(request):
            response = self._http.send(request)
        error = download_error(response)
        if error is not None:
            raise error
        return response.content

    def _call(self, operation_id: str, params: Mapping[str, Any], *, detailed: bool = False) -> Any:
        request = self._request(operation_id, params)
        with _transport_errors(request):
            response = self._http.send(request)
        return self._finish(operation_id, response, self._download, None, detailed)

    def close(self) -> None:
        """Close the connections the SDK opened (not those of an http_client passed in)."""
        if self._owns_http:
            self._http.close()

    async def aclose(self) -> None:
        """Close, including the async connections `create_async` opened."""
        self.close()
        if self._lazy_async_http is not None:
            await self._lazy_async_http.aclose()

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


class AsyncOrq(_BaseClient):
    """The asynchronous client: the same calls as `Orq`, awaited, with the same settings."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retry_config: RetryConfig | None = None,
        http_client: httpx2.AsyncClient | None = None,
        connection_limits: httpx2.Limits | None = None,
    ) -> None:
        self._settings = _settings(api_key, server_url, timeout_ms, retry_config)
        limits = _pool_limits(http_client, connection_limits)
        self._owns_http = http_client is None
        self._http = _async_client_with_retries(http_client, self._settings, limits)
        self.router = AsyncRouter(self)

    def _default_headers(self) -> httpx2.Headers:
        return self._http.headers

    def _async_http(self) -> httpx2.AsyncClient:
        return self._http

    async def close(self) -> None:
        """Close the connections the SDK opened (not those of an http_client passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, *exc_info: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        await self.close()
