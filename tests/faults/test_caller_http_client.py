"""An http_client passed in is used as it is: never rewired, its own requests untouched.

Retries and deadlines apply to the SDK's requests through it; two SDK clients
sharing it keep their own policies. And a success is never sent twice.
"""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from orq_images import AsyncOrq, IncompleteResponseError, InternalServerError, Orq, RetryConfig
from tests.conftest import image_response
from tests.faults.conftest import FAST, SLACK, Generate
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}


def test_the_http_client_is_not_modified(server: LoopbackServer) -> None:
    http = httpx2.Client()
    transport, mounts = http._transport, dict(http._mounts)
    with Orq(server_url=server.url, http_client=http, retry_config=FAST) as orq:
        server.queue(Reply(503))
        orq.router.images.generations.create(**PARAMS)
    assert http._transport is transport
    assert dict(http._mounts) == mounts
    assert len(server.requests) == 2  # the SDK's call was retried all the same
    http.close()


def test_the_apps_own_requests_are_neither_retried_nor_buffered(server: LoopbackServer) -> None:
    http = httpx2.Client()
    Orq(server_url=server.url, http_client=http, retry_config=FAST)
    server.queue(Reply(503, {"message": "busy"}))
    assert http.get(f"{server.url}/app").status_code == 503
    assert len(server.requests) == 1  # not retried
    server.queue(Reply(200, b"x" * 100_000, action="drip"))
    with http.stream("GET", f"{server.url}/app") as streamed:
        first = next(streamed.iter_raw())
        assert len(first) < 100_000  # streamed as it comes, not buffered by a retry layer
    http.close()


def test_two_clients_sharing_one_http_client_keep_their_own_policies(
    server: LoopbackServer,
) -> None:
    http = httpx2.Client()
    patient = Orq(server_url=server.url, http_client=http, retry_config=FAST)
    impatient = Orq(server_url=server.url, http_client=http, retry_config=RetryConfig(0))
    server.queue(Reply(503))
    with pytest.raises(InternalServerError):
        impatient.router.images.generations.create(**PARAMS)
    assert len(server.requests) == 1
    server.queue(Reply(503), Reply(503))
    patient.router.images.generations.create(**PARAMS)
    assert len(server.requests) == 1 + 3
    server.queue(Reply(503))
    with pytest.raises(InternalServerError):
        impatient.router.images.generations.create(**PARAMS)
    assert len(server.requests) == 4 + 1
    http.close()


def test_an_async_http_client_is_not_modified_either(server: LoopbackServer) -> None:
    async def main() -> None:
        async with httpx2.AsyncClient() as http:
            transport = http._transport
            orq = AsyncOrq(server_url=server.url, http_client=http, retry_config=FAST)
            server.queue(Reply(503))
            await orq.router.images.generations.create(**PARAMS)
            assert http._transport is transport
            server.queue(Reply(503))
            assert (await http.get(f"{server.url}/app")).status_code == 503

    asyncio.run(main())
    assert len(server.requests) == 3


def test_a_success_asking_for_a_retry_is_not_sent_again(
    generate: Generate, server: LoopbackServer
) -> None:
    server.queue(Reply(200, image_response(created=3), {"x-should-retry": "true"}))
    assert generate(retry_config=FAST).created == 3
    assert len(server.requests) == 1


def test_the_sdks_deadline_applies_through_the_http_client(server: LoopbackServer) -> None:
    body = {"created": 1, "data": [{"url": "https://images.example/" + "a" * 60}]}
    # 7 chunks, 0.2 s apart: 1.4 s. A success is never sent again, so one attempt.
    server.queue(Reply(200, body, action="drip"))
    with httpx2.Client(timeout=None) as http:
        orq = Orq(server_url=server.url, http_client=http, timeout_ms=400, retry_config=FAST)
        started = time.monotonic()
        with pytest.raises(IncompleteResponseError) as caught:
            orq.router.images.generations.create(**PARAMS)
        assert time.monotonic() - started <= 0.4 + SLACK
    assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)
    assert len(server.requests) == 1
