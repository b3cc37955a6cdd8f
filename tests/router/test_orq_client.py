"""orq_images' own client against LocalRouter: both endpoints, sync and async, errors, retries."""

from __future__ import annotations

from pathlib import Path

import pytest

from orq_images import AsyncOrq, BadRequestError, InternalServerError, Orq, RetryConfig
from orq_images.testing import LocalRouter
from tests.router.pngcheck import read_png

FAST = RetryConfig(backoff_initial=0.01, backoff_max=0.02)


def test_generate_then_vary_the_saved_file(orq_router: LocalRouter, tmp_path: Path) -> None:
    with Orq(api_key="k", server_url=orq_router.url, retry_config=FAST) as orq:
        res = orq.router.images.generations.create(
            prompt="a red fox", model="openai/gpt-image-1", size="128x128"
        )
        source = res.data[0].save(tmp_path / "fox.png")  # a url: downloaded through the client
        variations = orq.router.images.variations.create(
            model="openai/dall-e-2", image=source, n=2, size="256x256", response_format="b64_json"
        )
    assert read_png(source.read_bytes()).width == 128
    assert [read_png(d.to_bytes()).width for d in variations.data] == [256, 256]
    assert variations.usage is not None
    upload = orq_router.requests[2]
    assert upload.file is not None
    assert (upload.file.filename, upload.file.content_type) == ("fox.png", "image/png")
    assert upload.body["n"] == 2  # sent as "2", not "2.0"


def test_routing_headers_are_on_the_detailed_response(orq_router: LocalRouter) -> None:
    orq_router.fail_model("openai/broken")
    with Orq(api_key="k", server_url=orq_router.url) as orq:
        raw = orq.router.images.generations.create_detailed(
            prompt="p",
            model="openai/broken",
            size="16x16",
            fallbacks=[{"model": "openai/dall-e-3"}],
            cache={"type": "exact_match"},
        )
    assert raw.status_code == 200
    assert raw.headers["x-orq-served-by"] == "openai/dall-e-3"
    assert raw.headers["x-orq-cache"] == "miss"
    assert raw.request_id is not None
    assert raw.request_id.startswith("req_")
    assert len(raw.parse().data) == 1


def test_the_client_retries_a_queued_fault(orq_router: LocalRouter) -> None:
    orq_router.queue_fault(status=503, headers={"Retry-After": "0"})
    orq_router.queue_fault(drop_connection=True)
    # A connection dropped after the request was read is re-sent only when asked.
    resend = RetryConfig(backoff_initial=0.01, backoff_max=0.02, retry_unanswered=True)
    with Orq(api_key="k", server_url=orq_router.url, retry_config=resend) as orq:
        res = orq.router.images.generations.create(prompt="p", model="m", size="8x8")
    assert len(res.data) == 1
    assert [r.status for r in orq_router.requests] == [503, None, 200]
    assert len({str(r.body) for r in orq_router.requests}) == 1


def test_router_errors_become_typed_errors(orq_router: LocalRouter) -> None:
    orq_router.fail_model(
        "openai/broken",
    )
    with Orq(api_key="k", server_url=orq_router.url, retry_config=FAST) as orq:
        with pytest.raises(InternalServerError, match="every model failed") as failed:
            orq.router.images.generations.create(prompt="p", model="openai/broken", retries=0)
        with pytest.raises(BadRequestError, match="size") as refused:
            # extra_body skips the client's own checks, so the router's are what refuses it.
            orq.router.images.generations.create(prompt="p", model="m", extra_body={"size": "huge"})
    assert failed.value.status_code == 503
    message = "size: 'huge' is not WIDTHxHEIGHT, such as 1024x1024"
    assert refused.value.body == {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "code": "invalid_request",
            "param": "size",
        }
    }
    assert refused.value.message == message
    assert (refused.value.type, refused.value.code, refused.value.param) == (
        "invalid_request_error",
        "invalid_request",
        "size",
    )


async def test_async_client(orq_router: LocalRouter) -> None:
    async with AsyncOrq(api_key="k", server_url=orq_router.url) as orq:
        res = await orq.router.images.generations.create(prompt="p", model="m", size="32x32")
        png = await res.data[0].ato_bytes()
        variations = await orq.router.images.variations.create(
            model="m", image=png, size="512x512", response_format="b64_json"
        )
    assert read_png(variations.data[0].to_bytes()).width == 512
    assert orq_router.requests[-1].file is not None
