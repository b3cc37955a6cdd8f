"""Any 200 body either parses or raises APIResponseValidationError, never anything else.

Bodies are drawn valid from the spec's response schemas, then some are broken:
a value swapped for one of another type, a key dropped, the JSON cut short,
bytes that are not UTF-8, or no JSON at all. Whether a body should parse is
decided independently, by `json` and `jsonschema` against openapi.yaml; a body
that parses must come back as the same data.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orq_images import APIResponseValidationError, Orq
from orq_images._spec import load_spec
from tests.property.strategies import JSON_VALUES, SchemaStrategies
from tests.support.server import LoopbackServer, Reply
from tests.support.spec_check import errors

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SCHEMAS = SchemaStrategies(load_spec())
UNKNOWN_FIELD = "field_added_by_a_newer_server"
Path = tuple[str | int, ...]


def _locations(value: Any, here: Path = ()) -> list[Path]:
    """Every place in a JSON value, the root included."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locations(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _locations(item, (*here, index))
    return found


def _replaced(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)  # type: ignore[index]
    return copy


def _dropped(value: Any, path: Path) -> Any:
    """`value` without the key at `path`."""
    head, rest = path[0], path[1:]
    if not rest:
        return {k: v for k, v in value.items() if k != head}
    if isinstance(value, dict):
        return {**value, head: _dropped(value[head], rest)}
    copy = list(value)
    copy[head] = _dropped(copy[head], rest)  # type: ignore[index]
    return copy


@st.composite
def bodies(draw: st.DrawFn, schema_name: str) -> bytes:
    valid = draw(SCHEMAS.named(schema_name))
    how = draw(st.sampled_from(["valid", "extra", "retype", "drop", "truncate", "utf8", "junk"]))
    if how == "extra":
        valid = {**valid, UNKNOWN_FIELD: draw(JSON_VALUES)}
    if how == "retype":
        path = draw(st.sampled_from(_locations(valid)))
        valid = _replaced(valid, path, draw(JSON_VALUES | st.none()))
    if how == "drop":
        keyed = [path for path in _locations(valid) if path and isinstance(path[-1], str)]
        if keyed:
            valid = _dropped(valid, draw(st.sampled_from(keyed)))
    text = json.dumps(valid).encode()
    if how == "truncate":
        return text[: draw(st.integers(0, len(text) - 1))]
    if how == "utf8":
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + b"\xff\xfe" + text[cut:]
    if how == "junk":
        return draw(st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
    return text


def _without_nulls(value: Any) -> Any:
    """The value as to_dict gives it back: nulls of fields left out, unknown fields as they came."""
    if isinstance(value, dict):
        return {
            k: v if k == UNKNOWN_FIELD else _without_nulls(v)
            for k, v in value.items()
            if v is not None or k == UNKNOWN_FIELD
        }
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _should_parse(schema_name: str, body: bytes) -> tuple[bool, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return False, None
    return not errors(schema_name, value), value


def _check(loopback: LoopbackServer, call: Any, schema_name: str, body: bytes) -> None:
    loopback.queue(Reply(200, body, {"Content-Type": "application/json"}))
    should_parse, value = _should_parse(schema_name, body)
    event("parsed" if should_parse else "rejected")
    if not should_parse:
        with pytest.raises(APIResponseValidationError) as caught:
            call()
        assert caught.value.status_code == 200
        return
    result = call()
    # A null field reads as None, as a missing one does; to_dict leaves both out.
    assert result.to_dict() == _without_nulls(value)
    if UNKNOWN_FIELD in value:
        assert result.additional_properties[UNKNOWN_FIELD] == value[UNKNOWN_FIELD]


@EXAMPLES
@given(body=bodies("ImageResponse"))
def test_generation_responses(loopback: LoopbackServer, client: Orq, body: bytes) -> None:
    def call() -> Any:
        return client.router.images.generations.create(prompt="a fox", model="m")

    _check(loopback, call, "ImageResponse", body)


@EXAMPLES
@given(body=bodies("ImageVariationResponse"))
def test_variation_responses(loopback: LoopbackServer, client: Orq, body: bytes) -> None:
    def call() -> Any:
        return client.router.images.variations.create(model="m", image=b"\x89PNG\r\n\x1a\n0")

    _check(loopback, call, "ImageVariationResponse", body)


def _lenient_should_parse(schema_name: str, body: bytes) -> tuple[bool, Any]:
    """Lenient parsing refuses only what is not a JSON object holding the required
    top-level fields, and nested objects missing theirs."""
    try:
        value = json.loads(body)
    except ValueError:
        return False, None
    if not isinstance(value, dict):
        return False, value
    required = load_spec()["components"]["schemas"][schema_name]["required"]
    return all(name in value for name in required), value


@EXAMPLES
@given(body=bodies("ImageVariationResponse"))
def test_lenient_parsing_takes_any_object_with_the_required_fields(
    loopback: LoopbackServer, lenient_client: Orq, body: bytes
) -> None:
    loopback.queue(Reply(200, body, {"Content-Type": "application/json"}))
    should_parse, value = _lenient_should_parse("ImageVariationResponse", body)

    def call() -> Any:
        return lenient_client.router.images.variations.create(
            model="m", image=b"\x89PNG\r\n\x1a\n0"
        )

    if not should_parse:
        event("refused")
        with pytest.raises(APIResponseValidationError):
            call()
        return
    try:
        result = call()
    except APIResponseValidationError as exc:
        # A nested object missing a required field: still refused, naming it.
        event("refused: nested")
        message = str(exc)
        assert "KeyError" in message, message
        return
    assert should_parse
    event("parsed")
    for name, item in value.items():
        if name in ("created", "output_format", "size", "quality"):
            assert getattr(result, name) == item
        elif name not in ("data", "usage"):
            assert result.additional_properties[name] == item
    for key in ("output_format", "size", "quality", "usage"):
        if value.get(key) is None:
            assert getattr(result, key) is None
