"""orq's newer API on the wire: edits, plugins and fallback_on_codes, as orq's own SDK
(orq-ai-sdk 4.17.13) sends them for the same call, read by a real server with the
independent `multipart` parser. Where orq's SDK sends a whole number as `2.0`, ours
sends `2`, as the spec's integers ask."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from orq_ai_sdk import Orq as OfficialOrq

from orq_images import AsyncOrq, InvalidRequestError, Orq
from tests.conftest import PNG_1X1, image_response
from tests.support.server import LoopbackServer, Part, Reply

ROUTING: dict[str, Any] = {
    "fallback_on_codes": [500, 503],
    "fallbacks": [{"model": "openai/dall-e-2"}],
    "retry": {"count": 2, "on_codes": [429]},
    "orq": {
        "fallback_on_codes": [502],
        "prompt": {"id": "prompt_1", "version": "latest"},
        "identity": {"id": "user_1"},
    },
}


def _decoded(parts: list[Part]) -> dict[str, Any]:
    """Each text part as the value it stands for: JSON text decoded, other text as is.

    Both SDKs send a list of numbers as repeated `name[]` parts, one number each
    (the spec's `style: form, explode: true`); they read as one list here.
    """
    decoded: dict[str, Any] = {}
    for part in parts:
        if part.filename is not None:
            decoded[part.name] = (part.filename, part.content_type, part.value)
            continue
        try:
            value = json.loads(part.text)
        except ValueError:
            value = part.text
        if part.name.endswith("[]"):
            decoded.setdefault(part.name.removesuffix("[]"), []).append(value)
        else:
            assert part.name not in decoded, f"repeated part {part.name}"
            decoded[part.name] = value
    return decoded


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    path.write_bytes(PNG_1X1)
    return path


def test_an_edit_carries_what_orqs_sdk_sends(server: LoopbackServer, photo: Path) -> None:
    server.queue(Reply(200, image_response()))
    with Orq(server_url=server.url) as orq:
        orq.router.images.edits.create(
            model="openai/gpt-image-1",
            prompt="add a red hat",
            image=photo,
            n=2,
            size="1024x1024",
            quality="high",
            response_format="b64_json",
            user="user_1",
            **ROUTING,
        )
    with OfficialOrq(api_key="k", server_url=server.url) as official:
        official.router.images.edits.create(
            model="openai/gpt-image-1",
            prompt="add a red hat",
            image={"file_name": "photo.png", "content": PNG_1X1, "content_type": "image/png"},
            n=2,
            size="1024x1024",
            quality="high",
            response_format="b64_json",
            user="user_1",
            **ROUTING,
        )
    assert [r.path for r in server.requests] == ["/v2/router/images/edits"] * 2
    ours, theirs = (request.parts() for request in server.requests)
    assert _decoded(ours) == _decoded(theirs)
    for parts in (ours, theirs):
        listed = [(p.text, p.content_type) for p in parts if p.name == "fallback_on_codes[]"]
        assert listed == [("500", None), ("503", None)]
        assert "fallback_on_codes" not in {p.name for p in parts}
    ours = {p.name: p for p in ours if p.name != "fallback_on_codes[]"}  # one part per field
    assert ours["n"].text == "2"  # orq's SDK: "2.0"
    assert json.loads(ours["retry"].text) == {"count": 2, "on_codes": [429]}
    assert ours["retry"].text == '{"count":2,"on_codes":[429]}'
    assert ours["image"].headers["content-type"] == "image/png"


def test_plugins_and_fallback_on_codes_carry_what_orqs_sdk_sends(server: LoopbackServer) -> None:
    plugin = {
        "id": "pii_redaction",
        "language": "auto",
        "regions": ["nl"],
        "entities": ["EMAIL_ADDRESS", "PHONE_NUMBER"],
        "entity_thresholds": {"EMAIL_ADDRESS": 0.9},
        "threshold": 0.5,
        "on_failure": "block",
    }
    call: dict[str, Any] = {
        "prompt": "a fox",
        "model": "openai/gpt-image-1",
        "n": 1,
        "plugins": [plugin],
        "fallback_on_codes": [429, 500],
        "orq": {"fallback_on_codes": [503]},
    }
    with Orq(server_url=server.url) as orq:
        orq.router.images.generations.create(**call)
    with OfficialOrq(api_key="k", server_url=server.url) as official:
        official.router.images.generations.create(**call)
    ours, theirs = (request.json() for request in server.requests)
    assert ours == theirs
    assert b'"fallback_on_codes":[429,500]' in server.requests[0].body
    assert b'"n":1,' in server.requests[0].body


@pytest.mark.parametrize(
    ("fallback_on_codes", "field", "problem"),
    [
        ([200], "fallback_on_codes[0]", "below the minimum 400"),
        ([600], "fallback_on_codes[0]", "above the maximum 599"),
        ([500, 500], "fallback_on_codes", "500 is repeated"),
        (list(range(400, 421)), "fallback_on_codes", "more items than the maximum 20"),
    ],
)
def test_fallback_on_codes_is_checked_before_sending(
    server: LoopbackServer, fallback_on_codes: list[int], field: str, problem: str
) -> None:
    with Orq(server_url=server.url) as orq, pytest.raises(InvalidRequestError) as caught:
        orq.router.images.generations.create(
            prompt="p", model="m", fallback_on_codes=fallback_on_codes
        )
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert server.requests == []


def test_a_plugin_needs_its_id(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq, pytest.raises(InvalidRequestError, match="plugins"):
        orq.router.images.generations.create(prompt="p", model="m", plugins=[{"threshold": 0.5}])  # type: ignore[typeddict-item]
    assert server.requests == []


async def test_edits_on_the_async_client(server: LoopbackServer, photo: Path) -> None:
    server.queue(Reply(200, image_response()))
    async with AsyncOrq(server_url=server.url) as orq:
        res = await orq.router.images.edits.create(model="m", prompt="p", image=photo)
    assert res.data[0].to_bytes() == PNG_1X1
    assert server.requests[0].form()["prompt"].text == "p"
