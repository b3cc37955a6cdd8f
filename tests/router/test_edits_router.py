"""LocalRouter serves edits as it serves the spec's other operations."""

from __future__ import annotations

import base64

import httpx2
from orq_ai_sdk import Orq as OfficialOrq

from orq_images import Orq
from orq_images.testing import LocalRouter
from tests.conftest import PNG_1X1
from tests.router.pngcheck import read_png


def test_an_edit_comes_back_at_the_size_asked(orq_router: LocalRouter) -> None:
    with Orq(api_key="k", server_url=orq_router.url) as orq:
        res = orq.router.images.edits.create(
            model="openai/gpt-image-1",
            prompt="add a hat",
            image=PNG_1X1,
            n=2,
            size="32x32",
            response_format="b64_json",
            fallback_on_codes=[503],
        )
    assert [read_png(image.to_bytes()).width for image in res.data] == [32, 32]
    assert res.size == "32x32"
    assert res.usage is not None
    assert res.usage.input_tokens_details.text_tokens >= 1
    logged = orq_router.requests[0]
    assert logged.path == "/v2/router/images/edits"
    assert logged.body["fallback_on_codes"] == [503]
    assert logged.file is not None


def test_an_edit_without_its_image_is_refused_naming_it(orq_router: LocalRouter) -> None:
    answer = httpx2.post(
        f"{orq_router.url}/v2/router/images/edits",
        headers={"Authorization": "Bearer k"},
        files={"model": (None, b"m"), "prompt": (None, b"p")},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "image: is required"


def test_orqs_sdk_edits_on_the_local_router(orq_router: LocalRouter) -> None:
    with OfficialOrq(api_key="k", server_url=orq_router.url) as official:
        res = official.router.images.edits.create(
            model="openai/gpt-image-1",
            prompt="add a hat",
            image={"file_name": "fox.png", "content": PNG_1X1, "content_type": "image/png"},
            size="16x16",
            response_format="b64_json",
        )
    assert res is not None
    assert read_png(base64.b64decode(res.data[0].b64_json or "")).width == 16


def test_an_edit_of_several_images_is_served(orq_router: LocalRouter) -> None:
    images = [PNG_1X1, ("b.png", PNG_1X1), {"file_name": "c.png", "content": PNG_1X1}]
    with Orq(api_key="k", server_url=orq_router.url) as orq:
        res = orq.router.images.edits.create(
            model="openai/gpt-image-1", prompt="add a hat", image=images, size="16x16"
        )
    assert len(res.data) == 1
    logged = orq_router.requests[0]
    assert [(f.field, f.filename) for f in logged.files] == [
        ("image", "image.png"),
        ("image", "b.png"),
        ("image", "c.png"),
    ]


def _post_images(orq_router: LocalRouter, path: str, count: int) -> httpx2.Response:
    files = [("model", (None, b"m")), ("prompt", (None, b"p"))]
    files += [("image[]", (f"{i}.png", PNG_1X1, "image/png")) for i in range(count)]
    return httpx2.post(
        f"{orq_router.url}{path}", headers={"Authorization": "Bearer k"}, files=files
    )


def test_more_images_than_the_spec_allows_are_refused(orq_router: LocalRouter) -> None:
    answer = _post_images(orq_router, "/v2/router/images/edits", 17)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "image: takes at most 16 images, got 17"
    assert _post_images(orq_router, "/v2/router/images/edits", 16).status_code == 200


def test_a_list_of_images_is_refused_where_the_spec_takes_one(orq_router: LocalRouter) -> None:
    answer = _post_images(orq_router, "/v2/router/images/variations", 2)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith("image: ")
