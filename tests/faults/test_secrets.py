"""The API key never leaks: not in any log record at any level, nor in an error's str or repr."""

from __future__ import annotations

import logging

import pytest

from orq_images import OrqError, RetryConfig
from tests.conftest import API_KEY
from tests.faults.conftest import Call
from tests.support.server import LoopbackServer, Reply

RETRY_FAST = RetryConfig(max_retries=2, backoff_initial=0.01, jitter=0.0)

SCENARIOS = {
    "retried-then-ok": [
        Reply(503, {"message": "busy"}),
        Reply(429, headers={"retry-after-ms": "5"}),
    ],
    "long-retry-after": [Reply(429, {"message": "quota"}, {"Retry-After": "3600"})],
    "html-502": [Reply(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})] * 3,
    "reset": [Reply(action="reset")] * 3,
    "hang": [Reply(action="hang")] * 3,
    "not-json": [Reply(200, b"<html>welcome</html>", {"Content-Type": "text/html"})],
    "key-echoed-in-body": [Reply(401, {"message": "bad key"})],
}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("endpoint", ["generations", "variations"])
def test_the_key_is_in_no_log_record_and_no_error_text(
    call: Call,
    server: LoopbackServer,
    caplog: pytest.LogCaptureFixture,
    scenario: str,
    endpoint: str,
) -> None:
    server.queue(*SCENARIOS[scenario])
    params = (
        {"prompt": "a fox", "model": "openai/gpt-image-1"}
        if endpoint == "generations"
        else {"model": "openai/dall-e-2", "image": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)}
    )
    error: OrqError | None = None
    with caplog.at_level(logging.DEBUG):
        try:
            # Short only where the server never answers, so no other scenario can time out.
            timeout_ms = 60 if scenario == "hang" else 10_000
            call(endpoint, params, retry_config=RETRY_FAST, timeout_ms=timeout_ms)
        except OrqError as exc:
            error = exc
    # The key did go out, so the check below is not vacuous.
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in server.requests)
    loggers = {record.name.split(".")[0] for record in caplog.records}
    if call.transport != "aiohttp":  # aiohttp's client logs nothing of a request
        assert "httpcore2" in loggers  # DEBUG records of the HTTP stack were captured
        if server.requests and scenario not in ("reset", "hang"):
            assert "httpx2" in loggers  # it logs each answered request
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in repr(record.args)
        assert API_KEY not in repr(record.__dict__)
    assert API_KEY not in caplog.text
    if scenario != "retried-then-ok":
        assert error is not None
    if error is not None:
        texts = [str(error), repr(error), repr(error.args), str(error.__cause__)]
        assert all(API_KEY not in text for text in texts)
