"""Retries, as an httpx transport: every request the SDK sends goes through it.

The decision (retry or not, and after how long) is one pure function shared by
the sync and async transports; they differ only in how they wait. A call can
override the client's policy through the request extension `RETRY_EXTENSION`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

logger = logging.getLogger("orq_images")

RETRY_EXTENSION = "orq_images.retry"


@dataclass(frozen=True)
class RetryConfig:
    """When and how often a failed request is sent again.

    The wait before retry n (from 0) is `backoff_initial * 2**n`, capped at
    `backoff_max`, less up to `jitter` of itself at random, unless the server
    asks for a wait with Retry-After or retry-after-ms. A requested wait above
    `max_retry_after` is not honoured by waiting: the error is raised at once.
    """

    max_retries: int = 2
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset({408, 409, 429, 500, 502, 503, 504})
    )
    retry_connection_errors: bool = True

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter}")

    @classmethod
    def coerce(cls, value: RetryConfig | int, base: RetryConfig) -> RetryConfig:
        """`retries=` takes a RetryConfig or a number of retries on top of the client's policy."""
        if isinstance(value, RetryConfig):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"retries: expected a RetryConfig or an int, got {value!r}")
        return cls(**{**base.__dict__, "max_retries": value})


NO_RETRIES = RetryConfig(max_retries=0)


def retry_after_seconds(headers: httpx2.Headers) -> float | None:
    """The wait a response asks for: retry-after-ms, or Retry-After in seconds or as a date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _backoff(config: RetryConfig, retry_number: int) -> float:
    delay = min(config.backoff_initial * 2.0**retry_number, config.backoff_max)
    return delay * (1 - config.jitter * random.random())  # noqa: S311 - jitter, not crypto


def next_delay(
    config: RetryConfig,
    retry_number: int,
    *,
    response: httpx2.Response | None = None,
    error: Exception | None = None,
) -> float | None:
    """Seconds to wait before sending again, or None to stop and hand back the outcome."""
    if retry_number >= config.max_retries:
        return None
    if error is not None:
        retryable = isinstance(error, httpx2.TimeoutException | httpx2.NetworkError)
        retryable = retryable or isinstance(error, httpx2.RemoteProtocolError)
        return (
            _backoff(config, retry_number) if retryable and config.retry_connection_errors else None
        )
    assert response is not None
    should_retry = response.headers.get("x-should-retry")
    if should_retry == "false":
        return None
    if should_retry != "true" and response.status_code not in config.retry_statuses:
        return None
    asked = retry_after_seconds(response.headers)
    if asked is None:
        return _backoff(config, retry_number)
    return asked if asked <= config.max_retry_after else None


def _config_for(request: httpx2.Request, default: RetryConfig) -> RetryConfig:
    config = request.extensions.get(RETRY_EXTENSION)
    return config if isinstance(config, RetryConfig) else default


def _log_retry(request: httpx2.Request, retry_number: int, delay: float, why: str) -> None:
    logger.info(
        "Retrying %s %s in %.2f s (retry %d): %s",
        request.method,
        request.url.path,
        delay,
        retry_number + 1,
        why,
    )


# An error body up to this size is read before the retry, so that its connection
# goes back to the pool and the retry does not pay for a new connection (and TLS).
_DRAIN_LIMIT = 64 * 1024


def _deadline(request: httpx2.Request) -> float | None:
    """When this attempt must be over: the timeout bounds the whole answer, not each read."""
    timeout = request.extensions.get("timeout", {}).get("read")
    return None if timeout is None else time.monotonic() + timeout


def _small(response: httpx2.Response) -> bool:
    length = response.headers.get("content-length", "")
    return length.isdigit() and int(length) <= _DRAIN_LIMIT


class _Bounded(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A response body that stops with ReadTimeout once its attempt's deadline has passed.

    A server that trickles its answer never trips a per-read timeout; this does.
    The final answer's body is read through it inside the retry loop and handed
    on as a ByteStream, so the client's own read (and `elapsed`) work as usual.
    """

    def __init__(self, stream: Any, deadline: float | None, request: httpx2.Request) -> None:
        self._stream = stream
        self._deadline = deadline
        self._request = request

    def _check(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise httpx2.ReadTimeout(
                "the answer took longer than the timeout", request=self._request
            )

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            self._check()
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            self._check()
            yield chunk

    def close(self) -> None:
        self._stream.close()

    async def aclose(self) -> None:
        await self._stream.aclose()


class RetryTransport(httpx2.BaseTransport):
    """Wraps a transport; sends a request again on retryable failures.

    The body of the final answer is read here, inside the retry loop, so a
    connection that breaks or stalls mid-body is retried like any other.
    """

    def __init__(self, inner: httpx2.BaseTransport, config: RetryConfig | None = None) -> None:
        self.inner = inner
        self.config = config or RetryConfig()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        config = _config_for(request, self.config)
        retry_number = 0
        while True:
            deadline = _deadline(request)
            try:
                response = self.inner.handle_request(request)
                delay = next_delay(config, retry_number, response=response)
                if delay is None:
                    body = _Bounded(response.stream, deadline, request)
                    try:
                        response.stream = httpx2.ByteStream(b"".join(body))
                    finally:
                        body.close()
                    return response
                why = f"status {response.status_code}"
                if _small(response):
                    response.read()
                response.close()
            except (httpx2.TransportError, httpx2.TimeoutException) as exc:
                delay = next_delay(config, retry_number, error=exc)
                if delay is None:
                    raise
                why = type(exc).__name__
            _log_retry(request, retry_number, delay, why)
            time.sleep(delay)
            retry_number += 1

    def close(self) -> None:
        self.inner.close()


class AsyncRetryTransport(httpx2.AsyncBaseTransport):
    """The async twin of RetryTransport: the same decisions, awaited waits."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, config: RetryConfig | None = None) -> None:
        self.inner = inner
        self.config = config or RetryConfig()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        config = _config_for(request, self.config)
        retry_number = 0
        while True:
            deadline = _deadline(request)
            try:
                response = await self.inner.handle_async_request(request)
                delay = next_delay(config, retry_number, response=response)
                if delay is None:
                    body = _Bounded(response.stream, deadline, request)
                    try:
                        response.stream = httpx2.ByteStream(b"".join([c async for c in body]))
                    finally:
                        await body.aclose()
                    return response
                why = f"status {response.status_code}"
                if _small(response):
                    await response.aread()
                await response.aclose()
            except (httpx2.TransportError, httpx2.TimeoutException) as exc:
                delay = next_delay(config, retry_number, error=exc)
                if delay is None:
                    raise
                why = type(exc).__name__
            _log_retry(request, retry_number, delay, why)
            import asyncio  # noqa: PLC0415 - loaded on the first async retry, not at import

            await asyncio.sleep(delay)
            retry_number += 1

    async def aclose(self) -> None:
        await self.inner.aclose()
