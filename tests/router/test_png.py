"""The router's PNG encoder and decoder, checked against the test-side reader and encoder."""

from __future__ import annotations

import struct
import time
import zlib

import pytest

from orq_images.testing._pictures import pattern
from orq_images.testing._png import Picture, PNGError, decode, encode
from tests.router.pngcheck import encode_png, read_png


def test_encode_writes_what_an_independent_reader_reads() -> None:
    pixels = bytes(range(256)) * 3 * 4
    picture = Picture(64, 16, pixels)
    checked = read_png(encode(picture))
    assert (checked.width, checked.height) == (64, 16)
    assert b"".join(checked.rows) == pixels


def test_a_1024_square_encodes_well_under_a_second() -> None:
    started = time.perf_counter()
    data = encode(pattern(1024, 1024, "prompt", "model", "1024x1024", 0))
    elapsed = time.perf_counter() - started
    assert read_png(data).width == 1024
    assert elapsed < 0.5, f"{elapsed:.2f} s"


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_decode_undoes_every_filter(kind: int) -> None:
    rows = [bytes((x * 7 + y * 13) % 256 for x in range(30)) for y in range(6)]
    decoded = decode(encode_png(10, 6, 2, rows, [kind] * 6), max_pixels=100)
    assert decoded.pixels == b"".join(rows)


def test_decode_turns_rgba_and_grey_into_rgb() -> None:
    rgba = decode(encode_png(2, 1, 6, [bytes([1, 2, 3, 255, 4, 5, 6, 0])], [1]), 10)
    assert rgba.pixels == bytes([1, 2, 3, 4, 5, 6])
    grey = decode(encode_png(2, 1, 0, [bytes([9, 200])], [4]), 10)
    assert grey.pixels == bytes([9, 9, 9, 200, 200, 200])
    grey_alpha = decode(encode_png(1, 1, 4, [bytes([77, 128])], [0]), 10)
    assert grey_alpha.pixels == bytes([77, 77, 77])
    palette = decode(
        encode_png(2, 1, 3, [bytes([1, 0])], [0], palette=bytes([1, 2, 3, 4, 5, 6])), 10
    )
    assert palette.pixels == bytes([4, 5, 6, 1, 2, 3])


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(header: bytes, idat: bytes) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


GOOD = encode_png(2, 2, 2, [bytes(6)] * 2, [0, 0])


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"GIF89a", "signature"),
        (GOOD[:-20], "end"),
        (GOOD[:30] + bytes([GOOD[30] ^ 1]) + GOOD[31:], "CRC"),
        (_png(struct.pack(">IIBBBBB", 2, 2, 16, 2, 0, 0, 0), b""), "bit depth 16"),
        (_png(struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 1), b""), "interlace 1"),
        (_png(struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0), b"not zlib"), "decompress"),
        (_png(struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0), zlib.compress(b"\x00")), "shorter"),
        (_png(struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0), zlib.compress(b"\x09abc")), "filter"),
        (_png(struct.pack(">IIBBBBB", 1, 1, 8, 3, 0, 0, 0), zlib.compress(b"\x00\x00")), "PLTE"),
        (_png(struct.pack(">IIBBBBB", 0, 1, 8, 2, 0, 0, 0), b""), "no pixels"),
        (_png(struct.pack(">IIBBBBB", 100, 100, 8, 2, 0, 0, 0), b""), "above"),
    ],
)
def test_decode_refuses_what_it_cannot_read(data: bytes, problem: str) -> None:
    with pytest.raises(PNGError, match=problem):
        decode(data, max_pixels=1000)


def test_encode_checks_the_pixel_count() -> None:
    with pytest.raises(ValueError, match="does not match"):
        encode(Picture(2, 2, bytes(5)))
