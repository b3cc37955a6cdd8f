"""Bad values become the SDK's errors, named, before anything is sent (items 9 and 10)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from orq_images import (
    APIStatusError,
    InvalidRequestError,
    InvalidRequestTypeError,
    Orq,
    OrqError,
    RetryConfig,
)
from tests.conftest import PNG_1X1
from tests.faults.conftest import FAST, Call
from tests.support.server import LoopbackServer, Reply

GENERATE = {"prompt": "a fox", "model": "openai/gpt-image-1"}
VARY = {"model": "openai/dall-e-2", "image": ("a.png", PNG_1X1)}


@pytest.mark.parametrize("endpoint", ["generations", "variations"])
@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (
            {
                "load_balancer": {
                    "type": "weight_based",
                    "models": [{"model": "m", "weight": math.nan}],
                }
            },
            "load_balancer.models[0].weight",
        ),
        ({"extra_body": {"custom": math.inf}}, "custom"),
        ({"extra_body": {"deep": {"list": [1, -math.inf]}}}, "deep.list[1]"),
    ],
)
def test_nan_and_infinity_are_refused_naming_the_field(
    call: Call, server: LoopbackServer, endpoint: str, extra: dict[str, Any], field: str
) -> None:
    params = {**(GENERATE if endpoint == "generations" else VARY), **extra}
    with pytest.raises(InvalidRequestError) as caught:
        call(endpoint, params)
    assert caught.value.field.endswith(field)
    assert "finite" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize("endpoint", ["generations", "variations"])
def test_values_that_are_not_json_are_refused_naming_the_field(
    call: Call, server: LoopbackServer, endpoint: str
) -> None:
    params = {**(GENERATE if endpoint == "generations" else VARY)}
    with pytest.raises(InvalidRequestTypeError) as caught:
        call(endpoint, {**params, "extra_body": {"when": {"at": object()}}})
    assert caught.value.field.endswith("when.at")
    assert server.requests == []


def test_a_deeply_nested_json_error_body_is_a_status_error(
    call: Call, server: LoopbackServer
) -> None:
    server.queue(Reply(400, b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"}))
    with pytest.raises(APIStatusError) as caught:
        call("generations", GENERATE)
    assert caught.value.status_code == 400


def test_a_deeply_nested_json_success_body_is_a_validation_error(
    call: Call, server: LoopbackServer
) -> None:
    from orq_images import APIResponseValidationError

    server.queue(Reply(200, b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"}))
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        call("generations", GENERATE)


def _no_second_body(server: LoopbackServer) -> None:
    # The retry's headers may have gone out before its body was refused; no body did.
    first, *retried = server.requests
    assert first.body
    assert all(request.body == b"" for request in retried)


def test_a_file_deleted_before_a_retry_is_named(server: LoopbackServer, tmp_path: Path) -> None:
    image = tmp_path / "gone.png"
    image.write_bytes(PNG_1X1)

    def delete_then_fail(request: Any) -> None:
        os.unlink(image)

    server.queue(Reply(503, {"message": "busy"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        original = orq._http.event_hooks["response"]
        orq._http.event_hooks["response"] = [*original, delete_then_fail]
        with pytest.raises(InvalidRequestError) as caught:
            orq.router.images.variations.create(model="openai/dall-e-2", image=image)
    assert caught.value.field == "image"
    assert str(image) in str(caught.value)
    _no_second_body(server)


def test_a_file_rewritten_in_place_between_attempts_is_refused(
    server: LoopbackServer, tmp_path: Path
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(PNG_1X1)

    def rewrite(request: Any) -> None:
        image.write_bytes(PNG_1X1[:-4] + b"\0\0\0\0")  # same size, new content
        stat = image.stat()
        os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))

    server.queue(Reply(503, {"message": "busy"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        orq._http.event_hooks["response"] = [rewrite]
        with pytest.raises(InvalidRequestError, match="changed"):
            orq.router.images.variations.create(model="openai/dall-e-2", image=image)
    _no_second_body(server)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"retries": -1}, "retries"),
        ({"retries": "3"}, "retries"),
        ({"timeout_ms": math.nan}, "timeout_ms"),
        ({"timeout_ms": math.inf}, "timeout_ms"),
        ({"timeout_ms": -5}, "timeout_ms"),
        ({"http_headers": {"X-Note": "a\r\nInjected: yes"}}, "http_headers['X-Note']"),
        ({"http_headers": {"X-Bad\n": "a"}}, "http_headers['X-Bad\\n']"),
    ],
)
def test_bad_per_call_options_are_named(
    call: Call, server: LoopbackServer, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        call("generations", {**GENERATE, **options})
    assert caught.value.field == field
    assert server.requests == []


@pytest.mark.parametrize(
    "options",
    [
        {"timeout_ms": math.nan},
        {"timeout_ms": math.inf},
        {"retry_config": 3},
        {"max_response_bytes": 0},
    ],
)
def test_bad_client_options_are_the_sdks_errors(options: dict[str, Any]) -> None:
    with pytest.raises(OrqError):
        Orq(**options)


def test_retry_config_refuses_nonsense_waits() -> None:
    with pytest.raises(ValueError, match="backoff_initial"):
        RetryConfig(backoff_initial=math.nan)


def test_retry_after_that_is_not_a_finite_number_is_ignored(server: LoopbackServer) -> None:
    server.queue(Reply(429, {"message": "slow"}, {"retry-after-ms": "nan"}))
    with Orq(server_url=server.url, retry_config=FAST) as orq:
        orq.router.images.generations.create(**GENERATE)
    assert len(server.requests) == 2


def test_the_wire_body_stays_strict_json(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        orq.router.images.generations.create(**GENERATE, extra_body={"ratio": 0.5})
    assert json.loads(server.requests[0].body)["ratio"] == 0.5
