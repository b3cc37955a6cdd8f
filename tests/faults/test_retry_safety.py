"""Retries that never bill twice, never herd, never fail on a header, never lose a connection.

- any Retry-After value is read or ignored, on the API and on downloads;
- a told wait is kept, plus up to `jitter` of itself;
- 1,000 failing answers of every kind leave a 2-connection pool whole;
- every attempt of one call carries the same Idempotency-Key and says which retry it is.
"""

from __future__ import annotations

import asyncio
import gzip
import random
import uuid

import httpx2
import pytest

from orq_images import (
    AsyncOrq,
    DefaultAioHttpClient,
    Orq,
    OrqError,
    RateLimitError,
    RetryConfig,
)
from orq_images._retry import next_delay
from orq_images.testing import LocalRouter
from tests.conftest import PNG_1X1, AsyncHttpFactory, image_response
from tests.faults.conftest import FAST, SLACK, gaps
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
MALFORMED_RETRY_AFTER = [
    "Mon, 01 Jan 2024 00:00:00 +9999999999999999999",
    "Mon, 01 Jan 99999 00:00:00 GMT",
    "Mon, 99 Jan 2024 00:00:00 GMT",
    "9" * 400,
    "1e400",
    "-5",
    "-1e400",
    "NaN",
    "inf",
    "soon",
    "",
    "\u00e9t\u00e9",
    "Mon, 01 Jan 2024 00:00:00",
    "0x10",
]


