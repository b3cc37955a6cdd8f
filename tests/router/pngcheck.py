"""A strict PNG reader for tests, written apart from the router's own PNG code.

It checks the signature, every chunk's CRC, IHDR, that the image data
decompresses to exactly the size IHDR promises, and returns the RGB rows of
the unfiltered (filter type 0) 8-bit RGB images the router writes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckedPNG:
    width: int
    height: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        r, g, b = self.rows[y][3 * x : 3 * x + 3]
        return r, g, b


def read_png(data: bytes) -> CheckedPNG:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "bad signature"
    pos, kinds, idat = 8, [], b""
    header = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        kinds.append(kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert pos == len(data), "bytes after the last chunk"
    assert kinds[0] == b"IHDR", kinds
    assert kinds[-1] == b"IEND", kinds
    assert header is not None
    width, height, depth, colour, compression, filtering, interlace = header
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0), header
    raw = zlib.decompress(idat)
    stride = 1 + 3 * width
    assert len(raw) == stride * height, "image data size does not match IHDR"
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0, f"row {y}: filter {line[0]}"
        rows.append(line[1:])
    return CheckedPNG(width, height, rows)


def encode_png(
    width: int,
    height: int,
    colour: int,
    rows: list[bytes],
    filters: list[int],
    palette: bytes = b"",
) -> bytes:
    """A PNG with the given colour type and per-row filter types (reference filters)."""
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    out = bytearray()
    prior = bytes(len(rows[0]))
    for row, kind in zip(rows, filters, strict=True):
        out.append(kind)
        out += _filter(kind, row, prior, bpp)
        prior = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    plte = chunk(b"PLTE", palette) if palette else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + plte
        + chunk(b"IDAT", zlib.compress(bytes(out)))
        + chunk(b"IEND", b"")
    )


def _filter(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, value in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        if kind == 0:
            predicted = 0
        elif kind == 1:
            predicted = a
        elif kind == 2:
            predicted = b
        elif kind == 3:
            predicted = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predicted = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out.append((value - predicted) % 256)
    return bytes(out)
