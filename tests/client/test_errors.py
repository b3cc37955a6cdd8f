"""Error responses become the typed errors, whatever their body looks like."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx2
import pytest

import orq_images
from orq_images import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    Orq,
)
from tests.conftest import API_KEY
from tests.support.server import LoopbackServer, Reply


@pytest.fixture
def orq(server: LoopbackServer) -> Iterator[Orq]:
    with Orq(server_url=server.url, retry_config=orq_images.RetryConfig(max_retries=0)) as client:
        yield client


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, orq_images.BadRequestError),
        (401, orq_images.AuthenticationError),
        (403, orq_images.PermissionDeniedError),
        (404, orq_images.NotFoundError),
        (409, orq_images.ConflictError),
        (422, orq_images.UnprocessableEntityError),
        (429, orq_images.RateLimitError),
        (418, APIStatusError),
        (500, orq_images.InternalServerError),
        (503, orq_images.InternalServerError),
    ],
)
def test_each_status_has_its_error(
    orq: Orq, server: LoopbackServer, status: int, error: type[APIStatusError]
) -> None:
    server.queue(Reply(status, {"message": "nope", "code": "x"}, {"x-request-id": "req_9"}))
    with pytest.raises(error) as caught:
        orq.router.images.generations.create(prompt="p", model="m")
    assert type(caught.value) is error
    assert caught.value.status_code == status
    assert caught.value.message == "nope"
    assert caught.value.body == {"message": "nope", "code": "x"}
    assert caught.value.request_id == "req_9"
    assert caught.value.response.status_code == status
    assert str(caught.value) == f"Error code: {status} - nope (request id req_9)"


@pytest.mark.parametrize(
    ("reply", "message", "body"),
    [
        (Reply(400, {"error": {"message": "bad size", "param": "size"}}), "bad size", None),
        (
            Reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        ),
        (Reply(500, b""), "Internal Server Error", None),
        (Reply(400, b'{"message": "cut'), '{"message": "cut', '{"message": "cut'),
        (Reply(400, b"\xff\xfe bad bytes"), "\ufffd\ufffd bad bytes", "\ufffd\ufffd bad bytes"),
        (Reply(400, {"code": "no_message"}), "Bad Request", {"code": "no_message"}),
    ],
)
def test_any_error_body_gives_a_message_never_a_decode_error(
    orq: Orq, server: LoopbackServer, reply: Reply, message: str, body: object
) -> None:
    server.queue(reply)
    with pytest.raises(APIStatusError) as caught:
        orq.router.images.generations.create(prompt="p", model="m")
    assert caught.value.message == message
    if body is not None:
        assert caught.value.body == body


def test_a_huge_error_body_gives_a_short_message(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(500, "x" * 5_000_000))
    with pytest.raises(orq_images.InternalServerError) as caught:
        orq.router.images.generations.create(prompt="p", model="m")
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(200, "<html>maintenance</html>"), "not JSON"),
        (Reply(200, b""), "not JSON"),
        (Reply(200, b'{"created": 1, "data": ['), "not JSON"),
        (Reply(200, {"data": []}), "created: is required"),
        (Reply(200, {"created": "yesterday", "data": []}), "created: expected a whole number"),
        (Reply(200, {"created": 1, "data": [1]}), "data[0]: expected an object"),
        (Reply(200, [1, 2]), "expected an object"),
    ],
)
def test_a_success_body_that_is_not_the_documented_json(
    orq: Orq, server: LoopbackServer, reply: Reply, words: str
) -> None:
    server.queue(reply)
    with pytest.raises(APIResponseValidationError) as caught:
        orq.router.images.generations.create(prompt="p", model="m")
    assert words in str(caught.value)
    assert caught.value.status_code == 200


def test_unknown_response_fields_are_kept(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(200, {"created": 5, "data": [{"url": "u", "seed": 7}], "trace": "t"}))
    result = orq.router.images.generations.create(prompt="p", model="m")
    assert result.created == 5
    assert result.additional_properties == {"trace": "t"}
    assert result.data[0].additional_properties == {"seed": 7}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_wrapped_with_its_cause() -> None:
    with Orq(
        server_url=f"http://127.0.0.1:{_free_port()}",
        retry_config=orq_images.RetryConfig(max_retries=0),
    ) as orq:
        with pytest.raises(APIConnectionError) as caught:
            orq.router.images.generations.create(prompt="p", model="m")
        assert isinstance(caught.value.__cause__, httpx2.ConnectError)
        assert not isinstance(caught.value, APITimeoutError)
        assert API_KEY not in str(caught.value)
        assert API_KEY not in repr(caught.value)


def test_timeout_is_an_api_timeout_error(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(200, {"created": 1, "data": []}, delay=2))
    with pytest.raises(APITimeoutError) as caught:
        orq.router.images.generations.create(prompt="p", model="m", timeout_ms=200)
    assert isinstance(caught.value.__cause__, httpx2.TimeoutException)


def test_the_key_never_shows_in_errors_or_reprs(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(401, {"message": "invalid key"}))
    with pytest.raises(APIStatusError) as caught:
        orq.router.images.generations.create(prompt="p", model="m")
    for text in (str(caught.value), repr(caught.value), repr(orq), str(orq), repr(orq._settings)):
        assert API_KEY not in text


def test_errors_are_one_hierarchy() -> None:
    assert issubclass(APITimeoutError, APIConnectionError)
    for name in orq_images.__all__:
        obj = getattr(orq_images, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, orq_images.OrqError), name
    assert issubclass(orq_images.InvalidRequestError, ValueError)
    assert issubclass(orq_images.InvalidRequestTypeError, TypeError)


def test_every_error_has_the_attributes_orq_ai_sdk_code_reads(
    orq: Orq, server: LoopbackServer
) -> None:
    """`except OrqError as e: e.status_code` never fails: None where nothing answered."""
    server.queue(Reply(429, {"error": {"message": "slow down", "type": "rate_limit_error"}}))
    caught: list[orq_images.OrqError] = []
    for call in (
        lambda: orq.router.images.generations.create(prompt="p", model="m"),
        lambda: orq.router.images.generations.create(prompt="p", model="m", n=0),
    ):
        try:
            call()
        except orq_images.OrqError as e:
            caught.append(e)
    with Orq(server_url=f"http://127.0.0.1:{_free_port()}") as unreachable:
        try:
            unreachable.router.images.generations.create(prompt="p", model="m", retries=0)
        except orq_images.OrqError as e:
            caught.append(e)
    answered, refused, unanswered = caught
    assert isinstance(answered, orq_images.RateLimitError)
    assert (answered.status_code, answered.message, answered.type) == (
        429,
        "slow down",
        "rate_limit_error",
    )
    assert answered.raw_response is answered.response
    assert answered.headers is not None
    assert answered.headers["content-type"] == "application/json"
    assert answered.body == {"error": {"message": "slow down", "type": "rate_limit_error"}}
    for error in (refused, unanswered):
        assert (error.status_code, error.body, error.headers, error.raw_response) == (None,) * 4
        assert error.message == str(error)
    assert isinstance(unanswered, APIConnectionError)
