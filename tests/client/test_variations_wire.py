"""Variations through the client: the upload part and the fields, as a real server receives them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orq_images import AsyncOrq, InvalidRequestError, Orq, RetryConfig
from tests.conftest import PNG_1X1
from tests.support.server import LoopbackServer, Reply


@pytest.fixture
def orq(server: LoopbackServer) -> Iterator[Orq]:
    with Orq(server_url=server.url, retry_config=RetryConfig(backoff_initial=0.01)) as client:
        yield client


@pytest.mark.parametrize(
    ("make_image", "filename"),
    [
        (str, "photo.png"),
        (lambda p: p, "photo.png"),
        (lambda p: p.read_bytes(), "image.png"),
        (lambda p: bytearray(p.read_bytes()), "image.png"),
        (lambda p: memoryview(p.read_bytes()), "image.png"),
        (lambda p: io.BytesIO(p.read_bytes()), "image.png"),
        (lambda p: ("mine", p.read_bytes()), "mine.png"),
        (lambda p: ("mine.png", p.read_bytes(), "image/png"), "mine.png"),
        (lambda p: {"file_name": "doc.png", "content": p.read_bytes()}, "doc.png"),
    ],
)
def test_every_image_input_becomes_a_named_png_part(
    orq: Orq, server: LoopbackServer, tmp_path: Path, make_image: object, filename: str
) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(PNG_1X1)
    orq.router.images.variations.create(model="openai/dall-e-2", image=make_image(path), n=2)  # type: ignore[operator]
    form = server.requests[0].form()
    assert form["image"].filename == filename
    assert form["image"].headers["content-type"] == "image/png"
    assert form["image"].value == PNG_1X1
    assert form["n"].text == "2"
    assert form["model"].text == "openai/dall-e-2"


def test_nested_objects_are_one_json_field_each(orq: Orq, server: LoopbackServer) -> None:
    orq.router.images.variations.create(
        model="m",
        image=PNG_1X1,
        fallbacks=[{"model": "a"}, {"model": "b"}],
        retry={"count": 2, "on_codes": [429]},
        orq={"prompt": {"id": "p1", "version": "latest"}, "cache": {"type": "exact_match"}},
        response_format="b64_json",
        user="u-1",
    )
    form = server.requests[0].form()  # fails on a repeated part
    assert json.loads(form["fallbacks"].value) == [{"model": "a"}, {"model": "b"}]
    assert json.loads(form["retry"].value) == {"count": 2, "on_codes": [429]}
    assert json.loads(form["orq"].value)["prompt"] == {"id": "p1", "version": "latest"}
    assert form["response_format"].text == "b64_json"
    assert "size" not in form  # spec defaults are the server's, not sent


def test_every_retry_sends_identical_bytes(
    orq: Orq, server: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(PNG_1X1 + b"\0" * 300_000)
    server.queue(Reply(503), Reply(502))
    with path.open("rb") as handle:
        orq.router.images.variations.create(model="m", image=handle)
    bodies = [r.body for r in server.requests]
    assert len(bodies) == 3
    images = [r.form()["image"].value for r in server.requests]
    assert images[0] == images[1] == images[2] == path.read_bytes()


def test_a_missing_file_is_refused_before_sending(orq: Orq, server: LoopbackServer) -> None:
    with pytest.raises(InvalidRequestError, match=r"^image: .*no such file.*nowhere\.png"):
        orq.router.images.variations.create(model="m", image="/nowhere.png")
    assert server.requests == []


def test_a_non_image_is_refused_before_sending(orq: Orq, server: LoopbackServer) -> None:
    with pytest.raises(InvalidRequestError, match="image"):
        orq.router.images.variations.create(model="m", image=b"GIF89a....")
    assert server.requests == []


async def test_async_variation_upload(server: LoopbackServer, tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(PNG_1X1)
    server.queue(Reply(503))
    async with AsyncOrq(
        server_url=server.url, retry_config=RetryConfig(backoff_initial=0.01)
    ) as orq:
        result = await orq.router.images.variations.create(model="m", image=path, size="256x256")
    assert result.data[0].to_bytes() == PNG_1X1
    assert [r.form()["image"].value for r in server.requests] == [PNG_1X1, PNG_1X1]
    assert server.requests[1].form()["size"].text == "256x256"
