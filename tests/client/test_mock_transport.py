"""A caller's client on httpx2.MockTransport, as applications test with: its handler's
responses hold their body already, and the SDK reads them with the same bounds."""

from __future__ import annotations

import httpx2
import pytest

from orq_images import APIResponseValidationError, AsyncOrq, Orq

BODY = {"created": 1, "data": [{"b64_json": "aGk="}]}


def _answer(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json=BODY)


def test_a_sync_client_on_a_mock_transport_reads_its_answer() -> None:
    http = httpx2.Client(transport=httpx2.MockTransport(_answer))
    with Orq(api_key="k", http_client=http) as orq:
        res = orq.router.images.generations.create(prompt="p", model="m")
    assert res.data[0].to_bytes() == b"hi"


async def test_an_async_client_on_a_mock_transport_reads_its_answer() -> None:
    async def answer(request: httpx2.Request) -> httpx2.Response:
        return _answer(request)

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    async with AsyncOrq(api_key="k", http_client=http) as orq:
        res = await orq.router.images.generations.create(prompt="p", model="m")
    assert res.data[0].to_bytes() == b"hi"


def test_an_answer_in_hand_is_bounded_too() -> None:
    http = httpx2.Client(transport=httpx2.MockTransport(_answer))
    with (
        Orq(api_key="k", http_client=http, max_response_bytes=10) as orq,
        pytest.raises(APIResponseValidationError, match="max_response_bytes"),
    ):
        orq.router.images.generations.create(prompt="p", model="m")
