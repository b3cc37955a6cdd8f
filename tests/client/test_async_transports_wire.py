"""Both async transports put the same request on the wire, JSON and multipart alike."""

from __future__ import annotations

from typing import Any

import pytest

from orq_images import AsyncOrq
from tests.conftest import PNG_1X1, AsyncHttpFactory
from tests.support.server import LoopbackServer, RecordedRequest

# Headers that describe the connection, not the call: each HTTP stack writes its own.
CONNECTION_HEADERS = {"host", "connection", "accept-encoding"}
CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "json": ("generations", {"prompt": "a fox é", "model": "openai/gpt-image-1"}),
    "multipart": (
        "variations",
        {"model": "openai/dall-e-2", "image": ("a.png", PNG_1X1 + bytes(300_000))},
    ),
}


async def _sent(server: LoopbackServer, transport: str, kind: str) -> RecordedRequest:
    endpoint, params = CALLS[kind]
    async with AsyncOrq(
        server_url=server.url,
        http_client=AsyncHttpFactory(transport)(),
        timeout_ms=10_000,
    ) as orq:
        await getattr(orq.router.images, endpoint).create(
            # The caller's Idempotency-Key, so both calls carry the same one.
            **params,
            http_headers={"X-Trace": "abc-123", "Idempotency-Key": f"key-{kind}"},
        )
    return server.requests[-1]


def _call_headers(request: RecordedRequest) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k not in CONNECTION_HEADERS}


@pytest.mark.parametrize("kind", CALLS)
async def test_the_aiohttp_request_is_the_httpx2_request(server: LoopbackServer, kind: str) -> None:
    on_httpx2 = await _sent(server, "httpx2", kind)
    on_aiohttp = await _sent(server, "aiohttp", kind)
    assert (on_aiohttp.method, on_aiohttp.path) == (on_httpx2.method, on_httpx2.path)
    headers = _call_headers(on_aiohttp)
    expected = _call_headers(on_httpx2)
    if kind == "multipart":  # a fresh random boundary each time
        assert headers.pop("content-type").startswith("multipart/form-data; boundary=")
        assert expected.pop("content-type").startswith("multipart/form-data; boundary=")
        assert [p.value for p in on_aiohttp.parts()] == [p.value for p in on_httpx2.parts()]
    else:
        assert on_aiohttp.body == on_httpx2.body
    assert headers == expected
    assert "transfer-encoding" not in headers  # the upload goes with its Content-Length


def test_a_transport_factory_names_itself(async_http_factory: AsyncHttpFactory) -> None:
    assert repr(async_http_factory) == async_http_factory.transport
