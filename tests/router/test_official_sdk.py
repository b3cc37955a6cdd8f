"""orq's official SDK (orq-ai-sdk), an independent client of the same API, against LocalRouter."""

from __future__ import annotations

import base64

import httpx2
from orq_ai_sdk import Orq as OfficialOrq

from orq_images.testing import LocalRouter
from tests.router.pngcheck import read_png


def test_generations(orq_router: LocalRouter) -> None:
    with OfficialOrq(api_key="official-key", server_url=orq_router.url) as orq:
        res = orq.router.images.generations.create(
            prompt="a red fox",
            model="openai/gpt-image-1",
            n=2,
            size="64x64",
            response_format="b64_json",
            retry={"count": 2, "on_codes": [429, 503]},
            orq={
                "fallbacks": [{"model": "openai/dall-e-3"}],
                "identity": {"id": "contact_1", "email": "jane@example.com"},
            },
        )
    assert res is not None
    assert len(res.data) == 2
    assert read_png(base64.b64decode(res.data[0].b64_json or "")).width == 64
    logged = orq_router.requests[0]
    assert logged.status == 200
    assert logged.headers["authorization"] == "Bearer [REDACTED]"
    # The official SDK sends whole numbers as floats; the router takes them as the live API does.
    assert logged.body["retry"] == {"count": 2.0, "on_codes": [429.0, 503.0]}


def test_variations_with_an_upload_and_a_url_response(orq_router: LocalRouter) -> None:
    with OfficialOrq(api_key="official-key", server_url=orq_router.url) as orq:
        source = orq.router.images.generations.create(
            prompt="a lighthouse",
            model="openai/gpt-image-1",
            size="48x48",
            response_format="b64_json",
        )
        assert source is not None
        png = base64.b64decode(source.data[0].b64_json or "")
        res = orq.router.images.variations.create(
            model="openai/dall-e-2",
            image={"file_name": "lighthouse.png", "content": png, "content_type": "image/png"},
            n=2,
            size="256x256",
            retry={"on_codes": [429]},
            cache={"type": "exact_match", "ttl": 60},
            orq={"prompt": {"id": "prompt_1", "version": "latest"}},
        )
    assert res is not None
    assert res.size == "256x256"
    urls = [item.url for item in res.data]
    assert len(urls) == 2
    for url in urls:
        assert url is not None
        assert read_png(httpx2.get(url).content).width == 256
    assert [r.method for r in orq_router.requests] == ["POST", "POST", "GET", "GET"]
    logged = orq_router.requests[1]
    assert logged.path == "/v2/router/images/variations"
    assert logged.status == 200
    assert logged.body["n"] == 2.0  # sent as the text "2.0"
    assert logged.file is not None
    assert (logged.file.filename, logged.file.size) == ("lighthouse.png", len(png))
    assert logged.response_headers["x-orq-cache"] == "miss"
