"""The images LocalRouter draws: deterministic patterns, and variations of uploads.

A generated image is a pattern seeded by a hash of what was asked for (prompt,
model, size, index): two colours, a stripe width and a slant. Rows are slices
of one precomputed wide row passed through a brightness table, so a 1024x1024
image costs a few hundred C-level byte operations per row rather than a Python
step per pixel.

A variation resizes the decoded upload and shifts its colours per index
(channel order, tint, mirror), so it is recognisably the same picture. Uploads
that cannot be decoded here (JPEG, WEBP, unusual PNGs) get a pattern seeded by
a hash of their bytes instead.
"""

from __future__ import annotations

import hashlib
from functools import cache
from itertools import permutations
from operator import itemgetter

from ._png import Picture

_BRIGHTNESS_LEVELS = 64
_CHANNEL_ORDERS = list(permutations(range(3)))


def _seed_bytes(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()


@cache
def _brightness(level: int) -> bytes:
    """A translate table scaling every byte by 0.55 .. 1.25, by `level`."""
    factor = 0.55 + 0.7 * level / (_BRIGHTNESS_LEVELS - 1)
    return bytes(min(255, int(v * factor)) for v in range(256))


def pattern(width: int, height: int, *seed: object) -> Picture:
    """A striped, slanted gradient fully determined by `seed`."""
    digest = _seed_bytes(*seed)
    start, end = digest[0:3], digest[3:6]
    stripe = 8 + digest[6] % 56
    slant = digest[7] % 5 - 2  # pixels the stripes move per row
    wide = bytearray()
    for x in range(2 * width):
        t = (x % width) / width
        shade = 0.8 if (x // stripe) % 2 else 1.0
        wide.extend(int((s + (e - s) * t) * shade) for s, e in zip(start, end, strict=True))
    rows = []
    for y in range(height):
        offset = (y * slant) % width * 3
        level = y * _BRIGHTNESS_LEVELS // height
        rows.append(bytes(wide[offset : offset + width * 3]).translate(_brightness(level)))
    return Picture(width, height, b"".join(rows))


def resize(source: Picture, width: int, height: int) -> Picture:
    """Nearest-neighbour resize."""
    pick = itemgetter(
        *(3 * (x * source.width // width) + c for x in range(width) for c in range(3))
    )
    stride = source.width * 3
    rows: dict[int, bytes] = {}
    out = []
    for y in range(height):
        src_y = y * source.height // height
        if src_y not in rows:
            rows[src_y] = bytes(pick(source.pixels[src_y * stride : (src_y + 1) * stride]))
        out.append(rows[src_y])
    return Picture(width, height, b"".join(out))


def recolour(picture: Picture, index: int, salt: bytes) -> Picture:
    """The picture with its channels reordered and tinted; odd indexes are mirrored too."""
    digest = _seed_bytes(salt.hex(), index)
    # Skip the identity order so that every variation visibly differs from its source.
    order = _CHANNEL_ORDERS[1 + (digest[0] + index) % (len(_CHANNEL_ORDERS) - 1)]
    pixels = picture.pixels
    if index % 2:
        stride = picture.width * 3
        # Reversing a row's bytes mirrors it and reverses each pixel's channel order too,
        # which the reordering below then absorbs.
        pixels = b"".join(
            pixels[y * stride : (y + 1) * stride][::-1] for y in range(picture.height)
        )
    out = bytearray(len(pixels))
    for channel, source_channel in enumerate(order):
        tint = digest[1 + channel] % 64
        table = bytes(min(255, v + tint) for v in range(256))
        out[channel::3] = pixels[source_channel::3].translate(table)
    return Picture(picture.width, picture.height, bytes(out))
