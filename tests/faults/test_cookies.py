"""SDK calls keep no cookies and send none, through the SDK's own clients or the caller's.

Every answer here sets 50 cookies of new names, as a load balancer or a tracking
proxy might; a jar that kept them would grow by 50 a call, and offer them back.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx2

from orq_images import AsyncOrq, Orq
from tests.conftest import AsyncHttpFactory, image_response
from tests.support.server import LoopbackServer, RecordedRequest, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
CALLS = 40
_names = itertools.count()


def fifty_cookies(request: RecordedRequest) -> Reply:
    cookies = [("Set-Cookie", f"c{next(_names)}=v; Path=/") for _ in range(50)]
    return Reply(200, image_response(), more_headers=cookies)


def test_the_sync_client_keeps_no_cookies() -> None:
    with LoopbackServer(respond=fifty_cookies) as server, Orq(server_url=server.url) as orq:
        for _ in range(CALLS):
            orq.router.images.generations.create(**PARAMS)
        assert len(orq._http.cookies.jar) == 0
    assert len(server.requests) == CALLS
    assert all("cookie" not in request.headers for request in server.requests)


def test_the_async_clients_keep_no_cookies(async_http_factory: AsyncHttpFactory) -> None:
    async def main(server: LoopbackServer) -> int:
        async with AsyncOrq(server_url=server.url, http_client=async_http_factory()) as orq:
            for _ in range(CALLS):
                await orq.router.images.generations.create(**PARAMS)
            http = await orq._async_http()
            jar = http.cookies.jar if isinstance(http, httpx2.AsyncClient) else []
            return len(jar)

    with LoopbackServer(respond=fifty_cookies) as server:
        assert asyncio.run(main(server)) == 0
    assert all("cookie" not in request.headers for request in server.requests)


def test_create_async_keeps_no_cookies() -> None:
    async def main(orq: Orq) -> int:
        for _ in range(CALLS):
            await orq.router.images.generations.create_async(**PARAMS)
        return len((await orq._async_http()).cookies.jar)

    with LoopbackServer(respond=fifty_cookies) as server, Orq(server_url=server.url) as orq:
        assert asyncio.run(main(orq)) == 0
    assert all("cookie" not in request.headers for request in server.requests)


def test_a_callers_http_client_keeps_its_own_cookies_and_gains_none() -> None:
    with LoopbackServer(respond=fifty_cookies) as server:
        with httpx2.Client(cookies={"session": "mine"}) as http:
            orq = Orq(server_url=server.url, http_client=http)
            for _ in range(CALLS):
                orq.router.images.generations.create(**PARAMS)
            assert [cookie.name for cookie in http.cookies.jar] == ["session"]
            http.get(f"{server.url}/app")  # the application's own request, with its jar
        sdk_calls, app_call = server.requests[:-1], server.requests[-1]
    assert all("cookie" not in request.headers for request in sdk_calls)
    assert app_call.headers["cookie"] == "session=mine"


def test_a_callers_async_http_client_gains_no_cookies() -> None:
    async def main(server: LoopbackServer) -> list[str]:
        async with httpx2.AsyncClient(cookies={"session": "mine"}) as http:
            orq = AsyncOrq(server_url=server.url, http_client=http)
            for _ in range(CALLS):
                await orq.router.images.generations.create(**PARAMS)
            return [cookie.name for cookie in http.cookies.jar]

    with LoopbackServer(respond=fifty_cookies) as server:
        assert asyncio.run(main(server)) == ["session"]
    assert all("cookie" not in request.headers for request in server.requests)
