"""Proxy environment variables are honoured as httpx2 honours them (trust_env).

The proxy is a small forwarding HTTP proxy on 127.0.0.1 that counts what it carries.
"""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any
from urllib.parse import urlsplit

import pytest

from orq_images import AsyncOrq, Orq
from tests.conftest import AsyncHttpFactory
from tests.support.server import LoopbackServer

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}


class CountingProxy:
    """Forwards absolute-form HTTP requests to their origin; `seen` lists their URLs."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self._forward()

            def do_GET(self) -> None:
                self._forward()

            def _forward(self) -> None:
                proxy.seen.append(self.path)
                target = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                try:
                    upstream.request(self.command, target.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02})

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with CountingProxy() as running:
        monkeypatch.setenv("HTTP_PROXY", running.url)
        monkeypatch.delenv("http_proxy", raising=False)
        yield running


def test_calls_go_through_the_proxy_the_environment_names(
    proxy: CountingProxy, server: LoopbackServer
) -> None:
    with Orq(server_url=server.url) as orq:
        orq.router.images.generations.create(**PARAMS)
    assert proxy.seen == [f"{server.url}/v2/router/images/generations"]
    assert len(server.requests) == 1


def test_async_calls_too(
    proxy: CountingProxy, server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    async def main() -> None:
        async with AsyncOrq(server_url=server.url, http_client=async_http_factory()) as orq:
            await orq.router.images.generations.create(**PARAMS)

    asyncio.run(main())
    assert proxy.seen == [f"{server.url}/v2/router/images/generations"]


def test_async_calls_honour_no_proxy(
    proxy: CountingProxy,
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    async_http_factory: AsyncHttpFactory,
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    async def main() -> None:
        async with AsyncOrq(server_url=server.url, http_client=async_http_factory()) as orq:
            await orq.router.images.generations.create(**PARAMS)

    asyncio.run(main())
    assert proxy.seen == []
    assert len(server.requests) == 1


def test_no_proxy_is_honoured(
    proxy: CountingProxy, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with Orq(server_url=server.url) as orq:
        orq.router.images.generations.create(**PARAMS)
    assert proxy.seen == []
    assert len(server.requests) == 1
