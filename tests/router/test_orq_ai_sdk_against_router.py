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


@pytest.mark.parametrize(
    "listed",
    [
        {"fallback_on_codes[]": ["500", "503"]},  # orq-ai-sdk's form: repeated parts
        {"fallback_on_codes": "[500,503]"},  # one part of JSON text
    ],
)
def test_the_router_reads_a_list_in_a_form_either_way(
    keyed_router: LocalRouter, listed: dict[str, str | list[str]]
) -> None:
    answer = httpx2.post(
        keyed_router.url + "/v2/router/images/variations",
        data={"model": "m", **listed},
        files={"image": ("in.png", _png(), "image/png")},
        headers={"Authorization": "Bearer sk-right"},
    )
    assert answer.status_code == 200, answer.text
    assert keyed_router.requests[0].body == {"model": "m", "fallback_on_codes": [500, 503]}


def test_orq_ai_sdk_and_this_sdk_send_fallback_on_codes_the_router_reads(
    keyed_router: LocalRouter,
) -> None:
    image = {"file_name": "in.png", "content": _png(), "content_type": "image/png"}
    with orq_ai_sdk.Orq(api_key="sk-right", server_url=keyed_router.url) as theirs:
        theirs.router.images.variations.create(model="m", image=image, fallback_on_codes=[429, 503])
    with Orq(api_key="sk-right", server_url=keyed_router.url) as ours:
        ours.router.images.variations.create(model="m", image=image, fallback_on_codes=[429, 503])
    assert [r.status for r in keyed_router.requests] == [200, 200]
    assert [r.body["fallback_on_codes"] for r in keyed_router.requests] == [[429, 503]] * 2


def test_a_list_sent_in_both_forms_at_once_is_refused(keyed_router: LocalRouter) -> None:
    answer = httpx2.post(
        keyed_router.url + "/v2/router/images/variations",
        data={"model": "m", "fallback_on_codes": "[500]", "fallback_on_codes[]": ["503"]},
        files={"image": ("in.png", _png(), "image/png")},
        headers={"Authorization": "Bearer sk-right"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "fallback_on_codes"
