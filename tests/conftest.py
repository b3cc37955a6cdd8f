"""Fixtures shared by every test folder."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from orq_images import DefaultAioHttpClient
from tests.support.server import LoopbackServer, Reply

API_KEY = "sk-test-4f9c2e-do-not-leak"
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def image_response(**extra: object) -> dict[str, object]:
    """A valid generations/variations response body holding one small PNG."""
    body: dict[str, object] = {
        "created": 1_732_233_600,
        "data": [{"b64_json": base64.b64encode(PNG_1X1).decode()}],
    }
    body.update(extra)
    return body


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(Reply(200, image_response(), {"x-request-id": "req_123"})) as running:
        yield running


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never see the developer's real key or base URL.
    monkeypatch.setenv("ORQ_API_KEY", API_KEY)
    monkeypatch.delenv("ORQ_BASE_URL", raising=False)
    # The project's own tests hold every success body to the spec; users get lenient
    # parsing unless they ask (tests/client/test_lenient_responses.py covers that).
    monkeypatch.setenv("ORQ_STRICT_RESPONSE_VALIDATION", "1")


ASYNC_TRANSPORTS = ("httpx2", "aiohttp")


class AsyncHttpFactory:
    """Makes what to pass as AsyncOrq's `http_client` to run on `transport`.

    None for "httpx2" (the SDK's own httpx2 client), a fresh DefaultAioHttpClient
    for "aiohttp".
    """

    def __init__(self, transport: str) -> None:
        if transport not in ASYNC_TRANSPORTS:
            raise ValueError(f"unknown async transport {transport!r}")
        self.transport = transport

    def __call__(self) -> DefaultAioHttpClient | None:
        return DefaultAioHttpClient() if self.transport == "aiohttp" else None

    def __repr__(self) -> str:
        return self.transport


@pytest.fixture(params=ASYNC_TRANSPORTS)
def async_http_factory(request: pytest.FixtureRequest) -> AsyncHttpFactory:
    """Runs a test once per async transport: `AsyncOrq(..., http_client=async_http_factory())`."""
    return AsyncHttpFactory(request.param)
