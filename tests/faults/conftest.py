"""What the fault tests share: a fast, jitter-free retry policy and ways to time attempts.

Every async guarantee is tested on both async transports, the SDK's own httpx2
client and `DefaultAioHttpClient` (aiohttp). Two fixtures do it:

- `call` (and `generate`, built on it) runs each test three times: sync, and async
  on each transport (`call.transport` is "sync", "httpx2" or "aiohttp");
- `async_http_factory` (tests/conftest.py) is for a test that makes its own
  AsyncOrq: `AsyncOrq(..., http_client=async_http_factory())` runs it once per
  transport (`async_http_factory.transport` names which).

A new async test gets both transports by taking one of them.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orq_images import AsyncOrq, Orq, RetryConfig
from tests.conftest import ASYNC_TRANSPORTS, AsyncHttpFactory
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


class Call:
    """`call(endpoint, params, **client_options)`: one call on a fresh Orq, or AsyncOrq.

    `endpoint` is "generations" or "variations"; the client points at `url` unless
    the options say otherwise. `transport` is "sync", or the async transport.
    """

    def __init__(self, transport: str, url: str) -> None:
        self.transport = transport
        self.url = url

    def __call__(self, endpoint: str, params: dict[str, Any], **options: Any) -> Any:
        options = {"server_url": self.url, **options}
        if self.transport == "sync":
            with Orq(**options) as orq:
                return getattr(orq.router.images, endpoint).create(**params)
        return asyncio.run(self._async_call(endpoint, params, options))

    async def _async_call(
        self, endpoint: str, params: dict[str, Any], options: dict[str, Any]
    ) -> Any:
        http = AsyncHttpFactory(self.transport)()
        async with AsyncOrq(**options, http_client=http) as orq:
            return await getattr(orq.router.images, endpoint).create(**params)


@pytest.fixture(params=["sync", *ASYNC_TRANSPORTS])
def call(request: pytest.FixtureRequest, server: LoopbackServer) -> Call:
    """One call, sync or async on each async transport (see Call)."""
    return Call(request.param, server.url)


@pytest.fixture
def generate(call: Call) -> Generate:
    """`generate(prompt=..., **client_options)`: one generations call, sync or async."""

    def run(prompt: str = "a fox", **options: Any) -> Any:
        return call("generations", {"prompt": prompt, "model": "openai/gpt-image-1"}, **options)

    return run


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