@pytest.mark.parametrize("value", MALFORMED_RETRY_AFTER)
def test_any_retry_after_is_read_or_ignored(server: LoopbackServer, value: str) -> None:
    server.queue(Reply(503, {"message": "busy"}, {"Retry-After": value}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        orq.router.images.generations.create(**PARAMS)
    assert len(server.requests) == 2
    assert gaps(server)[0] < 0.2 + SLACK  # ignored, or read as no wait: the backoff


@pytest.mark.parametrize("value", MALFORMED_RETRY_AFTER[:4])
def test_any_retry_after_on_a_download_is_read_or_ignored(
    server: LoopbackServer, value: str
) -> None:
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        server.queue(Reply(200, {"created": 1, "data": [{"url": server.url + "/a.png"}]}))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        server.queue(
            Reply(503, "busy", {"Retry-After": value}),
            Reply(200, PNG_1X1, {"Content-Type": "image/png"}),
        )
        assert image.to_bytes() == PNG_1X1


def test_told_waits_are_spread_and_never_shortened() -> None:
    told = httpx2.Response(429, headers={"Retry-After": "1"})
    random.seed(18)
    waits = [next_delay(RetryConfig(), 0, response=told) for _ in range(1000)]
    assert all(w is not None and 1.0 <= w <= 1.25 for w in waits)
    spread = [w for w in waits if w is not None]
    # 1,000 clients told to come back in 1 s do not all come back in the same 100 ms.
    assert max(spread) - min(spread) > 0.2
    assert sum(1 for w in spread if w < 1.1) < 600


def test_a_told_wait_is_at_least_what_was_told(server: LoopbackServer) -> None:
    server.queue(Reply(429, {"message": "slow"}, {"retry-after-ms": "200"}))
    config = RetryConfig(backoff_initial=3.0, jitter=1.0)
    with Orq(server_url=server.url, retry_config=config) as orq:
        orq.router.images.generations.create(**PARAMS)
    (gap,) = gaps(server)
    assert 0.2 <= gap <= 0.4 + SLACK


def _failing_answers(count: int) -> list[Reply]:
    overflow = {"Retry-After": MALFORMED_RETRY_AFTER[0]}
    bomb = gzip.compress(gzip.compress(bytes(8 * 2**20)))
    kinds = [
        Reply(503, {"message": "busy"}, overflow),
        Reply(429, {"message": "slow"}, {"Retry-After": "NaN"}),
        Reply(503, "x" * 200_000, {"Retry-After": "-5"}),  # too long to drain: cut off
        Reply(200, b"not json"),
        Reply(200, b"not gzip at all", {"Content-Encoding": "gzip"}),
        Reply(200, b"[" * 20_000),  # above max_response_bytes
        Reply(500, bomb, {"Content-Encoding": "gzip, gzip"}),
        Reply(200, image_response(), action="reset_mid_response"),
        Reply(400, {"message": "bad"}, overflow),
        Reply(404, "y" * 100_000),
    ]
    return [kinds[i % len(kinds)] for i in range(count)]


# Fast retries, one of them: each failing call takes one or two answers.
ONE_QUICK_RETRY = RetryConfig(max_retries=1, backoff_initial=0.0, jitter=0.0)
TWO_CONNECTIONS = httpx2.Limits(max_connections=2, max_keepalive_connections=2)


def test_a_thousand_failing_answers_leave_the_pool_whole(server: LoopbackServer) -> None:
    server.queue(*_failing_answers(1000))
    failures: list[OrqError] = []
    with Orq(
        server_url=server.url,
        retry_config=ONE_QUICK_RETRY,
        connection_limits=TWO_CONNECTIONS,
        max_response_bytes=16_384,
        timeout_ms=3000,  # a lost connection would show as a PoolTimeout after 3 s
    ) as orq:
        while len(server.requests) < 1000:
            try:
                orq.router.images.generations.create(**PARAMS)
            except OrqError as error:
                failures.append(error)
        assert orq.router.images.generations.create(**PARAMS).created == 1_732_233_600
    assert len(failures) > 500
    assert not [e for e in failures if isinstance(e.__cause__, httpx2.PoolTimeout)]


def test_a_thousand_failing_answers_leave_the_async_pool_whole(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    server.queue(*_failing_answers(1000))

    async def main() -> None:
        http: httpx2.AsyncClient | DefaultAioHttpClient = (
            DefaultAioHttpClient(limits=TWO_CONNECTIONS)
            if async_http_factory.transport == "aiohttp"
            else httpx2.AsyncClient(limits=TWO_CONNECTIONS)
        )
        async with AsyncOrq(
            server_url=server.url,
            retry_config=ONE_QUICK_RETRY,
            http_client=http,
            max_response_bytes=16_384,
            timeout_ms=3000,
        ) as orq:
            while len(server.requests) < 1000:
                try:
                    await orq.router.images.generations.create(**PARAMS)
                except OrqError as error:
                    failures.append(error)
            result = await orq.router.images.generations.create(**PARAMS)
            assert result.created == 1_732_233_600
        if isinstance(http, httpx2.AsyncClient):
            await http.aclose()

    failures: list[OrqError] = []
    asyncio.run(main())
    assert len(failures) > 500
    assert not [e for e in failures if isinstance(e.__cause__, httpx2.PoolTimeout)]


def test_every_attempt_of_a_call_carries_one_idempotency_key(server: LoopbackServer) -> None:
    server.queue(Reply(503, {"message": "busy"}), Reply(429, {"message": "slow"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        orq.router.images.generations.create(**PARAMS)
        orq.router.images.generations.create(**PARAMS)
    first, retry, second_retry, next_call = server.requests
    key = first.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4
    assert retry.headers["idempotency-key"] == second_retry.headers["idempotency-key"] == key
    assert next_call.headers["idempotency-key"] != key
    assert [r.headers["x-retry-count"] for r in server.requests] == ["0", "1", "2", "0"]
    assert all(r.header_names.count("Idempotency-Key") == 1 for r in server.requests)


def test_the_callers_idempotency_key_is_used_for_every_attempt(server: LoopbackServer) -> None:
    server.queue(Reply(503, {"message": "busy"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        orq.router.images.generations.create(
            **PARAMS, http_headers={"Idempotency-Key": "order-1234"}
        )
    assert [r.headers["idempotency-key"] for r in server.requests] == ["order-1234"] * 2


def test_an_idempotency_key_among_the_clients_defaults_is_not_shared(
    server: LoopbackServer,
) -> None:
    # One key on every call would make a server that honours it answer them all alike.
    with httpx2.Client(headers={"Idempotency-Key": "shared"}) as http:
        orq = Orq(server_url=server.url, http_client=http)
        orq.router.images.generations.create(**PARAMS)
        orq.router.images.generations.create(**PARAMS)
    keys = [r.headers["idempotency-key"] for r in server.requests]
    assert "shared" not in keys
    assert len(set(keys)) == 2


def test_local_router_logs_the_key_and_the_retry_count() -> None:
    with LocalRouter() as router:
        router.queue_fault(503)
        with Orq(api_key="k", server_url=router.url, retry_config=FAST) as orq:
            orq.router.images.generations.create(**PARAMS)
        first, retry = router.requests
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert (first.headers["x-retry-count"], retry.headers["x-retry-count"]) == ("0", "1")


def test_async_attempts_carry_one_key_too(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    server.queue(Reply(503, {"message": "busy"}))

    async def main() -> None:
        async with AsyncOrq(
            server_url=server.url, retry_config=FAST, http_client=async_http_factory()
        ) as orq:
            await orq.router.images.generations.create(**PARAMS)

    asyncio.run(main())
    first, retry = server.requests
    assert first.headers["idempotency-key"] == retry.headers["idempotency-key"]
    assert (first.headers["x-retry-count"], retry.headers["x-retry-count"]) == ("0", "1")


def test_a_rate_limit_that_asks_too_much_is_raised_with_its_wait(server: LoopbackServer) -> None:
    server.queue(Reply(429, {"message": "slow"}, {"Retry-After": "9" * 30}))
    with Orq(server_url=server.url, retry_config=FAST) as orq, pytest.raises(RateLimitError):
        orq.router.images.generations.create(**PARAMS)
    assert len(server.requests) == 1
