"""Many calls at once share a bounded pool of kept-alive connections.

500 calls started together must neither open 500 sockets nor wait in line for
a handful: the server, which holds each answer for a moment so that the calls
overlap, sees at most the pool's limit of connections (told apart by the
client's port) and many requests in flight at once. A second burst reuses the
connections of the first instead of opening new ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest

from orq_images import (
    DEFAULT_CONNECTION_LIMITS,
    AsyncOrq,
    DefaultAioHttpClient,
    Orq,
    OrqError,
    RetryConfig,
)
from tests.conftest import AsyncHttpFactory, image_response
from tests.support.server import LoopbackServer, Reply

CALLS = 500
HOLD = 0.2  # seconds the server holds each answer
NO_RETRIES = RetryConfig(max_retries=0)


@pytest.fixture
def slow_server() -> Iterator[LoopbackServer]:
    with LoopbackServer(Reply(200, image_response(), delay=HOLD)) as running:
        yield running


def ports(server: LoopbackServer, first: int = 0) -> set[int]:
    return {request.client_port for request in server.requests[first:]}


def test_the_default_pool_is_wide_and_keeps_every_connection_alive() -> None:
    assert DEFAULT_CONNECTION_LIMITS.max_connections == 100
    assert DEFAULT_CONNECTION_LIMITS.max_keepalive_connections == 100
    assert DEFAULT_CONNECTION_LIMITS.keepalive_expiry == 5.0


async def test_500_tasks_share_at_most_100_connections(
    slow_server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    async with AsyncOrq(
        server_url=slow_server.url, retry_config=NO_RETRIES, http_client=async_http_factory()
    ) as orq:

        async def burst() -> None:
            create = orq.router.images.generations.create
            await asyncio.gather(*(create(prompt=f"p{i}", model="m") for i in range(CALLS)))

        await burst()
        first = ports(slow_server)
        assert len(slow_server.requests) == CALLS
        assert len(first) <= 100
        assert slow_server.peak_in_flight >= 50  # not queued behind a pool of 10

        await burst()
        assert ports(slow_server, CALLS) <= first  # kept alive: no new connection


async def test_the_aiohttp_pool_takes_the_limits_it_is_given(slow_server: LoopbackServer) -> None:
    limits = httpx2.Limits(max_connections=8, max_keepalive_connections=8)
    async with AsyncOrq(
        server_url=slow_server.url,
        retry_config=NO_RETRIES,
        http_client=DefaultAioHttpClient(limits=limits),
    ) as orq:
        create = orq.router.images.generations.create
        await asyncio.gather(*(create(prompt=f"p{i}", model="m") for i in range(40)))
    assert len(ports(slow_server)) <= 8
    assert slow_server.peak_in_flight == 8


def test_200_threads_share_at_most_100_connections(slow_server: LoopbackServer) -> None:
    with (
        Orq(server_url=slow_server.url, retry_config=NO_RETRIES) as orq,
        ThreadPoolExecutor(max_workers=200) as pool,
    ):
        calls = [
            pool.submit(orq.router.images.generations.create, prompt=f"p{i}", model="m")
            for i in range(CALLS)
        ]
        for call in calls:
            call.result()
    assert len(ports(slow_server)) <= 100
    assert slow_server.peak_in_flight >= 50


async def test_connection_limits_are_the_callers_to_set(slow_server: LoopbackServer) -> None:
    limits = httpx2.Limits(max_connections=8, max_keepalive_connections=8)
    async with AsyncOrq(
        server_url=slow_server.url, retry_config=NO_RETRIES, connection_limits=limits
    ) as orq:
        create = orq.router.images.generations.create
        await asyncio.gather(*(create(prompt=f"p{i}", model="m") for i in range(40)))
    assert len(ports(slow_server)) <= 8
    assert slow_server.peak_in_flight == 8


def test_connection_limits_with_an_http_client_is_refused() -> None:
    with (
        httpx2.Client() as given,
        pytest.raises(OrqError, match=r"connection_limits.*http_client"),
    ):
        Orq(http_client=given, connection_limits=httpx2.Limits(max_connections=4))
