"""orq-ai-sdk 4.17.13 pointed at LocalRouter meets orq's error shape: its own normal
API errors, never a ResponseValidationError; this SDK reads the same bodies."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import orq_ai_sdk
import pytest
from orq_ai_sdk import models as orq_models

from orq_images import AuthenticationError, BadRequestError, Orq
from orq_images.testing import LocalRouter
from tests.router.pngcheck import encode_png

GENERATIONS = "/v2/router/images/generations"


@pytest.fixture
def keyed_router() -> Iterator[LocalRouter]:
    with LocalRouter(api_key="sk-right") as router:
        yield router


def test_a_wrong_key_is_orq_ai_sdks_api_error_response(keyed_router: LocalRouter) -> None:
    with (
        orq_ai_sdk.Orq(api_key="sk-wrong", server_url=keyed_router.url) as orq,
        pytest.raises(orq_models.APIErrorResponse) as caught,
    ):
        orq.router.images.generations.create(prompt="a fox", model="openai/dall-e-2")
    assert caught.value.status_code == 401
    assert caught.value.data.error.type == "authentication_error"
    assert "Authorization: Bearer" in caught.value.data.error.message
    assert "sk-wrong" not in caught.value.body


def test_a_refused_request_is_orq_ai_sdks_api_default_error(keyed_router: LocalRouter) -> None:
    with orq_ai_sdk.Orq(api_key="sk-right", server_url=keyed_router.url) as orq:
        with pytest.raises(orq_models.APIDefaultError) as caught:
            orq.router.images.generations.create(
                prompt="a fox", model="openai/dall-e-2", size="huge"
            )
        assert caught.value.status_code == 400
        assert "size" in caught.value.body
        res = orq.router.images.generations.create(
            prompt="a fox", model="openai/dall-e-2", size="64x64"
        )
        assert res.data
        assert res.data[0].url


def test_this_sdk_reads_the_same_bodies(keyed_router: LocalRouter) -> None:
    with (
        Orq(api_key="sk-wrong", server_url=keyed_router.url) as orq,
        pytest.raises(AuthenticationError) as wrong_key,
    ):
        orq.router.images.generations.create(prompt="a fox", model="openai/dall-e-2")
    assert wrong_key.value.type == "authentication_error"
    assert wrong_key.value.code == "unauthorized"
    assert wrong_key.value.message.startswith("authorization:")
    with (
        Orq(api_key="sk-right", server_url=keyed_router.url) as orq,
        pytest.raises(BadRequestError) as refused,
    ):
        orq.router.images.generations.create(prompt="a fox", model="m", extra_body={"size": "huge"})
    assert refused.value.param == "size"


def test_the_log_gives_the_json_body_and_the_parsed_form(keyed_router: LocalRouter) -> None:
    headers = {"Authorization": "Bearer sk-right"}
    httpx2.post(keyed_router.url + GENERATIONS, json={"prompt": "p", "model": "m"}, headers=headers)
    form = {"model": "m", "n": "2", "retry": '{"count": 2}'}
    first = keyed_router.requests[0]
    varied = httpx2.post(
        keyed_router.url + "/v2/router/images/variations",
        data=form,
        files={"image": ("in.png", _png(), "image/png")},
        headers=headers,
    )
    assert varied.status_code == 200, varied.text
    generation, variation = keyed_router.requests
    assert generation == first
    assert generation.json() == {"prompt": "p", "model": "m"}
    assert variation.body == {"model": "m", "n": 2, "retry": {"count": 2}}
    assert variation.file is not None
    assert (variation.file.field, variation.file.filename) == ("image", "in.png")
    with pytest.raises(ValueError, match="`body` holds its parsed form"):
        variation.json()


def _png() -> bytes:
    return encode_png(4, 4, 2, [bytes(12)] * 4, [0] * 4)
