"""Every form of image input, as the loopback server receives it, and every way it can be wrong.

Bodies are sent through plain httpx and read back with the server's independent
multipart parser, so these tests hold whichever client facade sends the stream.
"""

from __future__ import annotations

import array
import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from orq_images import InvalidRequestError, InvalidRequestTypeError
from orq_images._multipart import MultipartStream
from orq_images._send import WRITE_SIZE
from orq_images._upload import CHUNK_SIZE, prepare_image
from orq_images.types import File
from tests.support.server import LoopbackServer
from tests.support.uploads import (
    IMAGE_RULE,
    image_part,
    jpeg_bytes,
    png_bytes,
    send,
    send_stream,
    webp_bytes,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def png_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes(5 * CHUNK_SIZE + 17))
    return path


# -- every input form ---------------------------------------------------------------


@pytest.mark.parametrize("as_type", [str, Path], ids=["str", "pathlike"])
def test_a_path_is_sent_with_its_name_and_sniffed_type(
    server: LoopbackServer, png_file: Path, as_type: type
) -> None:
    part = image_part(send(server, as_type(png_file)))
    assert part.filename == "photo.png"
    assert part.content_type == "image/png"
    assert part.value == png_file.read_bytes()


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=lambda t: t.__name__)
def test_bytes_like_content_is_sent_whole(server: LoopbackServer, wrap: type) -> None:
    data = png_bytes(3 * CHUNK_SIZE + 1)
    part = image_part(send(server, wrap(data)))
    assert (part.filename, part.content_type) == ("image.png", "image/png")
    assert part.value == data


@pytest.mark.parametrize(
    ("data", "content_type", "filename"),
    [
        (png_bytes(), "image/png", "image.png"),
        (jpeg_bytes(), "image/jpeg", "image.jpg"),
        (webp_bytes(), "image/webp", "image.webp"),
    ],
    ids=["png", "jpeg", "webp"],
)
def test_the_type_is_sniffed_from_the_bytes(
    server: LoopbackServer, data: bytes, content_type: str, filename: str
) -> None:
    part = image_part(send(server, data))
    assert (part.filename, part.content_type, part.value) == (filename, content_type, data)


def test_any_other_buffer_is_sent_as_is(server: LoopbackServer) -> None:
    # e.g. the uint8 array an image encoder returns
    data = png_bytes(1000)
    assert image_part(send(server, array.array("B", data))).value == data


def test_a_name_without_an_image_extension_gets_the_sniffed_one(
    server: LoopbackServer, tmp_path: Path
) -> None:
    bare = tmp_path / "photo"
    bare.write_bytes(png_bytes())
    assert image_part(send(server, bare)).filename == "photo.png"
    assert image_part(send(server, ("scan.v2", jpeg_bytes()))).filename == "scan.v2.jpg"
    assert image_part(send(server, ("cat", webp_bytes()))).filename == "cat.webp"
    # an image extension is kept as given; the part's type still says what the bytes are
    part = image_part(send(server, ("Holiday.JPG", png_bytes())))
    assert (part.filename, part.content_type) == ("Holiday.JPG", "image/png")


def test_tuples_name_the_content_and_the_sniffed_type_wins(server: LoopbackServer) -> None:
    data = png_bytes()
    part = image_part(send(server, ("upload.png", data)))
    assert (part.filename, part.content_type, part.value) == ("upload.png", "image/png", data)
    # a label that contradicts the bytes is not sent: it could only get the image refused
    part = image_part(send(server, ("upload.png", data, "application/octet-stream")))
    assert part.content_type == "image/png"
    part = image_part(send(server, ("fox.jpg", io.BytesIO(jpeg_bytes()), "image/png")))
    assert (part.filename, part.content_type) == ("fox.jpg", "image/jpeg")
    assert image_part(send(server, (None, data))).filename == "image.png"


