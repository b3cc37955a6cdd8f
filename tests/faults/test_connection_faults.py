"""Faults below HTTP: refused, reset while sending or receiving, never answered, answered slowly.

Each becomes APIConnectionError (APITimeoutError for timeouts) with the httpx
error as __cause__, after the configured retries, and no call runs past its
timeout for each attempt plus the waits between attempts. A success whose body
breaks off is IncompleteResponseError, and never sent again.
"""

from __future__ import annotations

import json
import logging
import socket

import httpx2
import pytest

from orq_images import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    IncompleteResponseError,
    RetryConfig,
)
from tests.conftest import API_KEY, image_response
from tests.faults.conftest import FAST, SLACK, Generate, Stopwatch
from tests.support.server import LoopbackServer, Reply

NO_RETRIES = RetryConfig(max_retries=0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused(generate: Generate, caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    watch = Stopwatch()
    with (
        caplog.at_level(logging.INFO, logger="orq_images"),
        pytest.raises(APIConnectionError) as caught,
    ):
        generate(server_url=url, retry_config=FAST)
    assert watch.elapsed < 0.05 + 0.1 + SLACK
    error = caught.value
    assert not isinstance(error, APITimeoutError)
    assert isinstance(error.__cause__, httpx2.ConnectError)
    assert url in str(error)
    retries = [r.getMessage() for r in caplog.records if r.name == "orq_images"]
    assert len(retries) == 2
    assert all("ConnectError" in message for message in retries)


# Attempts that reached the server whole but got no status are not sent again unless
# the caller says so: the server may be generating (and billing) the images.
RESEND_UNANSWERED = RetryConfig(
    backoff_initial=0.05, backoff_max=0.2, jitter=0.0, retry_unanswered=True
)


def test_a_json_body_reset_while_sending_is_not_resent_by_default(
    generate: Generate, server: LoopbackServer
) -> None:
    # The server reads the first KB, then resets: the client is still writing its one
    # chunk, and the transport cannot tell that from a reset after the whole request.
    prompt = "a fox " * 50_000
    server.queue(Reply(action="reset_mid_body"))
    with pytest.raises(APIConnectionError):
        generate(prompt=prompt, retry_config=FAST)
    assert server.requests == []  # the cut attempt was never recorded whole


def test_a_json_body_reset_while_sending_is_resent_whole_when_asked(
    generate: Generate, server: LoopbackServer
) -> None:
    prompt = "a fox " * 50_000
    server.queue(Reply(action="reset_mid_body"))
    generate(prompt=prompt, retry_config=RESEND_UNANSWERED)
    (received,) = server.requests  # the reset attempt was cut before it was recorded
    assert received.json()["prompt"] == prompt


def test_a_success_cut_off_mid_body_is_never_sent_again(
    generate: Generate, server: LoopbackServer
) -> None:
    headers = {"x-request-id": "req_cut"}
    server.queue(Reply(200, image_response(), headers, action="reset_mid_response"))
    with pytest.raises(IncompleteResponseError) as caught:
        generate(retry_config=RESEND_UNANSWERED)  # not even when unanswered ones are
    assert len(server.requests) == 1
    error = caught.value
    assert isinstance(error, APIResponseValidationError)
    assert isinstance(error.__cause__, httpx2.RemoteProtocolError | httpx2.ReadError)
    assert error.request_id == "req_cut"
    assert error.status_code == 200
    assert "may have been generated" in str(error)
    assert "req_cut" in str(error)


def test_a_server_that_never_answers_is_not_asked_again_by_default(
    generate: Generate, server: LoopbackServer
) -> None:
    server.queue(*[Reply(action="hang")] * 3)
    watch = Stopwatch()
    with pytest.raises(APITimeoutError) as caught:
        generate(timeout_ms=200, retry_config=FAST)
    assert 0.2 <= watch.elapsed <= 0.2 + SLACK
    assert len(server.requests) == 1
    assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)
    assert "timed out" in str(caught.value)


def test_a_server_that_never_answers_times_out_on_each_attempt_when_asked(
    generate: Generate, server: LoopbackServer
) -> None:
    server.queue(*[Reply(action="hang")] * 3)
    watch = Stopwatch()
    with pytest.raises(APITimeoutError) as caught:
        generate(timeout_ms=200, retry_config=RESEND_UNANSWERED)
    # Three attempts of 0.2 s, with waits of 0.05 s and 0.1 s between them.
    assert 3 * 0.2 + 0.15 <= watch.elapsed <= 3 * 0.2 + 0.15 + SLACK
    assert len(server.requests) == 3
    assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)


def test_a_server_that_never_answers_without_retries(
    generate: Generate, server: LoopbackServer
) -> None:
    server.queue(Reply(action="hang"))
    watch = Stopwatch()
    with pytest.raises(APITimeoutError):
        generate(timeout_ms=200, retry_config=NO_RETRIES)
    assert 0.2 <= watch.elapsed <= 0.2 + SLACK
    assert len(server.requests) == 1


def test_a_slow_drip_within_the_timeout_is_read_whole(
    generate: Generate, server: LoopbackServer
) -> None:
    body = {"created": 7, "data": []}  # 26 bytes: two chunks, 0.2 s apart
    server.queue(Reply(200, body, action="drip"))
    assert generate(timeout_ms=2000, retry_config=NO_RETRIES).created == 7


def test_a_slow_drip_past_the_timeout_is_cut_at_the_timeout(
    generate: Generate, server: LoopbackServer
) -> None:
    body = {"created": 1, "data": [{"url": "https://images.example/" + "a" * 60}]}
    assert len(json.dumps(body)) > 96  # 7 chunks of 16 bytes, 0.2 s apart: 1.4 s in all
    server.queue(Reply(200, body, action="drip"))
    watch = Stopwatch()
    with pytest.raises(IncompleteResponseError) as caught:
        generate(timeout_ms=400, retry_config=FAST)
    assert watch.elapsed <= 0.4 + SLACK
    assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)
    assert len(server.requests) == 1


def test_connection_errors_never_show_the_key(generate: Generate, server: LoopbackServer) -> None:
    server.queue(Reply(action="hang"))
    with pytest.raises(APITimeoutError) as caught:
        generate(timeout_ms=100, retry_config=NO_RETRIES)
    error = caught.value
    for text in (str(error), repr(error), str(error.__cause__), repr(error.request)):
        assert API_KEY not in text
