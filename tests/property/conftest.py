"""One loopback server and one client per module: Hypothesis runs many examples per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orq_images import Orq, RetryConfig
from tests.conftest import API_KEY, image_response
from tests.support.server import LoopbackServer, Reply


@pytest.fixture(scope="module")
def loopback() -> Iterator[LoopbackServer]:
    with LoopbackServer(Reply(200, image_response())) as running:
        yield running


@pytest.fixture(scope="module")
def client(loopback: LoopbackServer) -> Iterator[Orq]:
    with Orq(
        API_KEY,
        server_url=loopback.url,
        retry_config=RetryConfig(max_retries=0),
        strict_response_validation=True,
    ) as orq:
        yield orq


@pytest.fixture(scope="module")
def lenient_client(loopback: LoopbackServer) -> Iterator[Orq]:
    with Orq(
        API_KEY,
        server_url=loopback.url,
        retry_config=RetryConfig(max_retries=0),
        strict_response_validation=False,
    ) as orq:
        yield orq
