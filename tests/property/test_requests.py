"""Any input the spec allows becomes a request that openapi.yaml accepts, carrying that input.

Inputs are drawn from the spec's schemas; what the server receives is decoded
without SDK code (json, and the `multipart` library for forms) and checked with
`jsonschema` against openapi.yaml.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orq_images import Orq
from orq_images._spec import load_spec
from tests.property.strategies import SchemaStrategies
from tests.support.server import LoopbackServer, Part
from tests.support.spec_check import errors, property_schema

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SCHEMAS = SchemaStrategies(load_spec())
GENERATION = "CreateImageRequest"
VARIATION = "CreateImageVariationRequest"
IMAGE_HEADS = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp")


def _without_none(value: Any) -> Any:
    """What the SDK sends for a value: None means "not set", so it is left out."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def _send(loopback: LoopbackServer, create: Any, **params: Any) -> Any:
    loopback.requests.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # `contact` is deprecated, still sent
        create(**params)
    (sent,) = loopback.requests
    return sent


@EXAMPLES
@given(params=SCHEMAS.named(GENERATION))
def test_any_valid_generation_input_is_sent_as_valid_json(
    loopback: LoopbackServer, client: Orq, params: dict[str, Any]
) -> None:
    sent = _send(loopback, client.router.images.generations.create, **params)
    assert sent.headers["content-type"] == "application/json"
    body = json.loads(sent.body)
    assert errors(GENERATION, body, strict=True) == []
    assert body == _without_none(params)


@st.composite
def images(draw: st.DrawFn) -> tuple[Any, bytes, str]:
    """(what the caller passes as image=, the file's bytes, its content type)."""
    content_type = draw(st.sampled_from(sorted(IMAGE_HEADS)))
    data = IMAGE_HEADS[content_type] + draw(st.binary(min_size=1, max_size=2048))
    name = draw(st.sampled_from(["photo.png", "photo", "p h\u00f6to.jpeg", "x.webp"]))
    forms = {
        "bytes": data,
        "bytearray": bytearray(data),
        "bytesio": io.BytesIO(data),
        "tuple": (name, data),
        "dict": {"file_name": name, "content": data, "content_type": content_type},
    }
    return forms[draw(st.sampled_from(sorted(forms)))], data, content_type


# Lists the spec sends as repeated `name[]` parts (`style: form, explode: true`).
EXPLODED = {
    name
    for name, how in load_spec()["paths"]["/v2/router/images/variations"]["post"]["requestBody"][
        "content"
    ]["multipart/form-data"]["encoding"].items()
    if how.get("style") == "form"
}


def _decoded_text(schema: dict[str, Any], name: str, text: str) -> Any:
    types = schema.get("type", "object")
    kinds = {types} if isinstance(types, str) else set(types)
    if kinds & {"object", "array", "integer", "number"}:
        if "integer" in kinds:
            assert re.fullmatch(r"-?\d+", text), f"{name}={text!r} is not a whole number"
        return json.loads(text)
    return text


def _decoded_form(parts: list[Part]) -> dict[str, Any]:
    """The form's text fields as the API reads them: JSON text decoded where the spec says
    so, `name[]` parts gathered into the list `name`; any other repeated field fails."""
    decoded: dict[str, Any] = {}
    for part in parts:
        name = part.name.removesuffix("[]")
        schema = property_schema(VARIATION, name)
        if part.name.endswith("[]"):
            assert name in EXPLODED, f"{part.name} is sent as a list's item"
            item = _decoded_text(schema["items"], part.name, part.value.decode("utf-8"))
            decoded.setdefault(name, []).append(item)
            continue
        assert name not in decoded, f"repeated part {name}"
        decoded[name] = _decoded_text(schema, name, part.value.decode("utf-8"))
    return decoded


@EXAMPLES
@given(params=SCHEMAS.named(VARIATION, leave_out=frozenset({"image"})), image=images())
def test_any_valid_variation_input_is_sent_as_a_valid_form(
    loopback: LoopbackServer,
    client: Orq,
    params: dict[str, Any],
    image: tuple[Any, bytes, str],
) -> None:
    given_image, data, content_type = image
    sent = _send(loopback, client.router.images.variations.create, image=given_image, **params)
    (image_part,) = [part for part in sent.parts() if part.name == "image"]
    assert image_part.value == data
    assert image_part.content_type == content_type
    assert image_part.filename is not None
    assert image_part.filename.lower().endswith(IMAGE_SUFFIXES)
    decoded = _decoded_form([part for part in sent.parts() if part.name != "image"])
    # The image was checked above as a file part; the schema only needs it present.
    assert errors(VARIATION, {**decoded, "image": "<file part>"}, strict=True) == []
    # An empty list sent as `name[]` parts is no part at all: absent, as orq reads it.
    expected = {k: v for k, v in _without_none(params).items() if not (k in EXPLODED and v == [])}
    assert decoded == expected
