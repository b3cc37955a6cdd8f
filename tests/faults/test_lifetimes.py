"""Closed clients say so; create_async on Orq survives any number of event loops."""

from __future__ import annotations

import asyncio
import gc
import re
import sys
import threading
import warnings
import weakref
from typing import Any

import httpx2
import pytest

from orq_images import AsyncOrq, DefaultAioHttpClient, Orq, OrqError
from tests.conftest import AsyncHttpFactory
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}


def test_a_call_after_close_says_the_client_was_closed(server: LoopbackServer) -> None:
    orq = Orq(server_url=server.url)
    orq.close()
    with pytest.raises(OrqError, match="Orq client was closed"):
        orq.router.images.generations.create(**PARAMS)
    with pytest.raises(OrqError, match="Orq client was closed"):
        asyncio.run(orq.router.images.generations.create_async(**PARAMS))
    assert server.requests == []


def test_a_call_after_close_on_the_async_client(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    async def main() -> None:
        async with AsyncOrq(server_url=server.url, http_client=async_http_factory()) as orq:
            await orq.router.images.generations.create(**PARAMS)
            http = await orq._async_http()
        assert http.is_closed  # its own connections, aiohttp's included, went with it
        with pytest.raises(OrqError, match="AsyncOrq client was closed"):
            await orq.router.images.generations.create(**PARAMS)

    asyncio.run(main())
    assert len(server.requests) == 1


def test_without_aiohttp_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # as if it were not installed
    with pytest.raises(OrqError, match=re.escape('pip install "orq-images[aiohttp]"')):
        DefaultAioHttpClient()


def test_the_aiohttp_pool_takes_its_limits_itself(server: LoopbackServer) -> None:
    with pytest.raises(OrqError, match="set the limits of the http_client"):
        AsyncOrq(http_client=DefaultAioHttpClient(), connection_limits=httpx2.Limits())
    with pytest.raises(OrqError, match=r"limits: expected an httpx2\.Limits"):
        DefaultAioHttpClient(limits=10)  # type: ignore[arg-type]


def test_a_call_through_a_closed_http_client_says_so(server: LoopbackServer) -> None:
    http = httpx2.Client()
    orq = Orq(server_url=server.url, http_client=http)
    http.close()
    with pytest.raises(OrqError, match="http_client given to Orq has been closed"):
        orq.router.images.generations.create(**PARAMS)


def test_create_async_works_under_many_event_loops(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq, warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        for _ in range(5):
            result = asyncio.run(orq.router.images.generations.create_async(**PARAMS))
            assert result.created == 1_732_233_600
        gc.collect()
    assert len(server.requests) == 5


def test_create_async_connections_close_with_their_loop_and_with_close(
    server: LoopbackServer,
) -> None:
    orq = Orq(server_url=server.url)
    clients: list[httpx2.AsyncClient] = []

    async def call() -> None:
        await orq.router.images.generations.create_async(**PARAMS)
        clients.append(await orq._async_http())

    asyncio.run(call())
    assert clients[0].is_closed  # closed as asyncio.run shut its loop down

    loop = asyncio.new_event_loop()
    loop.run_until_complete(call())
    assert not clients[1].is_closed
    orq.close()  # the loop is still open: its client is closed by close()
    assert clients[1].is_closed
    loop.close()


async def test_aclose_and_async_with_close_create_async_connections(
    server: LoopbackServer,
) -> None:
    async with Orq(server_url=server.url) as orq:
        await orq.router.images.generations.create_async(**PARAMS)
        http = await orq._async_http()
    assert http.is_closed


def test_create_async_honours_an_async_http_client(server: LoopbackServer) -> None:
    async def main() -> None:
        async with httpx2.AsyncClient(headers={"X-App": "mine"}) as http:
            with Orq(server_url=server.url, async_http_client=http) as orq:
                server.queue(Reply(503))
                await orq.router.images.generations.create_async(**PARAMS)
            assert not http.is_closed  # the caller's: not closed by the SDK

    asyncio.run(main())
    assert [r.headers.get("x-app") for r in server.requests] == ["mine", "mine"]


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_create_async_keeps_no_event_loop_alive(server: LoopbackServer) -> None:
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def call(orq: Orq) -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        await orq.router.images.generations.create_async(**PARAMS)

    with Orq(server_url=server.url) as orq:
        for _ in range(50):  # the allocator's pools and every cache settle first
            asyncio.run(call(orq))
        gc.collect()
        before = _rss_mb()
        for _ in range(500):
            asyncio.run(call(orq))
        gc.collect()
        grown = _rss_mb() - before
        assert [ref for ref in loops if ref() is not None] == []
    assert grown < 5, f"RSS grew {grown:.1f} MB over 500 event loops"
    assert len(server.requests) == 550


def test_close_inside_a_loop_closes_the_client_of_another_idle_loop(
    server: LoopbackServer,
) -> None:
    orq = Orq(server_url=server.url)
    idle = asyncio.new_event_loop()

    async def call() -> httpx2.AsyncClient:
        await orq.router.images.generations.create_async(**PARAMS)
        return await orq._async_http()

    idle_http = idle.run_until_complete(call())

    async def close_inside_a_loop() -> None:
        orq.close()

    asyncio.run(close_inside_a_loop())
    assert idle_http.is_closed  # closed on its own loop
    idle.close()


def test_close_from_another_thread_closes_a_running_loops_client(server: LoopbackServer) -> None:
    orq = Orq(server_url=server.url)
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever)
    runner.start()
    try:

        async def call() -> httpx2.AsyncClient:
            await orq.router.images.generations.create_async(**PARAMS)
            return await orq._async_http()

        http = asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=10)
        orq.close()  # from this thread, while the loop runs in another
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), loop).result(timeout=10)
        assert http.is_closed
        with pytest.raises(OrqError, match="closed"):
            asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join()
        loop.close()


def test_aclose_from_another_loop(server: LoopbackServer) -> None:
    orq = Orq(server_url=server.url)
    first = asyncio.new_event_loop()

    async def call() -> httpx2.AsyncClient:
        await orq.router.images.generations.create_async(**PARAMS)
        return await orq._async_http()

    http = first.run_until_complete(call())
    asyncio.run(orq.aclose())
    assert http.is_closed
    first.close()


def test_async_orq_works_under_many_event_loops_and_closes_from_any(
    server: LoopbackServer,
) -> None:
    orq = AsyncOrq(server_url=server.url)
    clients: list[Any] = []

    async def call() -> None:
        await orq.router.images.generations.create(**PARAMS)
        clients.append(await orq._async_http())

    asyncio.run(call())
    asyncio.run(call())  # its own connections are per loop: a closed loop's are not reused
    assert clients[0] is not clients[1]
    assert clients[0].is_closed  # with its loop
    idle = asyncio.new_event_loop()
    idle.run_until_complete(call())
    asyncio.run(orq.close())  # from yet another loop
    assert clients[2].is_closed
    idle.close()
    assert len(server.requests) == 3


def test_an_aiohttp_client_used_from_another_event_loop_says_so(server: LoopbackServer) -> None:
    orq = AsyncOrq(server_url=server.url, http_client=DefaultAioHttpClient())

    async def call() -> None:
        await orq.router.images.generations.create(**PARAMS)

    asyncio.run(call())
    with pytest.raises(OrqError, match="make one per event loop"):
        asyncio.run(call())  # aiohttp's own error would be a raw RuntimeError
    assert len(server.requests) == 1
