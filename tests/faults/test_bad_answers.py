"""Answers that are not what the API documents: bursts of 5xx, HTML, empty, truncated, binary, huge.

An error status becomes its typed APIStatusError with a readable message; a 2xx
body that is not the documented JSON becomes APIResponseValidationError. Never
a JSONDecodeError, UnicodeDecodeError or KeyError.
"""

from __future__ import annotations

import json

import pytest

from orq_images import (
    APIResponseValidationError,
    APIStatusError,
    BadRequestError,
    InternalServerError,
    Orq,
)
from tests.conftest import image_response
from tests.faults.conftest import SLACK, Stopwatch, assert_waits
from tests.support.server import LoopbackServer, Reply

HTML_502 = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
NOT_JSON = (json.JSONDecodeError, UnicodeDecodeError, KeyError)


def _create(orq: Orq) -> object:
    return orq.router.images.generations.create(prompt="a fox", model="openai/gpt-image-1")


def test_a_503_burst_shorter_than_the_retries_succeeds(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(503, {"message": "busy"}), Reply(503, {"message": "still busy"}))
    assert _create(orq).created == 1_732_233_600  # type: ignore[attr-defined]
    assert len(server.requests) == 3
    assert_waits(server, [0.05, 0.1])


def test_a_503_burst_longer_than_the_retries_raises_the_last(
    orq: Orq, server: LoopbackServer
) -> None:
    server.queue(*[Reply(503, {"message": f"busy {i}"}) for i in range(5)])
    with pytest.raises(InternalServerError) as caught:
        _create(orq)
    assert len(server.requests) == 3
    assert_waits(server, [0.05, 0.1])
    assert caught.value.status_code == 503
    assert caught.value.message == "busy 2"
    assert caught.value.body == {"message": "busy 2"}


def test_an_html_502_is_retried_then_reported_by_its_text(orq: Orq, server: LoopbackServer) -> None:
    server.queue(*[Reply(502, HTML_502, {"Content-Type": "text/html"})] * 3)
    with pytest.raises(InternalServerError) as caught:
        _create(orq)
    assert len(server.requests) == 3
    error = caught.value
    assert error.status_code == 502
    assert isinstance(error.body, str)
    assert "502 Bad Gateway" in error.message
    assert "\n" not in error.message
    assert str(error).startswith("Error code: 502 - ")


@pytest.mark.parametrize(
    ("status", "message"), [(500, "Internal Server Error"), (400, "Bad Request")]
)
def test_an_empty_error_body_gives_the_reason_phrase(
    orq: Orq, server: LoopbackServer, status: int, message: str
) -> None:
    server.queue(*[Reply(status, b"", {"Content-Type": "application/json"})] * 3)
    with pytest.raises(APIStatusError) as caught:
        _create(orq)
    assert caught.value.message == message
    assert caught.value.body is None


def test_an_empty_success_body(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(200, b"", {"Content-Type": "application/json"}))
    with pytest.raises(APIResponseValidationError, match="not JSON") as caught:
        _create(orq)
    assert len(server.requests) == 1  # a 200 is an answer: not retried
    assert caught.value.status_code == 200


TRUNCATED = b'{"created": 1732233600, "data": [{"b64_json": "iVBORw0K'


def test_truncated_json_on_success(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(200, TRUNCATED, {"Content-Type": "application/json"}))
    with pytest.raises(APIResponseValidationError) as caught:
        _create(orq)
    assert not isinstance(caught.value.__cause__, NOT_JSON)
    assert "not JSON" in str(caught.value)
    assert '{"created": 1732233600' in str(caught.value)  # an excerpt of what came


def test_truncated_json_on_error(orq: Orq, server: LoopbackServer) -> None:
    server.queue(
        Reply(400, b'{"message": "size must be one of', {"Content-Type": "application/json"})
    )
    with pytest.raises(BadRequestError) as caught:
        _create(orq)
    assert caught.value.message == '{"message": "size must be one of'
    assert caught.value.body == '{"message": "size must be one of'


INVALID_UTF8 = b'{"created": 1732233600, "data": [{"url": "http://x/\xff\xfe.png"}]}'


def test_invalid_utf8_on_success(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(200, INVALID_UTF8, {"Content-Type": "application/json"}))
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        _create(orq)


def test_invalid_utf8_on_error(orq: Orq, server: LoopbackServer) -> None:
    server.queue(Reply(400, b"bad \xff\xfe request", {"Content-Type": "text/plain"}))
    with pytest.raises(BadRequestError) as caught:
        _create(orq)
    assert caught.value.message == "bad \ufffd\ufffd request"


def test_a_20_mb_error_body_gives_a_short_message(orq: Orq, server: LoopbackServer) -> None:
    huge = b"<html>" + b"overloaded " * (20 * 2**20 // 11) + b"</html>"
    server.queue(*[Reply(503, huge, {"Content-Type": "text/html"})] * 3)
    watch = Stopwatch()
    with pytest.raises(InternalServerError) as caught:
        _create(orq)
    assert len(server.requests) == 3
    assert watch.elapsed < 0.05 + 0.1 + 3 * SLACK + 2
    error = caught.value
    assert error.message.startswith("<html>overloaded overloaded")
    assert len(str(error)) < 400
    assert len(repr(error)) < 400


def test_a_wrong_content_type_with_the_documented_json_still_parses(
    orq: Orq, server: LoopbackServer
) -> None:
    # Proxies relabel bodies; what counts is that the body is the documented JSON.
    body = json.dumps(image_response()).encode()
    server.queue(Reply(200, body, {"Content-Type": "text/html; charset=utf-8"}))
    assert _create(orq).created == 1_732_233_600  # type: ignore[attr-defined]


def test_a_wrong_content_type_with_html_on_success(orq: Orq, server: LoopbackServer) -> None:
    server.queue(
        Reply(200, HTML_502.replace("502 Bad Gateway", "Welcome"), {"Content-Type": "text/html"})
    )
    with pytest.raises(APIResponseValidationError) as caught:
        _create(orq)
    assert "not JSON" in str(caught.value)
    assert "<!DOCTYPE html>" in str(caught.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"created": "yesterday", "data": []},
        {"data": []},
        {"created": 1, "data": {"b64_json": "x"}},
        [1, 2, 3],
        "just text",
    ],
    ids=["wrong-type", "missing-created", "data-not-a-list", "a-list", "a-string"],
)
def test_json_that_is_not_the_documented_body(
    orq: Orq, server: LoopbackServer, body: object
) -> None:
    server.queue(Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"}))
    with pytest.raises(APIResponseValidationError, match="does not match the API spec") as caught:
        _create(orq)
    assert caught.value.body == body
