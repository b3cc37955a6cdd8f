"""Waits the server asks for: Retry-After (seconds, HTTP date), retry-after-ms, x-should-retry."""

from __future__ import annotations

import email.utils
import logging
import time

import pytest

from orq_images import BadRequestError, InternalServerError, Orq, RateLimitError, RetryConfig
from tests.faults.conftest import FAST, SLACK, SLOW_BACKOFF, Stopwatch, assert_waits, gaps
from tests.support.server import LoopbackServer, Reply

BUSY = {"message": "rate limited, slow down"}


def _create(orq: Orq) -> object:
    return orq.router.images.generations.create(prompt="a fox", model="openai/gpt-image-1")


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "0.2"}, 0.2),
        ({"retry-after-ms": "150"}, 0.15),
        # The millisecond header is the more precise one, and wins.
        ({"retry-after-ms": "100", "Retry-After": "3600"}, 0.1),
    ],
    ids=["seconds", "milliseconds", "ms-wins"],
)
def test_429_waits_as_asked_then_succeeds(
    server: LoopbackServer, headers: dict[str, str], wait: float
) -> None:
    server.queue(Reply(429, BUSY, headers), Reply(429, BUSY, headers))
    with Orq(server_url=server.url, retry_config=SLOW_BACKOFF) as orq:
        result = _create(orq)
    assert result.created == 1_732_233_600  # type: ignore[attr-defined]
    assert len(server.requests) == 3
    assert_waits(server, [wait, wait])


def test_429_retry_after_as_an_http_date(server: LoopbackServer) -> None:
    # A date has whole seconds: one second ahead means a wait of up to a second.
    date = email.utils.formatdate(time.time() + 1, usegmt=True)
    server.queue(Reply(429, BUSY, {"Retry-After": date}))
    with Orq(server_url=server.url, retry_config=SLOW_BACKOFF) as orq:
        _create(orq)
    (gap,) = gaps(server)
    assert 0 <= gap <= 1 + SLACK


def test_429_retry_after_date_in_the_past_retries_at_once(server: LoopbackServer) -> None:
    date = email.utils.formatdate(time.time() - 30, usegmt=True)
    server.queue(Reply(429, BUSY, {"Retry-After": date}))
    with Orq(server_url=server.url, retry_config=SLOW_BACKOFF) as orq:
        _create(orq)
    assert_waits(server, [0.0])


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "3600"}, {"retry-after-ms": "3600000"}], ids=["s", "ms"]
)
def test_429_asking_for_an_hour_raises_at_once_with_the_wait(
    server: LoopbackServer, headers: dict[str, str]
) -> None:
    server.queue(Reply(429, BUSY, headers))
    watch = Stopwatch()
    with (
        Orq(server_url=server.url, retry_config=FAST) as orq,
        pytest.raises(RateLimitError) as caught,
    ):
        _create(orq)
    assert watch.elapsed < SLACK
    assert len(server.requests) == 1
    error = caught.value
    assert error.retry_after == 3600
    assert error.status_code == 429
    assert str(error) == "Error code: 429 - rate limited, slow down"


def test_the_last_429_keeps_the_wait_it_asked_for(server: LoopbackServer) -> None:
    server.queue(*[Reply(429, BUSY, {"retry-after-ms": "20"})] * 3)
    with (
        Orq(server_url=server.url, retry_config=FAST) as orq,
        pytest.raises(RateLimitError) as caught,
    ):
        _create(orq)
    assert len(server.requests) == 3
    assert caught.value.retry_after == pytest.approx(0.02)


def test_x_should_retry_true_retries_a_status_that_is_not_retried(server: LoopbackServer) -> None:
    server.queue(Reply(400, {"message": "flaky upstream"}, {"x-should-retry": "true"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        _create(orq)
    assert len(server.requests) == 2
    assert_waits(server, [0.05])


def test_x_should_retry_false_stops_a_retryable_status(server: LoopbackServer) -> None:
    headers = {"x-should-retry": "false", "retry-after-ms": "10"}
    server.queue(Reply(503, {"message": "do not retry"}, headers))
    with Orq(server_url=server.url, retry_config=FAST) as orq, pytest.raises(InternalServerError):
        _create(orq)
    assert len(server.requests) == 1


def test_without_x_should_retry_a_400_is_final(server: LoopbackServer) -> None:
    server.queue(Reply(400, {"message": "bad size"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq, pytest.raises(BadRequestError):
        _create(orq)
    assert len(server.requests) == 1


def test_each_retry_is_logged_at_info_with_attempt_and_delay(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(
        Reply(503, {"message": "busy"}),
        Reply(429, BUSY, {"retry-after-ms": "70"}),
        Reply(502, "<html>bad gateway</html>"),
    )
    config = RetryConfig(max_retries=3, backoff_initial=0.05, jitter=0.0)
    with (
        caplog.at_level(logging.INFO, logger="orq_images"),
        Orq(server_url=server.url, retry_config=config) as orq,
    ):
        _create(orq)
    records = [r for r in caplog.records if r.name == "orq_images"]
    assert [r.levelno for r in records] == [logging.INFO] * 3
    messages = [r.getMessage() for r in records]
    assert "in 0.05 s (retry 1)" in messages[0]
    assert "status 503" in messages[0]
    assert "in 0.07 s (retry 2)" in messages[1]
    assert "status 429" in messages[1]
    assert "in 0.20 s (retry 3)" in messages[2]
    assert all("/v2/router/images/generations" in m for m in messages)
    assert_waits(server, [0.05, 0.07, 0.2])
