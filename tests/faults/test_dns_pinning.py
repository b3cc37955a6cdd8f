"""Image downloads connect to the address that was checked, and a failed look-up refuses.

A resolver the test controls (socket.getaddrinfo, which httpcore, anyio, asyncio
and aiohttp's default resolver all call) answers "images.test" differently on
successive look-ups, or fails, or is slow. Two servers listen on the same port:
the checked one on 127.0.0.1 and, on 127.0.0.2, the one a second look-up would
lead to. Each test runs sync and on both async transports.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from orq_images import AsyncOrq, DownloadError, Orq
from tests.conftest import ASYNC_TRANSPORTS, PNG_1X1, AsyncHttpFactory
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
HOST = "images.test"
PNG = {"Content-Type": "image/png"}
Answer = list[str] | OSError | float


class Resolver:
    """socket.getaddrinfo for HOST: each look-up takes the next answer (the last repeats).

    An answer is the addresses, an OSError to raise, or seconds to hang for.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: Answer) -> None:
        self.answers = list(answers)
        self.lookups = 0
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (HOST, HOST.encode()):
            return self._real(host, port, *args, **kwargs)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        if isinstance(answer, OSError):
            raise answer
        if isinstance(answer, float):
            time.sleep(answer)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))
            for address in answer
        ]


@pytest.fixture
def servers() -> Iterator[tuple[LoopbackServer, LoopbackServer]]:
    """The checked server on 127.0.0.1, and another on 127.0.0.2 at the same port."""
    with LoopbackServer(Reply(200, PNG_1X1, PNG)) as checked:
        port = int(checked.url.rsplit(":", 1)[1])
        with LoopbackServer(Reply(200, b"not this one", PNG), host="127.0.0.2", port=port) as other:
            yield checked, other


@pytest.fixture(params=["sync", *ASYNC_TRANSPORTS])
def fetch(request: pytest.FixtureRequest, server: LoopbackServer) -> Any:
    """`fetch(image_url, **client_options)`: the bytes of a generated image at that URL."""

    def run(url: str, **options: Any) -> bytes:
        server.queue(Reply(200, {"created": 1, "data": [{"url": url}]}))
        if request.param == "sync":
            with Orq(server_url=server.url, **options) as orq:
                return orq.router.images.generations.create(**PARAMS).data[0].to_bytes()

        async def fetch_async() -> bytes:
            http = AsyncHttpFactory(request.param)()
            async with AsyncOrq(server_url=server.url, http_client=http, **options) as orq:
                result = await orq.router.images.generations.create(**PARAMS)
                return await result.data[0].ato_bytes()

        return asyncio.run(fetch_async())

    return run


def _url(servers: tuple[LoopbackServer, LoopbackServer]) -> str:
    return f"http://{HOST}:{servers[0].url.rsplit(':', 1)[1]}/a.png"


def test_the_connection_goes_to_the_checked_address_whatever_dns_says_next(
    fetch: Any, servers: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked, other = servers
    resolver = Resolver(monkeypatch, ["127.0.0.1"], ["127.0.0.2"])
    assert fetch(_url(servers)) == PNG_1X1
    assert len(checked.requests) == 1
    assert checked.requests[0].headers["host"] == _url(servers).split("/")[2]
    assert other.requests == []
    assert resolver.lookups == 1


def test_every_address_is_checked(
    fetch: Any, servers: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    Resolver(monkeypatch, ["127.0.0.1", "169.254.169.254"])
    with pytest.raises(DownloadError, match="link-local"):
        fetch(_url(servers))
    assert servers[0].requests == servers[1].requests == []


def test_a_failed_lookup_refuses_the_download(
    fetch: Any, servers: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    Resolver(monkeypatch, failure, ["127.0.0.1"])
    with pytest.raises(DownloadError, match="could not be looked up"):
        fetch(_url(servers))
    assert servers[0].requests == servers[1].requests == []


def test_allowing_link_local_addresses_skips_the_check(
    fetch: Any, servers: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    Resolver(monkeypatch, ["127.0.0.1"])
    assert fetch(_url(servers), allow_link_local_urls=True) == PNG_1X1


def test_a_slow_lookup_is_bounded_by_the_attempt_timeout(
    fetch: Any, servers: tuple[LoopbackServer, LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    Resolver(monkeypatch, 4.0)
    started = time.monotonic()
    with pytest.raises(DownloadError, match=r"could not be looked up.*1 s timeout"):
        fetch(_url(servers), timeout_ms=1000)
    assert time.monotonic() - started < 1.8
    assert servers[0].requests == servers[1].requests == []


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_with_a_callers_http_client_an_answer_from_a_forbidden_peer_is_refused_unread(
    server: LoopbackServer,
    servers: tuple[LoopbackServer, LoopbackServer],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """A caller's client resolves names itself: the SDK checks where the answer came from."""
    from orq_images import _download

    forbidden = {*_download._METADATA_ADDRESSES, ipaddress.ip_address("127.0.0.2")}
    monkeypatch.setattr(_download, "_METADATA_ADDRESSES", frozenset(forbidden))
    Resolver(monkeypatch, ["127.0.0.1"], ["127.0.0.2"])
    server.queue(Reply(200, {"created": 1, "data": [{"url": _url(servers)}]}))

    def fetch_sync() -> None:
        with httpx2.Client() as http, Orq(server_url=server.url, http_client=http) as orq:
            orq.router.images.generations.create(**PARAMS).data[0].to_bytes()

    async def fetch_async() -> None:
        async with httpx2.AsyncClient() as http:
            orq = AsyncOrq(server_url=server.url, http_client=http)
            result = await orq.router.images.generations.create(**PARAMS)
            await result.data[0].ato_bytes()

    with pytest.raises(DownloadError, match="link-local or cloud-metadata"):
        fetch_sync() if kind == "sync" else asyncio.run(fetch_async())
    assert servers[0].requests == []
    assert len(servers[1].requests) == 1  # the request went out; its answer was not read


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/a.png", "port 99999"),
        ("http://127.0.0.1:0/a.png", "port 0"),
        ("http://images .test/a.png", "space"),
    ],
)
def test_an_image_url_no_connection_can_use_is_a_download_error(
    fetch: Any, url: str, problem: str
) -> None:
    with pytest.raises(DownloadError, match=problem):
        fetch(url)
