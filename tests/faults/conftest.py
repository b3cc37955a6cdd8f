"""What the fault tests share: a fast, jitter-free retry policy and ways to time attempts."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orq_images import AsyncOrq, Orq, RetryConfig
from tests.support.server import LoopbackServer

# Backoff waits of 0.05 s then 0.1 s, exactly: the tests check the waits, not just the count.
FAST = RetryConfig(backoff_initial=0.05, backoff_max=0.2, jitter=0.0)
# A wait the server asks for replaces this backoff, so taking ~3 s would show it was ignored.
SLOW_BACKOFF = RetryConfig(backoff_initial=3.0, backoff_max=3.0, jitter=0.0)
# Time a request takes on loopback on a busy 2-core machine, on top of any wait.
SLACK = 0.3


@pytest.fixture
def orq(server: LoopbackServer) -> Iterator[Orq]:
    with Orq(server_url=server.url, retry_config=FAST) as client:
        yield client


Generate = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def generate(request: pytest.FixtureRequest, server: LoopbackServer) -> Generate:
    """`generate(prompt=..., **client_options)`: one call on a fresh Orq, or AsyncOrq.

    The client points at `server` unless the options say otherwise.
    """
    model = "openai/gpt-image-1"

    def sync_call(prompt: str = "a fox", **options: Any) -> Any:
        with Orq(**{"server_url": server.url, **options}) as orq:
            return orq.router.images.generations.create(prompt=prompt, model=model)

    async def async_call(prompt: str, **options: Any) -> Any:
        async with AsyncOrq(**{"server_url": server.url, **options}) as orq:
            return await orq.router.images.generations.create(prompt=prompt, model=model)

    if request.param == "sync":
        return sync_call
    return lambda prompt="a fox", **options: asyncio.run(async_call(prompt, **options))


def gaps(server: LoopbackServer) -> list[float]:
    """Seconds between consecutive requests the server received."""
    times = [request.received_at for request in server.requests]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def assert_waits(server: LoopbackServer, expected: list[float]) -> None:
    """Each gap between attempts is its expected wait, plus at most SLACK."""
    measured = gaps(server)
    assert len(measured) == len(expected), (measured, expected)
    for gap, wait in zip(measured, expected, strict=True):
        assert wait <= gap <= wait + SLACK, (measured, expected)


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
