"""PNG files with nothing but zlib and struct.

`encode` writes an 8-bit RGB image. `decode` reads the PNGs that uploads are
made of in practice (8-bit grey, grey+alpha, RGB, RGBA or palette, not
interlaced) into RGB rows. A malformed file raises PNGError; a well-formed one
of another kind raises UnsupportedPNG, and the caller decides what to do
instead. Unfiltering uses whole-row C operations where the filter allows it
(None, Sub, Up) and a Python loop only for Average and Paeth.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from itertools import accumulate
from operator import add

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TO_BYTE = (255).__and__
# Bytes per pixel for each supported colour type at bit depth 8.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class PNGError(ValueError):
    """The bytes are not a well-formed PNG file."""


class UnsupportedPNG(PNGError):
    """A well-formed PNG of a kind this module does not decode."""


@dataclass(frozen=True)
class Picture:
    """An RGB image: `pixels` holds `height` rows of `width * 3` bytes, top to bottom."""

    width: int
    height: int
    pixels: bytes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode(picture: Picture, level: int = 6) -> bytes:
    """The PNG file of an RGB picture (filter type None on every row)."""
    stride = picture.width * 3
    if len(picture.pixels) != stride * picture.height:
        raise ValueError("pixel data does not match width and height")
    header = struct.pack(">IIBBBBB", picture.width, picture.height, 8, 2, 0, 0, 0)
    compressor = zlib.compressobj(level)
    parts = []
    for y in range(picture.height):
        parts.append(compressor.compress(b"\x00"))
        parts.append(compressor.compress(picture.pixels[y * stride : (y + 1) * stride]))
    parts.append(compressor.flush())
    return b"".join(
        (SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", b"".join(parts)), _chunk(b"IEND", b""))
    )


@dataclass(frozen=True)
class Header:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each CRC checked, up to and including IEND."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file (bad signature)")
    found: list[tuple[bytes, bytes]] = []
    pos = len(SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise PNGError("file ends inside a chunk header (no IEND)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length
        if end + 4 > len(data):
            raise PNGError(f"chunk {kind!r} runs past the end of the file")
        body = data[pos + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(kind + body) != crc:
            raise PNGError(f"chunk {kind!r} has a wrong CRC")
        found.append((kind, body))
        pos = end + 4
        if kind == b"IEND":
            return found


def read_header(data: bytes) -> Header:
    """The IHDR fields, read from the first chunk only."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file (bad signature)")
    if data[12:16] != b"IHDR" or len(data) < 29:
        raise PNGError("not a PNG file (no IHDR chunk first)")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if width == 0 or height == 0:
        raise PNGError("image has no pixels")
    return Header(width, height, depth, colour, interlace)


def decode(data: bytes, max_pixels: int) -> Picture:
    """An RGB picture of a PNG file; PNGError when it is malformed, unsupported or too large."""
    header = read_header(data)
    if header.bit_depth != 8 or header.colour_type not in _CHANNELS or header.interlace:
        raise UnsupportedPNG(
            f"unsupported PNG (bit depth {header.bit_depth}, colour type {header.colour_type}, "
            f"interlace {header.interlace})"
        )
    if header.width * header.height > max_pixels:
        raise UnsupportedPNG(
            f"image of {header.width}x{header.height} is above {max_pixels} pixels"
        )
    found = chunks(data)
    palette = b"".join(body for kind, body in found if kind == b"PLTE")
    if header.colour_type == 3 and not palette:
        raise PNGError("palette image without a PLTE chunk")
    bpp = _CHANNELS[header.colour_type]
    stride = header.width * bpp
    try:
        raw = zlib.decompress(b"".join(body for kind, body in found if kind == b"IDAT"))
    except zlib.error as exc:
        raise PNGError(f"image data does not decompress: {exc}") from None
    if len(raw) < (stride + 1) * header.height:
        raise PNGError("image data is shorter than its size")
    rows = _unfilter(raw, stride, bpp, header.height)
    return Picture(header.width, header.height, _to_rgb(rows, header.colour_type, palette))


def _unfilter(raw: bytes, stride: int, bpp: int, height: int) -> list[bytes]:
    rows: list[bytes] = []
    prior = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = raw[start + 1 : start + 1 + stride]
        if kind == 0:
            row = line
        elif kind == 1:
            row = _sub(line, bpp)
        elif kind == 2:
            row = bytes(map(_TO_BYTE, map(add, line, prior)))
        elif kind == 3:
            row = _average(line, prior, bpp)
        elif kind == 4:
            row = _paeth(line, prior, bpp)
        else:
            raise PNGError(f"row {y} has unknown filter type {kind}")
        rows.append(row)
        prior = row
    return rows


def _sub(line: bytes, bpp: int) -> bytes:
    # Each channel of a Sub row is a running sum of its bytes, modulo 256.
    out = bytearray(len(line))
    for channel in range(bpp):
        out[channel::bpp] = bytes(map(_TO_BYTE, accumulate(line[channel::bpp])))
    return bytes(out)


def _average(line: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + ((left + prior[i]) >> 1)) & 255
    return bytes(out)


def _paeth(line: bytes, prior: bytes, bpp: int) -> bytes:
    out = bytearray(line)
    for i in range(len(out)):
        if i >= bpp:
            a, c = out[i - bpp], prior[i - bpp]
        else:
            a = c = 0
        b = prior[i]
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        if pa <= pb and pa <= pc:
            out[i] = (out[i] + a) & 255
        elif pb <= pc:
            out[i] = (out[i] + b) & 255
        else:
            out[i] = (out[i] + c) & 255
    return bytes(out)


def _to_rgb(rows: list[bytes], colour_type: int, palette: bytes) -> bytes:
    if colour_type == 2:
        return b"".join(rows)
    data = b"".join(rows)
    out = bytearray(len(data) // _CHANNELS[colour_type] * 3)
    if colour_type == 3:
        table = palette.ljust(768, b"\x00")
        for channel in range(3):
            out[channel::3] = data.translate(bytes(table[channel::3][:256]))
        return bytes(out)
    step = _CHANNELS[colour_type]
    for channel in range(3):
        # Grey (with or without alpha) repeats its one value; RGBA drops the alpha byte.
        out[channel::3] = data[(channel if colour_type == 6 else 0) :: step]
    return bytes(out)
