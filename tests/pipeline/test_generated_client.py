"""The generated package: each generator fix, and both operations through its low-level functions.

Every test here fails if the fix it names is removed from scripts/codegen.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from orq_images_generated import AuthenticatedClient, errors
from orq_images_generated.api.images import create_image, create_image_variation
from orq_images_generated.models import (
    Background,
    CreateImageRequest,
    CreateImageVariationRequest,
    Fallback,
    ImageResponse,
    ImageVariationResponse,
    LoadBalancerModel,
    Retry,
)
from orq_images_generated.types import File
from tests.conftest import PNG_1X1, image_response
from tests.support.server import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "generated" / "orq_images_generated"


@pytest.fixture
def client(server: LoopbackServer) -> Iterator[AuthenticatedClient]:
    with AuthenticatedClient(base_url=server.url, token="tok") as running:
        yield running


def variation_body(**fields: Any) -> CreateImageVariationRequest:
    return CreateImageVariationRequest(
        model="m", image=File(payload=io.BytesIO(PNG_1X1), file_name="a.png"), **fields
    )


# --- spec pre-pass -------------------------------------------------------------------------------


def test_nullable_enums_become_one_class_each_and_keep_none() -> None:
    """Defect: `type: [string, "null"]` + enum gave `..._type_1`, `..._type_2_type_1`, ...
    and lost None."""
    assert not list(PACKAGE.glob("models/*_type_*.py"))
    request = CreateImageRequest(prompt="p", model="m", background=None)
    assert request.to_dict()["background"] is None
    assert (
        CreateImageRequest.from_dict({"prompt": "p", "model": "m", "background": None}).background
        is None
    )
    parsed = CreateImageRequest.from_dict({"prompt": "p", "model": "m", "background": "opaque"})
    assert parsed.background is Background.OPAQUE


def test_spec_defaults_are_not_sent() -> None:
    """Defect: spec defaults became attribute defaults, so `n=1`, `weight=0.5` went out unasked."""
    assert CreateImageRequest(prompt="p", model="m").to_dict() == {"prompt": "p", "model": "m"}
    assert LoadBalancerModel(model="x").to_dict() == {"model": "x"}
    assert [name for name, _ in variation_body().to_multipart()] == ["model", "image"]
    docstring = " ".join((PACKAGE / "models/create_image_request.py").read_text().split())
    assert "The server's default is 1." in docstring


def test_whole_numbers_are_integers() -> None:
    """Defect seen in orq's SDK: `type: number` sends 3 as 3.0; whole values are integers."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    schemas = spec["components"]["schemas"]
    assert schemas["CreateImageRequest"]["properties"]["n"]["type"] == ["integer", "null"]
    assert schemas["Retry"]["properties"]["count"]["type"] == "integer"
    assert schemas["Retry"]["properties"]["on_codes"]["items"]["type"] == "integer"
    assert schemas["Cache"]["properties"]["ttl"]["type"] == "integer"
    assert schemas["Timeout"]["properties"]["call_timeout"]["type"] == "integer"
    assert json.dumps(Retry(count=3, on_codes=[429]).to_dict()) == '{"count": 3, "on_codes": [429]}'


# --- template patches ----------------------------------------------------------------------------


def test_declared_error_statuses_raise(client: AuthenticatedClient, server: LoopbackServer) -> None:
    """Defect: declared 4XX/5XX bodies were returned as values."""
    server.queue(Reply(400, {"message": "bad"}))
    with pytest.raises(errors.UnexpectedStatus) as caught:
        create_image.sync(client=client, body=CreateImageRequest(prompt="p", model="m"))
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    "reply",
    [
        Reply(502, "<html>Bad Gateway</html>"),
        Reply(500, {"code": "missing_message"}),
        Reply(503, b""),
    ],
)
def test_odd_error_bodies_raise_unexpected_status(
    client: AuthenticatedClient, server: LoopbackServer, reply: Reply
) -> None:
    """Defect: an HTML 502 raised JSONDecodeError; an error body missing a key raised KeyError."""
    server.queue(reply)
    with pytest.raises(errors.UnexpectedStatus):
        create_image.sync_detailed(client=client, body=CreateImageRequest(prompt="p", model="m"))


@pytest.mark.parametrize(
    "reply", [Reply(200, "<html/>"), Reply(200, {"data": []}), Reply(200, [1])]
)
def test_malformed_success_bodies_raise_unexpected_body(
    client: AuthenticatedClient, server: LoopbackServer, reply: Reply
) -> None:
    server.queue(reply)
    with pytest.raises(errors.UnexpectedBody) as caught:
        create_image.sync(client=client, body=CreateImageRequest(prompt="p", model="m"))
    assert caught.value.status_code == 200


def test_unexpected_status_message_is_short() -> None:
    error = errors.UnexpectedStatus(500, b"x" * 10_000_000)
    assert len(str(error)) < 700


