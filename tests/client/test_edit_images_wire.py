"""Edits take one image or a list of up to 16: each file its own `image[]` part.

The wire form is orq-ai-sdk's (its multipart serializer sends a list of files as
repeated `image[]` parts), stated in openapi.yaml's encoding for edits. The parts
are read with the independent `multipart` parser.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from orq_images import AsyncOrq, InvalidRequestError, InvalidRequestTypeError, Orq
from orq_images._spec import operations
from tests.conftest import ASYNC_TRANSPORTS, AsyncHttpFactory
from tests.support.server import LoopbackServer
from tests.support.uploads import jpeg_bytes, png_bytes, webp_bytes

EDIT = {"model": "openai/gpt-image-1", "prompt": "add a hat"}


@pytest.fixture(params=["sync", *ASYNC_TRANSPORTS])
def edit(request: pytest.FixtureRequest, server: LoopbackServer) -> Any:
    """`edit(image=...)`: one edits call, sync or async on each async transport."""

    def run(**fields: Any) -> Any:
        if request.param == "sync":
            with Orq(api_key="k", server_url=server.url) as orq:
                return orq.router.images.edits.create(**EDIT, **fields)

        async def run_async() -> Any:
            http = AsyncHttpFactory(request.param)()
            async with AsyncOrq(api_key="k", server_url=server.url, http_client=http) as orq:
                return await orq.router.images.edits.create(**EDIT, **fields)

        return asyncio.run(run_async())

    return run


def test_a_list_of_images_goes_as_repeated_image_parts_in_order(
    edit: Any, server: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "first.png"
    path.write_bytes(png_bytes(1000))
    edit(image=[path, ("second.jpg", jpeg_bytes()), webp_bytes()])
    parts = [part for part in server.requests[0].parts() if part.filename is not None]
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("image[]", "first.png", "image/png"),
        ("image[]", "second.jpg", "image/jpeg"),
        ("image[]", "image.webp", "image/webp"),
    ]
    assert [p.value for p in parts] == [png_bytes(1000), jpeg_bytes(), webp_bytes()]
    assert [p.name for p in server.requests[0].parts()][:2] == ["model", "prompt"]


def test_one_image_goes_as_one_image_part(edit: Any, server: LoopbackServer) -> None:
    edit(image=("a.png", png_bytes()))
    form = server.requests[0].form()
    assert form["image"].value == png_bytes()
    assert "image[]" not in form


def test_the_most_images_the_spec_allows_are_sent(edit: Any, server: LoopbackServer) -> None:
    most = operations()["createImageEdit"].files["image"].max_items
    assert most == 16
    edit(image=[png_bytes(index) for index in range(most)])
    parts = [part for part in server.requests[0].parts() if part.name == "image[]"]
    assert [part.value for part in parts] == [png_bytes(index) for index in range(most)]


@pytest.mark.parametrize(
    ("image", "field", "problem"),
    [
        ([png_bytes()] * 17, "image", "at most 16 images, got 17"),
        ([], "image", "at least 1 image"),
        ([png_bytes(), png_bytes(), png_bytes(), b"GIF89a not this"], "image[3]", "not a PNG"),
        ([png_bytes(), "/no/such/file.png"], "image[1]", "no such file"),
        ([png_bytes(), 42], "image[1]", "expected a path"),
    ],
)
def test_a_bad_list_is_refused_naming_the_image_and_nothing_is_sent(
    edit: Any, server: LoopbackServer, image: list[Any], field: str, problem: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        edit(image=image)
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert server.requests == []


def test_variations_still_take_one_image(server: LoopbackServer) -> None:
    with (
        Orq(api_key="k", server_url=server.url) as orq,
        pytest.raises(InvalidRequestTypeError) as caught,
    ):
        orq.router.images.variations.create(model="m", image=[png_bytes(), png_bytes()])
    assert caught.value.field == "image"
    assert server.requests == []