def test_the_official_sdk_dict_is_accepted(server: LoopbackServer, png_file: Path) -> None:
    data = webp_bytes()
    dict_image = {"file_name": "cat.webp", "content": data, "content_type": "image/webp"}
    part = image_part(send(server, dict_image))
    assert (part.filename, part.content_type, part.value) == ("cat.webp", "image/webp", data)
    with png_file.open("rb") as file:
        part = image_part(send(server, {"file_name": "mine", "content": file}))
    assert (part.filename, part.content_type) == ("mine.png", "image/png")
    assert part.value == png_file.read_bytes()


def test_the_generated_file_type_is_accepted(server: LoopbackServer) -> None:
    data = jpeg_bytes()
    part = image_part(send(server, File(payload=io.BytesIO(data), file_name="shot.jpeg")))
    assert (part.filename, part.content_type, part.value) == ("shot.jpeg", "image/jpeg", data)


def test_an_open_file_is_streamed_and_left_open(server: LoopbackServer, png_file: Path) -> None:
    with png_file.open("rb") as file:
        part = image_part(send(server, file))
        assert not file.closed
        assert file.read(4) == b"", "read to its end, as any upload leaves a file"
    assert (part.filename, part.value) == ("photo.png", png_file.read_bytes())


def test_a_file_object_is_sent_from_its_position_on_every_pass(server: LoopbackServer) -> None:
    data = png_bytes(2 * CHUNK_SIZE)
    buffer = io.BytesIO(b"a header the caller skipped" + data)
    buffer.seek(27)
    prepared = prepare_image(buffer, field="image", rule=IMAGE_RULE)
    assert buffer.tell() == 27, "checking the image must not move the caller's file"
    assert prepared.size == len(data)
    stream = MultipartStream([], [("image", prepared)])
    first = send_stream(server, stream)
    second = send_stream(server, stream)
    assert image_part(first).value == data
    assert first.body == second.body


def test_a_bytesio_without_a_name_gets_a_default_one(server: LoopbackServer) -> None:
    part = image_part(send(server, io.BytesIO(jpeg_bytes())))
    assert (part.filename, part.content_type) == ("image.jpg", "image/jpeg")


def test_an_unseekable_file_is_read_once_and_resent_identically(server: LoopbackServer) -> None:
    data = png_bytes(30_000)
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        writer.write(data)  # fits a pipe's 64 KiB buffer: no reader thread needed
    with os.fdopen(read_end, "rb") as pipe:
        assert not pipe.seekable()
        stream = MultipartStream(
            [], [("image", prepare_image(pipe, field="image", rule=IMAGE_RULE))]
        )
    # the pipe is closed now; its bytes were kept, so every pass still has them
    first, second = send_stream(server, stream), send_stream(server, stream)
    assert image_part(first).value == data
    assert image_part(first).filename == "image.png", "an fd-named file has no usable name"
    assert first.body == second.body


def test_bytes_go_whole_and_other_buffers_are_sliced_never_copied() -> None:
    data = png_bytes(4 * CHUNK_SIZE)
    (chunk,) = prepare_image(data, field="image", rule=IMAGE_RULE).chunks()
    assert chunk is data  # what the HTTP stack hands to the socket as it is
    for buffer in (bytearray(data), memoryview(bytearray(data))):
        owner = memoryview(buffer).obj
        chunks = list(prepare_image(buffer, field="image", rule=IMAGE_RULE).chunks())
        assert len(chunks) == 5
        assert all(isinstance(c, memoryview) and c.obj is owner for c in chunks)
        assert b"".join(chunks) == data


def test_a_small_upload_is_one_write_and_a_large_one_goes_uncopied(png_file: Path) -> None:
    small = png_bytes(100 * 1024)
    (body,) = MultipartStream(
        [("model", "m")], [("image", prepare_image(small, field="image", rule=IMAGE_RULE))]
    )
    assert small in bytes(body)  # head, image and closing boundary in one socket write

    large = png_bytes(3 * CHUNK_SIZE)
    stream = MultipartStream(
        [("model", "m")], [("image", prepare_image(large, field="image", rule=IMAGE_RULE))]
    )
    head, image, tail = list(stream)
    assert image is large  # one write, the image itself never copied
    assert len(head) + len(tail) < WRITE_SIZE

    from_file = list(
        MultipartStream([], [("image", prepare_image(png_file, field="image", rule=IMAGE_RULE))])
    )
    assert all(len(c) <= CHUNK_SIZE for c in from_file)


