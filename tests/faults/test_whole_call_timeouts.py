"""timeout_ms bounds each attempt as a whole: connecting, uploading, waiting, reading.

A server that trickles its headers or its body, or reads an upload slowly, never
trips a per-read timeout; the attempt's deadline stops it all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from orq_images import APITimeoutError, AsyncOrq, Orq, RetryConfig
from tests.conftest import ASYNC_TRANSPORTS, PNG_1X1, AsyncHttpFactory
from tests.faults.conftest import SLACK

NO_RETRIES = RetryConfig(max_retries=0)
PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}


class RawServer:
    """One thread per connection running `behave(connection)`; stops within 0.1 s on exit."""

    def __init__(self, behave: Callable[[socket.socket, threading.Event], None]) -> None:
        self._behave = behave
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._threads: list[threading.Thread] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._handle, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _handle(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            self._behave(connection, self._stop)

    def __enter__(self) -> RawServer:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()


def _read_head(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def drip_headers(connection: socket.socket, stop: threading.Event) -> None:
    """Answers a header line every 0.1 s, for up to 20 s."""
    _read_head(connection)
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    for number in range(200):
        if stop.wait(0.1):
            return
        connection.sendall(b"X-Pad-%d: x\r\n" % number)


def stall_after_status(connection: socket.socket, stop: threading.Event) -> None:
    """Sends the status line, then nothing for up to 20 s."""
    _read_head(connection)
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    stop.wait(20)


def read_slowly(connection: socket.socket, stop: threading.Event) -> None:
    """Reads the upload 16 KB every 0.05 s (about 320 KB/s), for up to 20 s."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not stop.wait(0.05):
        if not connection.recv(16384):
            return


def read_steadily(connection: socket.socket, stop: threading.Event) -> None:
    """Reads 32 KB every 0.01 s (about 3 MB/s), for up to 20 s: every send gets through."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not stop.wait(0.01):
        if not connection.recv(32768):
            return


Run = Callable[..., float]


@pytest.fixture(params=["sync", *ASYNC_TRANSPORTS])
def run(request: pytest.FixtureRequest) -> Iterator[Run]:
    """`run(url, endpoint, params, timeout_ms)`: seconds one call took to time out, sync or
    async on each async transport.

    Only the call is timed: making the client (its TLS context) is not part of it.
    """

    def sync_run(url: str, endpoint: str, params: dict[str, Any], timeout_ms: int) -> float:
        with Orq(server_url=url, timeout_ms=timeout_ms, retry_config=NO_RETRIES) as orq:
            create = getattr(orq.router.images, endpoint).create
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                create(**params)
            return time.monotonic() - started

    async def async_run(url: str, endpoint: str, params: dict[str, Any], timeout_ms: int) -> float:
        async with AsyncOrq(
            server_url=url,
            timeout_ms=timeout_ms,
            retry_config=NO_RETRIES,
            http_client=AsyncHttpFactory(request.param)(),
        ) as orq:
            create = getattr(orq.router.images, endpoint).create
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await create(**params)
            return time.monotonic() - started

    if request.param == "sync":
        yield sync_run
    else:
        yield lambda *args: asyncio.run(async_run(*args))


def test_a_server_stalling_in_its_headers_is_cut_at_the_timeout(run: Run) -> None:
    with RawServer(stall_after_status) as server:
        elapsed = run(server.url, "generations", PARAMS, 800)
    assert 0.8 <= elapsed <= 0.8 + SLACK


def test_a_slow_reader_of_a_16_mb_upload_is_cut_at_the_timeout(run: Run) -> None:
    image = PNG_1X1 + bytes(16 * 2**20 - len(PNG_1X1))
    params = {"model": "openai/dall-e-2", "image": ("big.png", image)}
    with RawServer(read_slowly) as server:
        elapsed = run(server.url, "variations", params, 1500)
    # One socket write (at most 128 KiB, about 0.4 s at this rate) may be under way.
    assert 1.5 <= elapsed <= 1.5 + 0.5 + SLACK


def test_a_server_dripping_its_headers_is_cut_at_the_timeout(run: Run) -> None:
    with RawServer(drip_headers) as server:
        elapsed = run(server.url, "generations", PARAMS, 1000)
    assert 1.0 <= elapsed <= 1.0 + SLACK


def test_a_proxy_dripping_its_headers_is_cut_at_the_timeout(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK's sync client makes one transport per proxy variable: those honour
    # the deadline on every socket wait too.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with RawServer(drip_headers) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        elapsed = run("http://orq.invalid", "generations", PARAMS, 1000)
    assert 1.0 <= elapsed <= 1.0 + SLACK


@pytest.mark.parametrize("own_client", [False, True], ids=["sdk-client", "callers-client"])
def test_a_steady_slow_reader_is_cut_at_the_timeout(own_client: bool) -> None:
    # Each send gets through in time: only the attempt's deadline can stop the upload.
    # A caller's client keeps its own sockets, so the SDK writes at most WRITE_SIZE at
    # a time to it and looks at the deadline between writes.
    image = PNG_1X1 + bytes(40 * 2**20 - len(PNG_1X1))
    params = {"model": "openai/dall-e-2", "image": ("big.png", image)}
    with RawServer(read_steadily) as server, httpx2.Client() as given:
        http = given if own_client else None
        options = {"timeout_ms": 1500, "retry_config": NO_RETRIES, "http_client": http}
        with Orq(server_url=server.url, **options) as orq:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                orq.router.images.variations.create(**params)
            elapsed = time.monotonic() - started
    assert 1.5 <= elapsed <= 1.5 + 0.5 + SLACK
