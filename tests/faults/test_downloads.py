"""Image URLs: streamed, bounded, checked, atomic on disk, redirects followed, never the key.

Memory: `save()` of a 64 MB image is measured with tracemalloc (allocations of
the whole process, the loopback server's thread included). The SDK reads and
writes one chunk at a time, so the peak does not grow with the image: 64 MB
here stands for the 300 MB of the issue, the figure being the same for both.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from orq_images import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncOrq,
    DownloadError,
    NotFoundError,
    Orq,
    OrqError,
    RetryConfig,
)
from orq_images.models import Image
from tests.conftest import PNG_1X1, AsyncHttpFactory
from tests.faults.conftest import FAST
from tests.support.server import LoopbackServer, Reply

PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
PNG = {"Content-Type": "image/png"}
NO_RETRIES = RetryConfig(max_retries=0)


def _url_answer(url: str) -> Reply:
    return Reply(200, {"created": 1, "data": [{"url": url}]})


def _image(server: LoopbackServer, orq: Orq, path: str = "/files/a.png") -> Image:
    server.queue(_url_answer(server.url + path))
    return orq.router.images.generations.create(**PARAMS).data[0]


def _extra_peak(action: Callable[[], object]) -> tuple[object, int]:
    """What `action` returns, and the most memory it allocated on top of what was there."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = action()
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_save_streams_to_disk_in_flat_memory(server: LoopbackServer, tmp_path: Path) -> None:
    size = 64 * 2**20
    payload = PNG_1X1 + bytes(size - len(PNG_1X1))
    with Orq(server_url=server.url) as orq:
        image = _image(server, orq)
        server.queue(Reply(200, payload, PNG))
        _, peak = _extra_peak(lambda: image.save(tmp_path / "big.png"))
    assert (tmp_path / "big.png").stat().st_size == size
    assert peak < 2 * 2**20, f"peak {peak / 2**20:.2f} MB"


def test_to_bytes_holds_the_body_once(server: LoopbackServer) -> None:
    size = 32 * 2**20
    payload = PNG_1X1 + bytes(size - len(PNG_1X1))
    with Orq(server_url=server.url) as orq:
        image = _image(server, orq)
        server.queue(Reply(200, payload, PNG))
        data, peak = _extra_peak(image.to_bytes)
    assert data == payload
    assert peak < 1.3 * size, f"peak {peak / size:.2f}x the body"


def test_a_failed_save_leaves_the_old_file_and_no_partial_one(
    server: LoopbackServer, tmp_path: Path
) -> None:
    target = tmp_path / "keep.png"
    target.write_bytes(b"the old picture")
    with Orq(server_url=server.url, retry_config=NO_RETRIES) as orq:
        image = _image(server, orq)
        server.queue(Reply(200, PNG_1X1 * 1000, PNG, action="reset_mid_response"))
        with pytest.raises(APIConnectionError):
            image.save(target)
    assert target.read_bytes() == b"the old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


def test_a_save_retried_mid_body_writes_the_whole_image_once(
    server: LoopbackServer, tmp_path: Path
) -> None:
    payload = PNG_1X1 * 1000
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        image = _image(server, orq)
        server.queue(
            Reply(200, payload, PNG, action="reset_mid_response"), Reply(200, payload, PNG)
        )
        image.save(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes() == payload


@pytest.mark.parametrize("method", ["to_bytes", "save"])
def test_an_image_above_the_size_limit_stops_with_a_clear_error(
    server: LoopbackServer, tmp_path: Path, method: str
) -> None:
    with Orq(server_url=server.url, max_response_bytes=10_000) as orq:
        image = _image(server, orq)
        server.queue(Reply(200, PNG_1X1 * 1000, PNG))
        fetch = getattr(image, method)
        with pytest.raises(DownloadError, match="max_response_bytes"):
            fetch(tmp_path / "a.png") if method == "save" else fetch()
    assert list(tmp_path.iterdir()) == []


def test_an_api_answer_above_the_size_limit_stops_too(server: LoopbackServer) -> None:
    from orq_images import APIResponseValidationError

    server.queue(Reply(200, {"created": 1, "data": [{"b64_json": "A" * 20_000}]}))
    with (
        Orq(server_url=server.url, max_response_bytes=10_000) as orq,
        pytest.raises(APIResponseValidationError, match="max_response_bytes"),
    ):
        orq.router.images.generations.create(**PARAMS)


@pytest.mark.parametrize("content_type", ["text/html", "application/json", None])
def test_an_answer_that_is_not_an_image_is_refused(
    server: LoopbackServer, tmp_path: Path, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    with Orq(server_url=server.url) as orq:
        image = _image(server, orq)
        server.queue(Reply(200, b"<html>login</html>", headers))
        with pytest.raises(DownloadError, match="not an image"):
            image.save(tmp_path / "a.png")
    assert list(tmp_path.iterdir()) == []


def test_redirects_are_followed_without_any_authorization(
    server: LoopbackServer, tmp_path: Path
) -> None:
    app_client = httpx2.Client(headers={"Authorization": "Bearer app-own"}, auth=("u", "p"))
    with Orq(server_url=server.url, http_client=app_client) as orq:
        image = _image(server, orq, "/files/first.png")
        server.queue(
            Reply(302, b"", {"Location": "/files/second.png"}),
            Reply(307, b"", {"Location": f"{server.url}/files/third.png"}),
            Reply(200, PNG_1X1, PNG),
        )
        image.save(tmp_path / "a.png")
    app_client.close()
    assert (tmp_path / "a.png").read_bytes() == PNG_1X1
    downloads = [r for r in server.requests if r.method == "GET"]
    assert [r.path for r in downloads] == [
        "/files/first.png",
        "/files/second.png",
        "/files/third.png",
    ]
    assert all("authorization" not in r.headers for r in downloads)


def test_endless_redirects_stop(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        image = _image(server, orq)
        server.queue(*[Reply(302, b"", {"Location": "/files/again.png"})] * 10)
        with pytest.raises(DownloadError, match="redirected more than 5 times"):
            image.to_bytes()
    assert len([r for r in server.requests if r.method == "GET"]) == 6


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fe80::1]/x.png",
        "http://[::ffff:169.254.169.254]/x.png",
        "http://100.100.100.200/latest/meta-data",
    ],
)
def test_link_local_and_metadata_addresses_are_refused(server: LoopbackServer, url: str) -> None:
    with Orq(server_url=server.url) as orq:
        server.queue(_url_answer(url))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        with pytest.raises(DownloadError, match="link-local or cloud-metadata"):
            image.to_bytes()


