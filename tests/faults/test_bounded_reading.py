"""Every byte the SDK reads is bounded: one reader, on every path a body can take.

A compression bomb (`Content-Encoding: gzip, gzip`, a few KB that inflate to 128 MiB)
meets each path: an API answer, an API error, a 503 thrown away before the retry, a
redirect hop of a download, a download refused for its content type, an image, a
download's error answer. With `max_response_bytes` at 1 MiB, the memory each call
allocates at its peak (tracemalloc: the whole process, the loopback server included)
stays under LIMIT_PEAK: httpx2's own decoders would inflate the bomb whole.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import gzip
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import orq_images
from orq_images import (
    APIResponseValidationError,
    AsyncOrq,
    BadRequestError,
    DownloadError,
    NotFoundError,
    Orq,
    OrqError,
)
from tests.conftest import PNG_1X1, AsyncHttpFactory, image_response
from tests.faults.conftest import FAST
from tests.support.server import LoopbackServer, Reply

LIMIT = 2**20
LIMIT_PEAK = 16 * 2**20
BOMB_SIZE = 128 * 2**20
PARAMS = {"prompt": "a fox", "model": "openai/gpt-image-1"}
DOUBLE_GZIP = {"Content-Encoding": "gzip, gzip"}


@functools.cache
def _bomb() -> bytes:
    """BOMB_SIZE zero bytes, gzipped twice: a few KB on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(2**20)
    layer = b"".join(inner.compress(zeros) for _ in range(BOMB_SIZE // len(zeros)))
    return gzip.compress(layer + inner.flush(), 9)


def bomb(status: int, **headers: str) -> Reply:
    return Reply(status, _bomb(), {**DOUBLE_GZIP, **headers})


def _peak(action: Callable[[], object]) -> tuple[object, int]:
    """What `action` returns or raises, and the most memory it allocated on top."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        try:
            outcome: object = action()
        except OrqError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _url_answer(server: LoopbackServer, path: str = "/files/a.png") -> Reply:
    return Reply(200, {"created": 1, "data": [{"url": server.url + path}]})


def test_the_bomb_is_small_on_the_wire_and_huge_inflated() -> None:
    assert len(_bomb()) < 16 * 1024
    assert len(gzip.decompress(gzip.decompress(_bomb()))) == BOMB_SIZE


def _api_paths(server: LoopbackServer) -> dict[str, tuple[list[Reply], type[Exception] | None]]:
    return {
        "answer": ([bomb(200)], APIResponseValidationError),
        "error answer": ([bomb(400)], BadRequestError),
        "retried 503": ([bomb(503), Reply(200, image_response())], None),
    }


def _download_paths(
    server: LoopbackServer,
) -> dict[str, tuple[list[Reply], type[Exception] | None]]:
    image = Reply(200, PNG_1X1, {"Content-Type": "image/png"})
    hop = {"Location": server.url + "/files/b.png"}
    return {
        "image": ([bomb(200, **{"Content-Type": "image/png"})], DownloadError),
        "redirect hop": ([bomb(302, **hop), image], None),
        "not an image": ([bomb(200, **{"Content-Type": "text/html"})], DownloadError),
        "error answer": ([bomb(404)], NotFoundError),
        "retried 503": ([bomb(503), image], None),
    }


API_PATHS = ["answer", "error answer", "retried 503"]
DOWNLOAD_PATHS = ["image", "redirect hop", "not an image", "error answer", "retried 503"]


def _check(outcome: object, expected: type[Exception] | None) -> None:
    if expected is None:
        assert not isinstance(outcome, Exception), outcome
    else:
        assert isinstance(outcome, expected), outcome


@pytest.mark.parametrize("path", API_PATHS)
def test_a_bomb_on_an_api_path_stops_at_the_limit(server: LoopbackServer, path: str) -> None:
    replies, expected = _api_paths(server)[path]
    server.queue(*replies)
    with Orq(server_url=server.url, retry_config=FAST, max_response_bytes=LIMIT) as orq:
        outcome, peak = _peak(lambda: orq.router.images.generations.create(**PARAMS))
    _check(outcome, expected)
    assert peak < LIMIT_PEAK, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("path", DOWNLOAD_PATHS)
def test_a_bomb_on_a_download_path_stops_at_the_limit(server: LoopbackServer, path: str) -> None:
    replies, expected = _download_paths(server)[path]
    with Orq(server_url=server.url, retry_config=FAST, max_response_bytes=LIMIT) as orq:
        server.queue(_url_answer(server))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        server.queue(*replies)
        outcome, peak = _peak(image.to_bytes)
    _check(outcome, expected)
    assert peak < LIMIT_PEAK, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("path", API_PATHS + [f"download {p}" for p in DOWNLOAD_PATHS])
def test_a_bomb_stops_at_the_limit_async(
    server: LoopbackServer, async_http_factory: AsyncHttpFactory, path: str
) -> None:
    async def main() -> object:
        async with AsyncOrq(
            server_url=server.url,
            retry_config=FAST,
            max_response_bytes=LIMIT,
            http_client=async_http_factory(),
        ) as orq:
            if path.startswith("download "):
                server.queue(_url_answer(server))
                image = (await orq.router.images.generations.create(**PARAMS)).data[0]
                replies, expected = _download_paths(server)[path.removeprefix("download ")]
                server.queue(*replies)
                outcome, peak = await _apeak(image.ato_bytes())
            else:
                replies, expected = _api_paths(server)[path]
                server.queue(*replies)
                outcome, peak = await _apeak(orq.router.images.generations.create(**PARAMS))
            _check(outcome, expected)
            return peak

    peak = asyncio.run(main())
    assert isinstance(peak, int)
    assert peak < LIMIT_PEAK, f"peak {peak / 2**20:.1f} MiB"


async def _apeak(awaitable: Any) -> tuple[object, int]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        try:
            outcome: object = await awaitable
        except OrqError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_an_endless_error_answer_to_a_download_stops_at_once(server: LoopbackServer) -> None:
    with Orq(server_url=server.url, timeout_ms=20_000, max_response_bytes=LIMIT) as orq:
        server.queue(_url_answer(server))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        server.queue(Reply(404, b"not here " * 1000, action="endless"))
        started = time.monotonic()
        with pytest.raises(NotFoundError) as caught:
            image.to_bytes()
    # Its first bytes make the message; the rest is never read.
    assert time.monotonic() - started < 3
    assert str(caught.value).startswith("Error code: 404 - not here not here")


def test_an_endless_answer_stops_at_the_limit(server: LoopbackServer) -> None:
    server.queue(Reply(200, b"[" * 65536, action="endless"))
    with Orq(server_url=server.url, timeout_ms=20_000, max_response_bytes=LIMIT) as orq:
        started = time.monotonic()
        with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
            orq.router.images.generations.create(**PARAMS)
    assert time.monotonic() - started < 3
    assert len(server.requests) == 1  # a success is never sent again


@pytest.mark.parametrize(
    "headers",
    [{"Content-Encoding": "gzip"}, {"Content-Encoding": "deflate"}, {"Content-Encoding": "br"}],
    ids=["gzip", "deflate", "unknown"],
)
def test_a_body_that_does_not_decode_is_an_orq_error(
    server: LoopbackServer, headers: dict[str, str]
) -> None:
    not_compressed = b'{"created": 1, "data": []}' * 10
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        server.queue(Reply(200, not_compressed, headers))
        with pytest.raises(APIResponseValidationError, match="may have been generated"):
            orq.router.images.generations.create(**PARAMS)
        server.queue(_url_answer(server))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        server.queue(Reply(200, not_compressed, {**headers, "Content-Type": "image/png"}))
        with pytest.raises(DownloadError, match="image at"):
            image.to_bytes()
        # Thrown away before a retry, it is just dropped.
        server.queue(Reply(503, not_compressed, headers))
        assert orq.router.images.generations.create(**PARAMS).created == 1_732_233_600


def test_gzip_and_deflate_answers_still_decode(server: LoopbackServer) -> None:
    body = b'{"created": 5, "data": []}'
    with Orq(server_url=server.url) as orq:
        server.queue(Reply(200, gzip.compress(body), {"Content-Encoding": "gzip"}))
        assert orq.router.images.generations.create(**PARAMS).created == 5
        server.queue(Reply(200, zlib.compress(body), {"Content-Encoding": "deflate"}))
        assert orq.router.images.generations.create(**PARAMS).created == 5
        raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = raw_deflate.compress(body) + raw_deflate.flush()
        server.queue(Reply(200, deflated, {"Content-Encoding": "deflate"}))
        assert orq.router.images.generations.create(**PARAMS).created == 5


def test_the_sdk_asks_only_for_the_encodings_it_decodes(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        server.queue(_url_answer(server))
        image = orq.router.images.generations.create(**PARAMS).data[0]
        server.queue(Reply(200, PNG_1X1, {"Content-Type": "image/png"}))
        image.to_bytes()
    assert [r.headers["accept-encoding"] for r in server.requests] == ["gzip, deflate"] * 2


# What reads an answer's body, as httpx2 and aiohttp name it: decoded reads bypass the
# bound altogether; raw reads are for the drivers, which hand every chunk to BodyReader.
_DECODED_READS = {"iter_bytes", "aiter_bytes", "iter_text", "aiter_text", "iter_lines",
                  "aiter_lines", "aread", "json", "text"}  # fmt: skip
_RAW_READS = {"iter_raw", "aiter_raw", "iter_any", "iter_chunked", "readany", "readchunk"}
_PACKAGE = Path(orq_images.__file__).parent


def _functions_reading(tree: ast.AST) -> list[tuple[str, str, bool]]:
    """(function, attribute, whether the function makes a BodyReader) for each body read."""
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and (
                node.attr in _DECODED_READS | _RAW_READS
                or (node.attr == "read" and "response" in ast.unparse(node.value))
            ):
                found.append((function.name, node.attr, "BodyReader" in names))
    return found


def test_every_body_read_goes_through_the_one_reader() -> None:
    files = [p for p in _PACKAGE.rglob("*.py") if "testing" not in p.parts]
    reads = {}
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for function, attribute, bounded in _functions_reading(tree):
            reads[f"{path.name}:{function}.{attribute}"] = bounded
    # The drivers of sync and async httpx2 read raw bytes into a BodyReader; aiohttp's
    # raw stream is its answers' body stream, which only its driver reads (likewise).
    aiohttp_stream = "_aiohttp_transport.py:__aiter__.iter_any"
    assert set(reads) == {
        "_send.py:_receive.iter_raw",
        "_send.py:_areceive.aiter_raw",
        aiohttp_stream,
    }
    assert all(bounded for read, bounded in reads.items() if read != aiohttp_stream), reads
    driver = ast.parse((_PACKAGE / "_aiohttp_transport.py").read_text())
    perform = next(
        f for f in ast.walk(driver) if isinstance(f, ast.AsyncFunctionDef) and f.name == "_receive"
    )
    source = ast.unparse(perform)
    assert "BodyReader(" in source
    assert "async for raw in body:" in source


def test_the_reader_sees_no_other_reads_in_a_decoy() -> None:
    # The walker itself finds what it looks for.
    decoy = ast.parse(
        "def f(response):\n    response.read()\n    return response.iter_bytes()\n"
        "def g(response):\n    r = BodyReader()\n    return response.iter_raw()\n"
    )
    assert _functions_reading(decoy) == [
        ("f", "read", False),
        ("f", "iter_bytes", False),
        ("g", "iter_raw", True),
    ]