def test_the_client_has_a_default_timeout() -> None:
    """Defect: no default timeout; a silent server made a call wait forever."""
    client = AuthenticatedClient(base_url="http://127.0.0.1:1", token="t")
    assert client.get_httpx_client().timeout == httpx.Timeout(600.0, connect=5.0)


def test_multipart_boundary_is_random(client: AuthenticatedClient, server: LoopbackServer) -> None:
    """Defect: the fixed boundary `+++` let a value holding `\\r\\n--+++` inject a part."""
    sneaky = 'x\r\n--+++\r\nContent-Disposition: form-data; name="model"\r\n\r\nevil'
    for _ in range(2):
        create_image_variation.sync(client=client, body=variation_body(user=sneaky))
    first, second = server.requests
    boundaries = {r.headers["content-type"].split("boundary=")[1] for r in server.requests}
    assert len(boundaries) == 2
    assert "+++" not in boundaries
    assert first.form()["user"].text == sneaky
    assert first.form()["model"].text == "m"
    assert second.form()["model"].text == "m"


def test_an_array_of_objects_is_one_json_part(
    client: AuthenticatedClient, server: LoopbackServer
) -> None:
    """Defect: `fallbacks` went out as repeated parts; a server keeping the last saw one."""
    body = variation_body(fallbacks=[Fallback(model="a"), Fallback(model="b")])
    create_image_variation.sync(client=client, body=body)
    form = server.requests[0].form()  # fails on a repeated part name
    assert json.loads(form["fallbacks"].value) == [{"model": "a"}, {"model": "b"}]


def test_none_is_not_sent_as_text(client: AuthenticatedClient, server: LoopbackServer) -> None:
    """Defect: None went into a multipart field as the text `None`."""
    create_image_variation.sync(client=client, body=variation_body(n=None))
    assert "n" not in server.requests[0].form()
    create_image_variation.sync(client=client, body=variation_body(n=3))
    assert server.requests[1].form()["n"].text == "3"


def test_a_file_without_a_name_is_still_a_file_part(
    client: AuthenticatedClient, server: LoopbackServer
) -> None:
    """Defect: a File without file_name went out as a text field."""
    body = CreateImageVariationRequest(model="m", image=File(payload=io.BytesIO(PNG_1X1)))
    create_image_variation.sync(client=client, body=body)
    part = server.requests[0].form()["image"]
    assert part.filename == "upload"
    assert part.value == PNG_1X1


# --- both operations through every low-level function -------------------------------------------


def test_generations_through_every_function(
    client: AuthenticatedClient, server: LoopbackServer
) -> None:
    body = CreateImageRequest(prompt="p", model="m", n=2)
    assert isinstance(create_image.sync(client=client, body=body), ImageResponse)
    detailed = create_image.sync_detailed(client=client, body=body)
    assert detailed.status_code == 200
    assert isinstance(detailed.parsed, ImageResponse)
    assert server.requests[0].json() == {"prompt": "p", "model": "m", "n": 2}
    assert server.requests[0].headers["authorization"] == "Bearer tok"


async def test_generations_through_the_async_functions(
    client: AuthenticatedClient, server: LoopbackServer
) -> None:
    body = CreateImageRequest(prompt="p", model="m")
    assert isinstance(await create_image.asyncio(client=client, body=body), ImageResponse)
    detailed = await create_image.asyncio_detailed(client=client, body=body)
    assert isinstance(detailed.parsed, ImageResponse)
    await client.get_async_httpx_client().aclose()


def test_variations_through_every_function(
    client: AuthenticatedClient, server: LoopbackServer
) -> None:
    server.default = Reply(200, image_response(size="256x256"))
    result = create_image_variation.sync(client=client, body=variation_body(n=2))
    assert isinstance(result, ImageVariationResponse)
    assert result.size == "256x256"
    detailed = create_image_variation.sync_detailed(client=client, body=variation_body())
    assert isinstance(detailed.parsed, ImageVariationResponse)
    form = server.requests[0].form()
    assert form["image"].value == PNG_1X1
    assert form["image"].filename == "a.png"
    assert form["n"].text == "2"


async def test_variations_through_the_async_functions(
    client: AuthenticatedClient, server: LoopbackServer
) -> None:
    result = await create_image_variation.asyncio(client=client, body=variation_body())
    assert isinstance(result, ImageVariationResponse)
    detailed = await create_image_variation.asyncio_detailed(client=client, body=variation_body())
    assert isinstance(detailed.parsed, ImageVariationResponse)
    assert server.requests[1].form()["image"].value == PNG_1X1
    await client.get_async_httpx_client().aclose()


def test_every_module_says_it_is_generated() -> None:
    for module in PACKAGE.rglob("*.py"):
        assert module.read_text().startswith("# Generated by scripts/generate"), module