async def test_an_async_upload_hands_the_socket_slices_of_a_large_image() -> None:
    # An async transport copies what the socket does not take at once: a slice at most.
    large = png_bytes(3 * CHUNK_SIZE)
    stream = MultipartStream(
        [("model", "m")], [("image", prepare_image(large, field="image", rule=IMAGE_RULE))]
    )
    chunks = [chunk async for chunk in stream]
    assert all(len(c) <= CHUNK_SIZE for c in chunks)
    assert [c for c in chunks if isinstance(c, memoryview) and c.obj is large]
    assert b"".join(chunks) == b"".join(stream)


def test_parts_know_their_size_and_describe_themselves_without_content(png_file: Path) -> None:
    part = prepare_image(png_file, field="image", rule=IMAGE_RULE)
    assert part.size == png_file.stat().st_size
    assert repr(part) == (
        f"ImagePart(field='image', filename='photo.png', content_type='image/png', "
        f"size={part.size})"
    )


# -- everything that is refused before sending ----------------------------------------


def _bad_inputs(tmp_path: Path, text_file: object) -> list[tuple[object, type[Exception], str]]:
    gif = tmp_path / "photo.gif"
    gif.write_bytes(b"GIF89a\x01\x00\x01\x00")
    empty = tmp_path / "empty.png"
    empty.touch()
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.truncate(IMAGE_RULE.max_bytes + 1)  # sparse: no disk space, no time
    closed = io.BytesIO(png_bytes())
    closed.close()
    return [
        ("/x/y.png", InvalidRequestError, "image: no such file: /x/y.png"),
        ("https://example.test/cat.png", InvalidRequestError, "URLs are not fetched"),
        (tmp_path, InvalidRequestError, f"image: {tmp_path} is a directory"),
        (empty, InvalidRequestError, f"image: {empty} is empty"),
        (b"", InvalidRequestError, "image: the image data is empty"),
        (("blank.png", io.BytesIO()), InvalidRequestError, "image: blank.png is empty"),
        (
            gif,
            InvalidRequestError,
            f"image: {gif} is not a PNG, JPEG or WEBP image (starts with b'GIF89a",
        ),
        (
            ("photo.gif", b"GIF89a\x01\x00\x01\x00"),
            InvalidRequestError,
            "image: photo.gif is not a PNG, JPEG or WEBP image (starts with b'GIF89a",
        ),
        (
            huge,
            InvalidRequestError,
            f"image: {huge} is 50.0 MB (52,428,800 bytes); the limit is 52,428,799 bytes",
        ),
        (5, InvalidRequestTypeError, "image: expected a path, bytes, a binary file object"),
        (None, InvalidRequestTypeError, "got NoneType None"),
        (text_file, InvalidRequestTypeError, "photo.png is open in text mode; open it in binary"),
        (
            ("a.png", "a.png"),
            InvalidRequestTypeError,
            "the content of a.png must be bytes or a binary file object, got str 'a.png'",
        ),
        (("a.png", png_bytes(), "png", 1), InvalidRequestTypeError, "got 4 items"),
        ((b"a.png", png_bytes()), InvalidRequestTypeError, "the file name must be a string"),
        (("a.png", png_bytes(), 7), InvalidRequestTypeError, "the content type must be a string"),
        ({"file_name": "a.png"}, InvalidRequestError, "image.content: is required"),
        ({"filename": "a.png", "content": b""}, InvalidRequestError, "unknown key 'filename'"),
        (closed, InvalidRequestError, "image: the image file object is closed"),
    ]


