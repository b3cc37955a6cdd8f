"""A callable api_key (orq-ai-sdk's way to rotate keys) is asked once per attempt.

Its answer is checked as a static key is, and neither a bad answer nor a failure
of the callable shows a key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from orq_images import AsyncOrq, Orq, OrqError
from tests.conftest import AsyncHttpFactory
from tests.faults.conftest import FAST
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}


def rotating() -> Callable[[], str]:
    keys = iter(["sk-first-0a1b\n", "sk-second-2c3d", "sk-third-4e5f"])
    return lambda: next(keys)


def sent_keys(server: LoopbackServer) -> list[str]:
    return [request.headers["authorization"] for request in server.requests]


def test_a_retry_asks_the_callable_again_and_sends_the_new_key(server: LoopbackServer) -> None:
    server.queue(Reply(503), Reply(429, headers={"retry-after-ms": "1"}))
    with Orq(api_key=rotating(), server_url=server.url, retry_config=FAST) as orq:
        orq.router.images.generations.create(**PARAMS)
    assert sent_keys(server) == [
        "Bearer sk-first-0a1b",
        "Bearer sk-second-2c3d",
        "Bearer sk-third-4e5f",
    ]


def test_create_async_asks_it_per_attempt_too(server: LoopbackServer) -> None:
    server.queue(Reply(503))
    with Orq(api_key=rotating(), server_url=server.url, retry_config=FAST) as orq:
        asyncio.run(orq.router.images.generations.create_async(**PARAMS))
    assert sent_keys(server) == ["Bearer sk-first-0a1b", "Bearer sk-second-2c3d"]


def test_the_async_client_asks_it_per_attempt(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    async def main() -> None:
        http = async_http_factory()
        async with AsyncOrq(
            api_key=rotating(), server_url=server.url, retry_config=FAST, http_client=http
        ) as orq:
            await orq.router.images.generations.create(**PARAMS)

    server.queue(Reply(503))
    asyncio.run(main())
    assert sent_keys(server) == ["Bearer sk-first-0a1b", "Bearer sk-second-2c3d"]


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), repr(error.args)]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (lambda: "sk-bad-77aa\r\nX-Injected: 1", "control character"),
        (lambda: "sk-bad-77aa\x00", "control character"),
        (lambda: "sk-bad-77aaé", "non-ASCII"),
        (lambda: "  ", "is empty"),
        (lambda: 12345, "must be a string, got int"),
    ],
)
def test_a_bad_answer_is_refused_like_a_bad_key_without_showing_it(
    server: LoopbackServer, answer: Callable[[], Any], problem: str
) -> None:
    orq = Orq(api_key=answer, server_url=server.url)
    with pytest.raises(OrqError, match=problem) as caught:
        orq.router.images.generations.create(**PARAMS)
    assert "API key that api_key returned" in str(caught.value)
    assert all("sk-bad-77aa" not in text for text in _texts(caught.value))
    assert server.requests == []


def test_a_failing_callable_is_an_orq_error_naming_api_key_with_its_cause(
    server: LoopbackServer,
) -> None:
    def vault() -> str:
        raise ConnectionError("the vault is down")

    with (
        Orq(api_key=vault, server_url=server.url) as orq,
        pytest.raises(
            OrqError, match=r"api_key: the callable .* failed \(ConnectionError\)"
        ) as caught,
    ):
        orq.router.images.generations.create(**PARAMS)
    assert isinstance(caught.value.__cause__, ConnectionError)
    assert server.requests == []


def test_an_async_function_is_refused_with_what_to_pass(server: LoopbackServer) -> None:
    async def key() -> str:
        return "sk-async"

    orq = Orq(api_key=key, server_url=server.url)  # type: ignore[arg-type]
    with pytest.raises(OrqError, match="awaitable: pass a plain function"):
        orq.router.images.generations.create(**PARAMS)
    assert server.requests == []


def test_the_callable_is_not_called_for_image_downloads(server: LoopbackServer) -> None:
    calls: list[int] = []

    def key() -> str:
        calls.append(1)
        return "sk-downloads"

    server.queue(Reply(200, {"created": 1, "data": [{"url": f"{server.url}/files/a.png"}]}))
    server.queue(Reply(200, b"\x89PNG\r\n\x1a\n", {"Content-Type": "image/png"}))
    with Orq(api_key=key, server_url=server.url) as orq:
        orq.router.images.generations.create(**PARAMS).data[0].to_bytes()
    assert calls == [1]
    assert "authorization" not in server.requests[1].headers