def test_a_redirect_to_a_metadata_address_is_refused(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        image = _image(server, orq)
        server.queue(Reply(302, b"", {"Location": "http://169.254.169.254/latest/"}))
        with pytest.raises(DownloadError, match="link-local"):
            image.to_bytes()


def test_the_client_can_allow_link_local_addresses(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loopback server stands in as the HTTP proxy of every request, so the allowed
    # link-local URL is requested from it and nothing leaves this machine.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    with Orq(server_url=server.url, allow_link_local_urls=True, retry_config=NO_RETRIES) as orq:
        server.queue(_url_answer("http://169.254.0.1:9/x.png"))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        server.queue(Reply(200, PNG_1X1, PNG))
        assert image.to_bytes() == PNG_1X1
    assert server.requests[-1].path == "http://169.254.0.1:9/x.png"


def test_a_url_image_is_saved_after_the_client_is_closed(
    server: LoopbackServer, tmp_path: Path
) -> None:
    with Orq(server_url=server.url) as orq:
        image = _image(server, orq)
    server.queue(Reply(200, PNG_1X1, PNG))
    image.save(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes() == PNG_1X1


def test_after_closing_a_given_http_client_the_error_says_so(server: LoopbackServer) -> None:
    http = httpx2.Client()
    orq = Orq(server_url=server.url, http_client=http)
    image = _image(server, orq)
    http.close()
    with pytest.raises(OrqError, match="http_client given to Orq has been closed"):
        image.to_bytes()


def test_async_downloads_are_checked_and_streamed_alike(
    server: LoopbackServer, tmp_path: Path, async_http_factory: AsyncHttpFactory
) -> None:
    async def main() -> None:
        async with AsyncOrq(
            server_url=server.url, max_response_bytes=10_000, http_client=async_http_factory()
        ) as orq:
            server.queue(_url_answer(server.url + "/files/a.png"))
            image = (await orq.router.images.generations.create(**PARAMS)).data[0]
            server.queue(Reply(302, b"", {"Location": "/files/b.png"}), Reply(200, PNG_1X1, PNG))
            await image.asave(tmp_path / "a.png")
            server.queue(Reply(200, b"<html/>", {"Content-Type": "text/html"}))
            with pytest.raises(DownloadError, match="not an image"):
                await image.ato_bytes()
            server.queue(Reply(200, PNG_1X1 * 1000, PNG))
            with pytest.raises(DownloadError, match="max_response_bytes"):
                await image.asave(tmp_path / "b.png")
            server.queue(Reply(404, {"message": "expired"}))
            with pytest.raises(NotFoundError, match="expired"):
                await image.ato_bytes()
        server.queue(Reply(200, PNG_1X1, PNG))
        assert await image.ato_bytes() == PNG_1X1  # after close: a short-lived connection

    asyncio.run(main())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def _bomb() -> Reply:
    bomb = gzip.compress(b"{" + b" " * 50_000_000 + b"}", compresslevel=9)
    assert len(bomb) < 100_000
    return Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})


def test_a_compression_bomb_stops_at_the_limit(server: LoopbackServer) -> None:
    server.queue(_bomb())
    with Orq(server_url=server.url, max_response_bytes=1_000_000) as orq:

        def refused() -> None:
            with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
                orq.router.images.generations.create(**PARAMS)

        _, peak = _extra_peak(refused)
    assert peak < 8 * 2**20  # stopped near the limit, not after inflating 50 MB


def test_a_compression_bomb_stops_at_the_limit_async(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory
) -> None:
    server.queue(_bomb())

    async def refused() -> None:
        async with AsyncOrq(
            server_url=server.url, max_response_bytes=1_000_000, http_client=async_http_factory()
        ) as orq:
            with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
                await orq.router.images.generations.create(**PARAMS)

    _, peak = _extra_peak(lambda: asyncio.run(refused()))
    assert peak < 8 * 2**20


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::ffff:169.254.169.254]/x.png",
    ],
)
def test_async_clients_refuse_link_local_addresses_too(
    server: LoopbackServer, url: str, async_http_factory: AsyncHttpFactory
) -> None:
    async def main() -> None:
        async with AsyncOrq(server_url=server.url, http_client=async_http_factory()) as orq:
            server.queue(_url_answer(url))
            image = (await orq.router.images.generations.create(**PARAMS)).data[0]
            with pytest.raises(DownloadError, match="link-local or cloud-metadata"):
                await image.ato_bytes()
            server.queue(_url_answer(server.url + "/files/a.png"))
            image = (await orq.router.images.generations.create(**PARAMS)).data[0]
            server.queue(Reply(302, b"", {"Location": "http://169.254.169.254/latest/"}))
            with pytest.raises(DownloadError, match="link-local"):
                await image.ato_bytes()

    asyncio.run(main())
    assert not any(r.method == "GET" and "169.254" in r.path for r in server.requests)
