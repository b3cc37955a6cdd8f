"""The variations endpoint through plain httpx: uploads of every kind, derived images."""

from __future__ import annotations

import base64
import json
import zlib

import httpx2
import pytest

from orq_images.testing import LocalRouter
from tests.router.conftest import VARIATIONS
from tests.router.pngcheck import CheckedPNG, encode_png, read_png
from tests.support.spec_check import assert_matches

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(100))


def _halves(width: int = 40, height: int = 20) -> bytes:
    """Left half black, right half white: easy to recognise after any recolouring."""
    row = bytes(3 * (width // 2)) + b"\xff" * (3 * (width // 2))
    return encode_png(width, height, 2, [row] * height, [0] * height)


def _vary(http: httpx2.Client, image: tuple[str, bytes, str], **fields: str) -> httpx2.Response:
    data = {"model": "openai/dall-e-2", "response_format": "b64_json", "size": "256x256", **fields}
    return http.post(VARIATIONS, data=data, files={"image": image})


def _pngs(response: httpx2.Response) -> list[CheckedPNG]:
    assert response.status_code == 200, response.text
    assert_matches("ImageVariationResponse", response.json())
    return [read_png(base64.b64decode(d["b64_json"])) for d in response.json()["data"]]


def test_variations_are_pngs_of_the_requested_size(http: httpx2.Client) -> None:
    pngs = _pngs(_vary(http, ("in.png", _halves(), "image/png"), n="2", size="512x512"))
    assert [(p.width, p.height) for p in pngs] == [(512, 512), (512, 512)]


def test_a_variation_is_derived_from_the_upload(http: httpx2.Client) -> None:
    first, second = _pngs(_vary(http, ("in.png", _halves(), "image/png"), n="2"))
    for png in (first, second):
        left, right = png.pixel(10, 100), png.pixel(245, 100)
        # Each half stays one colour, and the halves stay far apart in brightness.
        assert png.pixel(100, 10) in (left, right)
        assert png.pixel(150, 200) in (left, right)
        assert abs(sum(left) - sum(right)) > 400
    # Index 0 keeps the dark half on the left; index 1 is mirrored.
    assert sum(first.pixel(10, 100)) < sum(first.pixel(245, 100))
    assert sum(second.pixel(10, 100)) > sum(second.pixel(245, 100))
    # Colours shift: black and white come back tinted.
    for png in (first, second):
        assert {png.pixel(10, 100), png.pixel(245, 100)} != {(0, 0, 0), (255, 255, 255)}


def test_the_response_describes_size_format_and_usage(http: httpx2.Client) -> None:
    body = _vary(http, ("in.png", _halves(), "image/png")).json()
    assert body["size"] == "256x256"
    assert body["output_format"] == "png"
    assert body["usage"]["input_tokens_details"]["image_tokens"] >= 1


@pytest.mark.parametrize(
    ("colour", "bpp"),
    [(0, 1), (2, 3), (3, 1), (4, 2), (6, 4)],
    ids=["grey", "rgb", "palette", "grey-alpha", "rgba"],
)
def test_every_common_png_kind_and_filter_decodes(
    http: httpx2.Client, colour: int, bpp: int
) -> None:
    width, height = 24, 10
    # A vertical edge: dark left, bright right, in every channel (alpha opaque).
    row = bytes([16] * (bpp * width // 2) + [240] * (bpp * width // 2))
    palette = b""
    if colour == 3:
        palette = bytes([16, 16, 16] * 128 + [240, 240, 240] * 128)
    filters = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    upload = encode_png(width, height, colour, [row] * height, filters, palette)
    (png,) = _pngs(_vary(http, ("in.png", upload, "image/png"), size="256x256"))
    left, right = png.pixel(5, 128), png.pixel(250, 128)
    assert sum(left) < sum(right), (left, right)
    # Every row decoded alike, whatever its filter: the picture is the same top to bottom.
    assert all(png.pixel(5, y) == left and png.pixel(250, y) == right for y in range(0, 256, 17))


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("photo.jpg", JPEG, "image/jpeg"), ("photo.webp", WEBP, "image/webp")],
)
def test_jpeg_and_webp_uploads_derive_from_their_bytes(
    http: httpx2.Client, name: str, content: bytes, kind: str
) -> None:
    first = _pngs(_vary(http, (name, content, kind), n="2"))
    again = _pngs(_vary(http, (name, content, kind), n="2"))
    other = _pngs(_vary(http, (name, content + b"!", kind), n="2"))
    assert first == again
    assert first[0] != first[1]
    assert first[0] != other[0]
    assert (first[0].width, first[0].height) == (256, 256)


def test_a_png_of_a_kind_not_decoded_here_derives_from_its_bytes(http: httpx2.Client) -> None:
    sixteen_bit = bytearray(encode_png(2, 1, 2, [bytes(6)], [0]))
    sixteen_bit[24] = 16  # bit depth in IHDR; the CRC must then be fixed up
    body = bytes(sixteen_bit[12:29])
    sixteen_bit[29:33] = zlib.crc32(body).to_bytes(4, "big")
    first = _pngs(_vary(http, ("deep.png", bytes(sixteen_bit), "image/png"), n="2"))
    assert first == _pngs(_vary(http, ("deep.png", bytes(sixteen_bit), "image/png"), n="2"))
    assert first[0] != first[1]


def test_nested_objects_arrive_as_json_text_fields(
    http: httpx2.Client, orq_router: LocalRouter
) -> None:
    orq = {"retry": {"count": 2, "on_codes": [429]}, "fallbacks": [{"model": "openai/dall-e-3"}]}
    response = _vary(
        http,
        ("in.png", _halves(), "image/png"),
        orq=json.dumps(orq),
        cache=json.dumps({"type": "exact_match"}),
        n="1",
    )
    assert response.status_code == 200, response.text
    logged = orq_router.requests[-1]
    assert logged.body["orq"] == orq
    assert logged.body["n"] == 1
    assert logged.file is not None
    assert (logged.file.field, logged.file.filename, logged.file.content_type) == (
        "image",
        "in.png",
        "image/png",
    )
    assert logged.file.size == len(_halves())


def test_url_is_the_default_response_format(http: httpx2.Client, orq_router: LocalRouter) -> None:
    response = http.post(
        VARIATIONS,
        data={"model": "m", "size": "256x256"},
        files={"image": ("in.png", _halves(), "image/png")},
    )
    assert response.status_code == 200
    url = response.json()["data"][0]["url"]
    assert url.startswith(orq_router.url)
    assert read_png(httpx2.get(url).content).width == 256


def test_size_defaults_to_1024(http: httpx2.Client) -> None:
    response = http.post(
        VARIATIONS,
        data={"model": "m", "response_format": "b64_json"},
        files={"image": ("in.png", _halves(), "image/png")},
    )
    assert [p.width for p in _pngs(response)] == [1024]


def test_a_chunked_upload_is_read(orq_router: LocalRouter) -> None:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nm\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="size"\r\n\r\n256x256\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + _halves()
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def pieces() -> object:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    response = httpx2.post(
        orq_router.url + VARIATIONS,
        content=pieces(),  # a generator: httpx sends it chunked
        headers={
            "Authorization": "Bearer k",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 200, response.text
    assert "chunked" in orq_router.requests[-1].headers["transfer-encoding"]


def test_a_large_photo_is_varied_quickly(http: httpx2.Client) -> None:
    row = bytes(range(256)) * 12
    upload = encode_png(1024, 64, 2, [row] * 64, [0] * 64)
    response = _vary(http, ("big.png", upload, "image/png"), n="4", size="1024x1024")
    assert [p.width for p in _pngs(response)] == [1024] * 4
