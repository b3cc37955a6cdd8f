"""The generations endpoint through plain httpx: real PNGs, sizes, n, URLs, determinism."""

from __future__ import annotations

import base64
import time

import httpx2
import pytest

from orq_images.testing import LocalRouter
from tests.router.conftest import GENERATIONS
from tests.router.pngcheck import read_png
from tests.support.spec_check import assert_matches


def _images(http: httpx2.Client, **body: object) -> list[bytes]:
    response = http.post(
        GENERATIONS,
        json={
            "prompt": "a red fox",
            "model": "openai/gpt-image-1",
            "response_format": "b64_json",
            **body,
        },
    )
    assert response.status_code == 200, response.text
    assert_matches("ImageResponse", response.json())
    return [base64.b64decode(item["b64_json"]) for item in response.json()["data"]]


def test_returns_n_valid_pngs_of_the_requested_size(http: httpx2.Client) -> None:
    images = _images(http, n=3, size="320x200")
    assert len(images) == 3
    for data in images:
        png = read_png(data)
        assert (png.width, png.height) == (320, 200)
    assert len(set(images)) == 3, "each index draws a different image"


def test_default_size_is_1024_square_and_fast(http: httpx2.Client) -> None:
    started = time.perf_counter()
    (data,) = _images(http)
    elapsed = time.perf_counter() - started
    png = read_png(data)
    assert (png.width, png.height) == (1024, 1024)
    assert elapsed < 1.0, f"a 1024x1024 generation took {elapsed:.2f} s"


def test_auto_size_is_the_default(http: httpx2.Client) -> None:
    (data,) = _images(http, size="auto")
    assert read_png(data).width == 1024


def test_images_are_deterministic_from_prompt_model_size_and_index(http: httpx2.Client) -> None:
    first = _images(http, n=2, size="64x64")
    assert _images(http, n=2, size="64x64") == first
    assert _images(http, n=1, size="64x64") == first[:1]
    assert _images(http, n=2, size="64x64", prompt="a blue fox") != first
    assert _images(http, n=2, size="64x64", model="openai/dall-e-3") != first
    assert _images(http, n=2, size="64x48")[0] != first[0]


def test_an_image_is_not_a_flat_colour(http: httpx2.Client) -> None:
    (data,) = _images(http, size="128x128")
    png = read_png(data)
    colours = {png.pixel(x, y) for x in range(0, 128, 8) for y in range(0, 128, 8)}
    assert len(colours) > 20


def test_url_is_the_default_and_downloads_from_the_router(
    http: httpx2.Client, orq_router: LocalRouter
) -> None:
    response = http.post(
        GENERATIONS, json={"prompt": "a fox", "model": "m", "n": 2, "size": "32x32"}
    )
    assert response.status_code == 200
    body = response.json()
    assert_matches("ImageResponse", body)
    urls = [item["url"] for item in body["data"]]
    assert all(url.startswith(f"{orq_router.url}/files/") for url in urls)
    # A download needs no key, like the live API's signed URLs.
    downloads = [httpx2.get(url) for url in urls]
    assert [d.status_code for d in downloads] == [200, 200]
    assert downloads[0].headers["content-type"] == "image/png"
    assert read_png(downloads[0].content).width == 32
    assert downloads[0].content == _images(http, prompt="a fox", model="m", size="32x32")[0]


def test_an_unknown_file_is_404_and_files_are_read_only(http: httpx2.Client) -> None:
    missing = http.get("/files/0123.png")
    assert missing.status_code == 404
    assert "0123.png" in missing.json()["error"]["message"]
    assert http.post("/files/0123.png").status_code == 405


def test_usage_counts_tokens(http: httpx2.Client) -> None:
    body = http.post(
        GENERATIONS, json={"prompt": "a fox on a hill", "model": "m", "size": "64x64", "n": 2}
    ).json()
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"]["text_tokens"] > 0
    assert isinstance(body["created"], int)
    assert abs(body["created"] - time.time()) < 60


@pytest.mark.parametrize("n", [2, 2.0])
def test_whole_number_floats_count_as_integers(http: httpx2.Client, n: object) -> None:
    assert len(_images(http, n=n, size="16x16")) == 2


def test_unknown_fields_are_accepted_like_the_live_api(http: httpx2.Client) -> None:
    assert len(_images(http, size="16x16", brand_new_field={"x": 1})) == 1


def test_responses_carry_a_request_id(http: httpx2.Client) -> None:
    response = http.post(GENERATIONS, json={"prompt": "p", "model": "m", "size": "8x8"})
    assert response.headers["x-request-id"].startswith("req_")
