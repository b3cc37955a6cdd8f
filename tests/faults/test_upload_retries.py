"""A variation upload that meets faults goes out whole and identical on every attempt."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.payloads import png
from orq_images import InternalServerError, RetryConfig
from tests.faults.conftest import SLACK, Call, Stopwatch
from tests.support.server import LoopbackServer, Reply

IMAGE = png(300 * 1024)  # well past the 1 KB the server reads before a mid-body reset
PARAMS = {"model": "openai/dall-e-2", "n": 2, "size": "256x256", "response_format": "b64_json"}
# The reset after the whole request was read is retried only when the caller opts in.
FOUR_RETRIES = RetryConfig(max_retries=4, backoff_initial=0.02, jitter=0.0, retry_unanswered=True)
FAULTS = (
    Reply(action="reset_mid_body"),  # cut while the image is being sent: never recorded
    Reply(action="reset"),  # whole request read, then the connection reset
    Reply(503, {"message": "busy"}),
    Reply(429, {"message": "slow down"}, {"retry-after-ms": "30"}),
)


@pytest.fixture(params=["path", "file", "bytes", "bytesio", "tuple"])
def image(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    path = tmp_path / "photo.png"
    path.write_bytes(IMAGE)
    kinds: dict[str, Callable[[], Any]] = {
        "path": lambda: path,
        "file": lambda: path.open("rb"),
        "bytes": lambda: IMAGE,
        "bytesio": lambda: io.BytesIO(IMAGE),
        "tuple": lambda: ("photo.png", IMAGE, "image/png"),
    }
    value = kinds[request.param]()
    yield value
    if hasattr(value, "close"):
        value.close()


def test_every_attempt_sends_the_same_whole_image(
    call: Call, server: LoopbackServer, image: Any
) -> None:
    server.queue(*FAULTS)
    result = call("variations", {"image": image, **PARAMS}, retry_config=FOUR_RETRIES)
    assert result.created == 1_732_233_600
    attempts = server.requests
    assert len(attempts) == 4  # the mid-body reset cut its attempt before it was recorded
    for attempt in attempts:
        form = attempt.form()
        assert form["image"].value == IMAGE
        assert form["image"].content_type == "image/png"
        assert form["image"].filename is not None
        assert form["image"].filename.endswith(".png")
        assert {name: form[name].text for name in ("model", "n", "size")} == {
            "model": "openai/dall-e-2",
            "n": "2",
            "size": "256x256",
        }
    assert len({attempt.body for attempt in attempts}) == 1  # byte for byte


def test_a_file_object_is_read_from_where_it_was_given_on_every_attempt(
    call: Call, server: LoopbackServer
) -> None:
    # A caller that wrote a header before the image hands over a file positioned past it.
    source = io.BytesIO(b"NOT-PART-OF-THE-IMAGE" + IMAGE)
    source.seek(len(b"NOT-PART-OF-THE-IMAGE"))
    server.queue(Reply(503), Reply(503))
    call(
        "variations",
        {"image": source, **PARAMS},
        retry_config=RetryConfig(backoff_initial=0.01, jitter=0.0),
    )
    assert [attempt.form()["image"].value for attempt in server.requests] == [IMAGE] * 3


def test_an_upload_that_keeps_failing_stops_after_the_retries(
    call: Call, server: LoopbackServer
) -> None:
    server.queue(*[Reply(503, {"message": "busy"})] * 5)
    watch = Stopwatch()
    with pytest.raises(InternalServerError, match="busy"):
        call(
            "variations",
            {"image": IMAGE, **PARAMS},
            retry_config=RetryConfig(max_retries=2, backoff_initial=0.02, jitter=0.0),
        )
    assert len(server.requests) == 3
    assert watch.elapsed < 0.02 + 0.04 + 3 * SLACK
    assert all(attempt.form()["image"].value == IMAGE for attempt in server.requests)
