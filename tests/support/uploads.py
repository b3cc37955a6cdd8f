"""Image bytes and multipart sending shared by the upload and multipart wire tests."""

from __future__ import annotations

import struct
import zlib

import httpx2

from orq_images._multipart import MultipartStream
from orq_images._spec import operations
from orq_images._upload import prepare_image
from tests.support.server import LoopbackServer, Part, RecordedRequest

# What the spec allows in a variation's image: the rule every upload test uses.
IMAGE_RULE = operations()["createImageVariation"].files["image"]


def png_bytes(extra: int = 64) -> bytes:
    """The PNG signature, a valid IHDR chunk for a 1x1 image, then `extra` filler bytes."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + bytes(range(256)) * (extra // 256)
        + bytes(extra % 256)
    )


def jpeg_bytes() -> bytes:
    """SOI, then a JFIF APP0 segment, then filler."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\x11" * 40


def webp_bytes() -> bytes:
    """A RIFF container of form WEBP holding a VP8L chunk header, then filler."""
    payload = b"WEBP" + b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def send(server: LoopbackServer, value: object, **fields: str) -> RecordedRequest:
    """Prepare `value`, send it with `fields` through plain httpx, return what arrived."""
    stream = MultipartStream(
        list(fields.items()), [("image", prepare_image(value, field="image", rule=IMAGE_RULE))]
    )
    return send_stream(server, stream)


def stream_request(stream: MultipartStream, url: str) -> httpx2.Request:
    """A POST of `stream` with only the headers it needs: Host, then the body's own."""
    target = httpx2.URL(url)
    headers = [(b"Host", target.netloc), *stream.content_headers]
    return httpx2.Request("POST", target, headers=headers, stream=stream)


def send_stream(server: LoopbackServer, stream: MultipartStream) -> RecordedRequest:
    request = stream_request(stream, server.url + "/upload")
    with httpx2.Client() as client:
        client.send(request).raise_for_status()
    return server.requests[-1]


def image_part(recorded: RecordedRequest) -> Part:
    return recorded.form()["image"]