def test_bad_images_are_refused_naming_the_field_and_file_before_sending(
    server: LoopbackServer, tmp_path: Path
) -> None:
    with (tmp_path / "photo.png").open("w") as text_file:
        for value, error, message in _bad_inputs(tmp_path, text_file):
            with pytest.raises(error) as caught:
                send(server, value, model="openai/dall-e-2")
            assert message in str(caught.value), (value, str(caught.value))
            assert isinstance(caught.value, InvalidRequestError)
            assert caught.value.field in ("image", "image.content")
    assert server.requests == [], "nothing may reach the server"


def test_type_errors_are_also_type_errors_and_value_errors() -> None:
    with pytest.raises(TypeError):
        prepare_image(3.5, field="image", rule=IMAGE_RULE)
    with pytest.raises(ValueError, match="no such file"):
        prepare_image("missing.png", field="image", rule=IMAGE_RULE)


def test_errors_carry_the_field_they_were_asked_for() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        prepare_image(b"not an image", field="mask", rule=IMAGE_RULE)
    assert caught.value.field == "mask"
    assert str(caught.value) == (
        "mask: the image data is not a PNG, JPEG or WEBP image (starts with b'not an i')"
    )


def test_the_client_and_the_local_router_agree_on_the_size_limit(tmp_path: Path) -> None:
    """Both read the limit from the spec: a file of exactly x-max-bytes goes through
    both, one byte more is refused by both."""
    from orq_images.testing import LocalRouter

    at_limit, over = tmp_path / "limit.jpg", tmp_path / "over.jpg"
    for path, size in ((at_limit, IMAGE_RULE.max_bytes), (over, IMAGE_RULE.max_bytes + 1)):
        with path.open("wb") as file:
            file.write(jpeg_bytes())  # LocalRouter decodes PNGs, not JPEGs
            file.truncate(size)  # sparse: no disk space
    assert prepare_image(at_limit, field="image", rule=IMAGE_RULE).size == IMAGE_RULE.max_bytes
    with pytest.raises(InvalidRequestError, match=f"the limit is {IMAGE_RULE.max_bytes:,} bytes"):
        prepare_image(over, field="image", rule=IMAGE_RULE)
    with LocalRouter() as router, httpx2.Client(base_url=router.url, timeout=60) as http:
        for path, expected in ((at_limit, 200), (over, 400)):
            with path.open("rb") as file:
                answer = http.post(
                    "/v2/router/images/variations",
                    headers={"Authorization": "Bearer k"},
                    data={"model": "openai/dall-e-2", "response_format": "b64_json"},
                    files={"image": ("limit.jpg", file, "image/jpeg")},
                )
            assert answer.status_code == expected, answer.text


def test_an_endless_unseekable_stream_stops_at_the_limit() -> None:
    class Endless:
        def __init__(self) -> None:
            self.served = 0

        def read(self, size: int = -1) -> bytes:
            assert size > 0, "must never ask for everything"
            self.served += size
            return bytes(size)  # the size is checked before the content

    source = Endless()
    with pytest.raises(InvalidRequestError, match="is larger than the limit of"):
        prepare_image(source, field="image", rule=IMAGE_RULE)
    assert source.served == IMAGE_RULE.max_bytes + 1


def test_a_file_that_changes_after_the_check_fails_the_send_by_name(
    server: LoopbackServer, png_file: Path
) -> None:
    stream = MultipartStream(
        [], [("image", prepare_image(png_file, field="image", rule=IMAGE_RULE))]
    )
    with png_file.open("ab") as file:
        file.write(b"more")
    with pytest.raises(InvalidRequestError, match=r"photo\.png changed after it was checked"):
        send_stream(server, stream)

    buffer = io.BytesIO(png_bytes(CHUNK_SIZE))
    stream = MultipartStream([], [("image", prepare_image(buffer, field="image", rule=IMAGE_RULE))])
    buffer.truncate(100)
    with pytest.raises(InvalidRequestError, match="got shorter than its"):
        send_stream(server, stream)
    buffer.close()
    with pytest.raises(InvalidRequestError, match="was closed before it was sent"):
        send_stream(server, stream)
