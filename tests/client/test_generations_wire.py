"""What the client puts on the wire for a JSON call, read by a real loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orq_images import InvalidRequestError, InvalidRequestTypeError, Orq
from tests.conftest import API_KEY, PNG_1X1
from tests.support.server import LoopbackServer


@pytest.fixture
def orq(server: LoopbackServer) -> Iterator[Orq]:
    with Orq(server_url=server.url) as client:
        yield client


def test_only_fields_the_caller_set_are_sent(orq: Orq, server: LoopbackServer) -> None:
    orq.router.images.generations.create(prompt="a fox", model="openai/gpt-image-1", size=None)
    (request,) = server.requests
    assert request.json() == {"prompt": "a fox", "model": "openai/gpt-image-1"}  # no n=1, no None
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["user-agent"].startswith("orq-images/")


def test_nested_objects_are_sent_as_given(orq: Orq, server: LoopbackServer) -> None:
    orq.router.images.generations.create(
        prompt="p",
        model="m",
        n=2.0,  # a whole float is sent as the integer the spec asks for
        quality="high",
        retry={"count": 2, "on_codes": (429,)},
        cache={"type": "exact_match"},
        fallbacks=[{"model": "a"}, {"model": "b"}],
        orq={"cache": {"type": "exact_match", "ttl": 60}},
    )
    body = server.requests[0].json()
    assert body == {
        "prompt": "p",
        "model": "m",
        "n": 2,
        "quality": "high",
        "retry": {"count": 2, "on_codes": [429]},
        "cache": {"type": "exact_match"},
        "fallbacks": [{"model": "a"}, {"model": "b"}],
        "orq": {"cache": {"type": "exact_match", "ttl": 60}},
    }
    assert b'"n":2,' in server.requests[0].body


def test_objects_the_spec_leaves_open_take_any_key(orq: Orq, server: LoopbackServer) -> None:
    identity = {"id": "u", "metadata": [{"plan": "pro", "seats": 3}]}
    orq.router.images.generations.create(
        prompt="p", model="m", metadata={"team": "a"}, orq={"identity": identity}
    )
    body = server.requests[0].json()
    assert body["orq"]["identity"] == identity
    assert body["metadata"] == {"team": "a"}


def test_extra_body_and_http_headers(orq: Orq, server: LoopbackServer) -> None:
    orq.router.images.generations.create(
        prompt="p", model="m", extra_body={"future_field": {"x": 1}}, http_headers={"X-Trace": "t1"}
    )
    request = server.requests[0]
    assert request.json()["future_field"] == {"x": 1}
    assert request.headers["x-trace"] == "t1"


def test_per_call_server_url(server: LoopbackServer) -> None:
    with Orq(server_url="http://127.0.0.1:9") as orq:  # nothing listens there
        orq.router.images.generations.create(prompt="p", model="m", server_url=server.url)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "field", "words"),
    [
        ({"model": "m"}, InvalidRequestError, "prompt", "is required"),
        ({"prompt": "p", "model": "m", "n": 11}, InvalidRequestError, "n", "above the maximum 10"),
        ({"prompt": "p", "model": "m", "n": 0}, InvalidRequestError, "n", "below the minimum 1"),
        ({"prompt": "p", "model": "m", "n": "2"}, InvalidRequestTypeError, "n", "whole number"),
        ({"prompt": "p", "model": "m", "n": 2.5}, InvalidRequestTypeError, "n", "whole number"),
        ({"prompt": "p", "model": 3}, InvalidRequestTypeError, "model", "expected a string"),
        (
            {"prompt": "p", "model": "m", "style": "loud"},
            InvalidRequestError,
            "style",
            "not one of",
        ),
        (
            {"prompt": "p", "model": "m", "orq": {"retry": {"on_codes": [429, 700]}}},
            InvalidRequestError,
            "orq.retry.on_codes[1]",
            "above the maximum 599",
        ),
        (
            {"prompt": "p", "model": "m", "cache": {"ttl": 10}},
            InvalidRequestError,
            "cache.type",
            "is required",
        ),
        (
            {"prompt": "p", "model": "m", "orq": {"identity": {"id": "x", "email": "nope"}}},
            InvalidRequestError,
            "orq.identity.email",
            "not an e-mail address",
        ),
        (
            {"prompt": "p", "model": "m", "sizee": "1x1"},
            InvalidRequestTypeError,
            "sizee",
            "did you mean `size`?",
        ),
        (
            {"prompt": "p", "modle": "m"},
            InvalidRequestTypeError,
            "modle",
            "did you mean `model`?",
        ),
        (
            {"prompt": "p", "model": "m", "colour_depth": 8},
            InvalidRequestTypeError,
            "colour_depth",
            "extra_body",
        ),
        # A misspelled key of a nested object: its path, and the closest key.
        (
            {"prompt": "p", "model": "m", "orq": {"identiy": {"id": "u"}}},
            InvalidRequestError,
            "orq.identiy",
            "orq.identiy: did you mean identity?",
        ),
        (
            {"prompt": "p", "model": "m", "retry": {"cont": 2}},
            InvalidRequestError,
            "retry.cont",
            "did you mean count?",
        ),
        (
            {"prompt": "p", "model": "m", "orq": {"identity": {"id": "u", "emial": "e"}}},
            InvalidRequestError,
            "orq.identity.emial",
            "did you mean email?",
        ),
        (
            {"prompt": "p", "model": "m", "cache": {"type": "exact_match", "zz": 1}},
            InvalidRequestError,
            "cache.zz",
            "is not a field of this object, which takes type, ttl",
        ),
    ],
)
def test_bad_input_is_refused_before_sending(
    orq: Orq,
    server: LoopbackServer,
    kwargs: dict[str, object],
    error: type[Exception],
    field: str,
    words: str,
) -> None:
    with pytest.raises(error) as caught:
        orq.router.images.generations.create(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field  # type: ignore[attr-defined]
    assert words in str(caught.value)
    assert str(caught.value).startswith(field)
    assert server.requests == []


def test_type_errors_are_type_errors_and_value_errors_value_errors(orq: Orq) -> None:
    with pytest.raises(TypeError):
        orq.router.images.generations.create(prompt="p", model="m", n="3")  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="quality"):
        orq.router.images.generations.create(prompt="p", model="m", quality="ultra")


def test_variation_size_outside_its_enum_is_refused(orq: Orq, server: LoopbackServer) -> None:
    with pytest.raises(InvalidRequestError, match=r"^size: '300x300' is not one of"):
        orq.router.images.variations.create(model="m", image=PNG_1X1, size="300x300")  # type: ignore[arg-type]
    assert server.requests == []
