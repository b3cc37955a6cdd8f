"""The API key never leaks: not in any log record at any level, nor in an error's str or repr."""

from __future__ import annotations

import collections
import dataclasses
import logging
import traceback

import attrs
import hpack
import httpx2
import pytest

from benchmarks.server import BenchServer
from orq_images import Orq, OrqError, RetryConfig
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


def _rendered(value: object, depth: int = 0) -> str:
    """`value` as rich's show_locals and Sentry-like frame capture render it: containers,
    dataclasses and attrs classes opened up, anything else by its repr."""
    if depth > 4:
        return "..."
    if isinstance(value, dict):
        items = value.items()
        return (
            "{"
            + ", ".join(f"{_rendered(k, depth + 1)}: {_rendered(v, depth + 1)}" for k, v in items)
            + "}"
        )
    if isinstance(value, list | tuple | set | frozenset | collections.deque):
        return "[" + ", ".join(_rendered(item, depth + 1) for item in value) + "]"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        shown = [f for f in dataclasses.fields(value) if f.repr]
        return "(" + ", ".join(_rendered(getattr(value, f.name), depth + 1) for f in shown) + ")"
    if attrs.has(type(value)):
        shown = [a for a in attrs.fields(type(value)) if a.repr]
        return "(" + ", ".join(_rendered(getattr(value, a.name), depth + 1) for a in shown) + ")"
    return repr(value)


def traceback_with_locals(error: BaseException) -> str:
    """Every frame of `error` and of its causes and contexts, with every local."""
    text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for frame, _ in traceback.walk_tb(current.__traceback__):
            text += "".join(f"\n{name} = {_rendered(v)}" for name, v in frame.f_locals.items())
        pending += [current.__cause__, current.__context__]
    return text


def _generate(orq: Orq, **options: object) -> None:
    orq.router.images.generations.create(prompt="a fox", model="openai/gpt-image-1", **options)


def _vary(orq: Orq, **options: object) -> None:
    png = ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 300_000)
    orq.router.images.variations.create(model="openai/dall-e-2", image=png, **options)


# Each documented error the SDK raises, provoked: (replies, call, options).
PROVOKED = {
    "crlf-http-headers": ([], _generate, {"http_headers": {"X-Trace": "a\r\nb"}}),
    "bad-field": ([], _generate, {"n": "two"}),
    "bad-timeout": ([], _generate, {"timeout_ms": -1}),
    "bad-server-url": ([], _generate, {"server_url": "ftp://x"}),
    "401": ([Reply(401, {"message": "bad key"})], _generate, {}),
    "429": ([Reply(429, {"message": "slow"}, {"Retry-After": "3600"})], _generate, {}),
    "500": ([Reply(500, {"message": "boom"})] * 3, _generate, {}),
    "not-json": ([Reply(200, b"<html>", {"Content-Type": "text/html"})], _generate, {}),
    "too-large": ([Reply(200, b"x" * 2_000)], _generate, {}),
    "reset": ([Reply(action="reset")] * 3, _generate, {}),
    "hang": ([Reply(action="hang")] * 3, _generate, {"timeout_ms": 100}),
    "reset-mid-upload": ([Reply(action="reset_mid_body")] * 3, _vary, {}),
}


@pytest.mark.parametrize("case", PROVOKED)
def test_no_traceback_with_locals_shows_the_key(server: LoopbackServer, case: str) -> None:
    replies, call, options = PROVOKED[case]
    server.queue(*replies)
    orq = Orq(server_url=server.url, retry_config=RETRY_FAST, max_response_bytes=1_000)
    with pytest.raises(OrqError) as caught:
        call(orq, **options)
    rendered = traceback_with_locals(caught.value)
    assert "orq_images" in rendered  # the SDK's frames were rendered
    assert API_KEY not in rendered


@pytest.mark.parametrize(
    "options",
    [
        {"server_url": "ftp://x"},
        {"retry_config": 3},
        {"max_response_bytes": 0},
        {"timeout_ms": "soon"},
        {"connection_limits": 10},
    ],
)
def test_no_traceback_of_a_refused_client_shows_the_key(options: dict[str, object]) -> None:
    with pytest.raises(OrqError) as caught:
        Orq(api_key=API_KEY, **options)  # type: ignore[arg-type]
    assert API_KEY not in traceback_with_locals(caught.value)


def test_http2_debug_logs_do_not_reveal_the_key(caplog: pytest.LogCaptureFixture) -> None:
    # hpack logs each header block it encodes; decoded, one would give the key back.
    with BenchServer() as server, httpx2.Client(http1=False, http2=True) as http:
        orq = Orq(server_url=server.url, http_client=http, retry_config=RETRY_FAST)
        with caplog.at_level(logging.DEBUG):
            for _ in range(3):
                orq.router.images.generations.create(prompt="a fox", model="m/m")
            assert http.get(server.url + "/v2/router/images/generations").http_version == "HTTP/2"
    blocks = [
        record.args[0]
        for record in caplog.records
        if record.name == "hpack.hpack" and record.msg.startswith("Encoded header block")
    ]
    assert len(blocks) == 4  # every request's headers were encoded and logged
    decoder = hpack.Decoder()
    decoded = []
    for block in blocks:
        try:
            decoded += decoder.decode(block) if isinstance(block, bytes) else [block]
        except hpack.HPACKError:
            decoded.append(block)
    assert API_KEY not in repr(decoded)
    assert API_KEY not in caplog.text
