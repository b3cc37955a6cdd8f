"""The retry policy, as a pure decision and through the transport on a real server."""

from __future__ import annotations

import email.utils
import logging
import time

import httpx2
import pytest

from orq_images import InternalServerError, Orq, RateLimitError, RetryConfig
from orq_images._retry import next_delay, retry_after_seconds
from tests.conftest import API_KEY, AsyncHttpFactory
from tests.support.server import LoopbackServer, Reply

FAST = RetryConfig(backoff_initial=0.01, backoff_max=0.02)


def response(status: int, **headers: str) -> httpx2.Response:
    return httpx2.Response(status, headers=headers)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses(status: int) -> None:
    assert next_delay(RetryConfig(), 0, response=response(status)) is not None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501])
def test_not_retryable_statuses(status: int) -> None:
    assert next_delay(RetryConfig(), 0, response=response(status)) is None


def test_backoff_doubles_with_jitter_and_caps() -> None:
    config = RetryConfig(max_retries=10)
    for retry_number, base in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)]:
        delays = [next_delay(config, retry_number, response=response(503)) for _ in range(50)]
        assert all(d is not None and base * 0.75 <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_retries_stop_after_max() -> None:
    assert next_delay(RetryConfig(max_retries=2), 2, response=response(503)) is None
    assert next_delay(RetryConfig(max_retries=0), 0, response=response(503)) is None


def test_server_asked_waits() -> None:
    assert retry_after_seconds(httpx2.Headers({"retry-after": "7"})) == 7
    assert retry_after_seconds(httpx2.Headers({"retry-after-ms": "1500"})) == 1.5
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after_seconds(httpx2.Headers({"retry-after": date})) or 0) <= 30
    assert retry_after_seconds(httpx2.Headers({"retry-after": "soon"})) is None
    told = next_delay(RetryConfig(), 0, response=response(429, **{"retry-after": "3"}))
    assert told is not None
    assert 3 <= told <= 3 * 1.25  # never shorter than asked; up to `jitter` longer
    # Longer than the policy allows: no retry, the error is raised at once.
    assert next_delay(RetryConfig(), 0, response=response(429, **{"retry-after": "61"})) is None


def test_x_should_retry_wins() -> None:
    assert next_delay(RetryConfig(), 0, response=response(400, **{"x-should-retry": "true"}))
    assert (
        next_delay(RetryConfig(), 0, response=response(503, **{"x-should-retry": "false"})) is None
    )


def test_what_the_server_may_have_done_decides_a_retry() -> None:
    request = httpx2.Request("POST", "http://x")
    never_sent = [
        httpx2.ConnectError("no", request=request),
        httpx2.ConnectTimeout("slow", request=request),
        httpx2.PoolTimeout("busy", request=request),
        httpx2.WriteError("cut", request=request),
    ]
    unanswered = [
        httpx2.ReadTimeout("slow", request=request),
        httpx2.ReadError("reset", request=request),
        httpx2.RemoteProtocolError("closed", request=request),
    ]
    opted_in = RetryConfig(retry_unanswered=True)
    for error in never_sent:
        assert next_delay(RetryConfig(), 0, error=error)
    for error in unanswered:
        assert next_delay(RetryConfig(), 0, error=error) is None  # it may be generating
        assert next_delay(RetryConfig(), 0, error=error, unsent=True)  # an upload cut short
        assert next_delay(RetryConfig(), 0, error=error, idempotent=True)  # a download
        assert next_delay(opted_in, 0, error=error)
    no_conn = RetryConfig(retry_connection_errors=False)
    assert next_delay(no_conn, 0, error=httpx2.ConnectError("no", request=request)) is None


def test_default_client_retries_twice_then_raises(server: LoopbackServer) -> None:
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        server.queue(*[Reply(503, {"message": "busy"})] * 3)
        with pytest.raises(InternalServerError, match="busy"):
            orq.router.images.generations.create(prompt="p", model="m")
        assert len(server.requests) == 3
        assert RetryConfig().max_retries == 2


def test_a_retry_that_succeeds(server: LoopbackServer, caplog: pytest.LogCaptureFixture) -> None:
    with Orq(server_url=server.url, retry_config=RetryConfig(jitter=0.0)) as orq:
        server.queue(Reply(429, {"message": "slow"}, {"retry-after-ms": "120"}))
        with caplog.at_level(logging.DEBUG):
            started = time.monotonic()
            result = orq.router.images.generations.create(prompt="p", model="m")
        assert result.created == 1_732_233_600
        first, second = server.requests
        assert second.received_at - first.received_at >= 0.11
        assert time.monotonic() - started < 2
        retries = [
            r for r in caplog.records if r.name == "orq_images" and r.levelno == logging.INFO
        ]
        assert len(retries) == 1
        assert "in 0.12 s (retry 1)" in retries[0].getMessage()
        assert all(API_KEY not in r.getMessage() for r in caplog.records)


def test_long_retry_after_raises_at_once_with_the_value(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        server.queue(Reply(429, {"message": "quota"}, {"Retry-After": "3600"}))
        started = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            orq.router.images.generations.create(prompt="p", model="m")
        assert caught.value.retry_after == 3600
        assert len(server.requests) == 1
        assert time.monotonic() - started < 1


def test_per_call_retries_override_the_client(server: LoopbackServer) -> None:
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        server.queue(Reply(503))
        with pytest.raises(InternalServerError):
            orq.router.images.generations.create(prompt="p", model="m", retries=0)
        assert len(server.requests) == 1

        server.queue(*[Reply(503)] * 4)
        orq.router.images.generations.create(prompt="p", model="m", retries=4)
        assert len(server.requests) == 1 + 5

        server.queue(Reply(503), Reply(503))
        with pytest.raises(InternalServerError):
            orq.router.images.generations.create(
                prompt="p", model="m", retries=RetryConfig(max_retries=1)
            )
        assert len(server.requests) == 6 + 2


def test_retries_reject_nonsense() -> None:
    with pytest.raises(TypeError, match="retries"):
        RetryConfig.coerce("3", RetryConfig())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_retries"):
        RetryConfig(max_retries=-1)


async def test_async_client_retries_too(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    from orq_images import AsyncOrq

    server.queue(Reply(502), Reply(504))
    async with AsyncOrq(
        server_url=server.url, retry_config=FAST, http_client=async_http_factory()
    ) as orq:
        result = await orq.router.images.generations.create(prompt="p", model="m")
    assert result.created == 1_732_233_600
    assert len(server.requests) == 3
