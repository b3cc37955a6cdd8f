"""The multipart body on the wire: field encoding, boundaries, re-sending, async, memory.

What the loopback server received is read with its independent multipart parser.
The memory figures come from a fresh interpreter, so that the server thread's copy
of each 40 MB body (and pytest itself) stays out of the traced allocations.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from orq_images import InvalidRequestError, InvalidRequestTypeError, _multipart
from orq_images._multipart import MultipartStream, form_fields
from orq_images._upload import CHUNK_SIZE, prepare_image
from tests.support.server import LoopbackServer, RecordedRequest
from tests.support.uploads import (
    IMAGE_RULE,
    image_part,
    jpeg_bytes,
    png_bytes,
    send_stream,
    stream_request,
)

ROUTING = {
    "orq": {
        "name": "variation",
        "retry": {"count": 3.0, "on_codes": [429.0, 500]},
        "identity": {"id": "user-1", "display_name": "Zoë", "metadata": [{"tier": 2}]},
        "prompt": {"id": "p1", "version": "latest"},
    },
    "retry": {"count": 2, "on_codes": [429, 502.0]},
    "fallbacks": [{"model": "openai/dall-e-2"}, {"model": "openai/gpt-image-1"}],
    "cache": {"type": "exact_match", "ttl": 3600.0},
    "load_balancer": {"type": "weight_based", "models": [{"model": "a", "weight": 0.25}]},
    "timeout": {"call_timeout": 30000},
}


def whole(value: object) -> object:
    """`value` with whole floats as ints: how the API should read it back."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole(item) for item in value]
    return value


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


def image_stream(fields: list[tuple[str, str]], image: object = None) -> MultipartStream:
    return MultipartStream(
        fields, [("image", prepare_image(image or png_bytes(), field="image", rule=IMAGE_RULE))]
    )


# -- form fields ------------------------------------------------------------------------


def test_scalars_go_as_the_api_reads_them() -> None:
    body = {
        "model": "openai/dall-e-2",
        "n": 2,
        "count": 2.0,
        "weight": 0.5,
        "stream": True,
        "store": False,
        "user": None,
        "name": "Zoë's trace",
    }
    assert form_fields(body) == [
        ("model", "openai/dall-e-2"),
        ("n", "2"),
        ("count", "2"),
        ("weight", "0.5"),
        ("stream", "true"),
        ("store", "false"),
        ("name", "Zoë's trace"),
    ]


def test_each_nested_object_or_array_is_one_compact_json_field() -> None:
    fields = dict(form_fields(ROUTING))
    assert list(fields) == list(ROUTING)
    for name, text in fields.items():
        assert json.loads(text) == whole(ROUTING[name])
        assert ".0" not in text
        assert ": " not in text
        assert ", " not in text
        assert text.isascii(), "non-ASCII text goes as \\u escapes"
    assert fields["retry"] == '{"count":2,"on_codes":[429,502]}'


def test_values_that_are_not_json_are_refused_by_their_path() -> None:
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"retry": {"count": float("nan")}}, InvalidRequestError, "retry.count"),
        ({"n": float("inf")}, InvalidRequestError, "n"),
        ({"orq": {"identity": {"metadata": [{"at": object()}]}}}, InvalidRequestTypeError,
         "orq.identity.metadata[0].at"),
        ({"cache": {1: "x"}}, InvalidRequestTypeError, "cache"),
        ({"image_bytes": b"raw"}, InvalidRequestTypeError, "image_bytes"),
    ]  # fmt: skip
    for body, error, field in cases:
        with pytest.raises(error) as caught:
            form_fields(body)
        assert isinstance(caught.value, InvalidRequestError)
        assert caught.value.field == field
        assert str(caught.value).startswith(f"{field}: ")


def test_the_server_reads_every_field_and_the_image_back(server: LoopbackServer) -> None:
    fields = form_fields({"model": "openai/dall-e-2", "n": 2, "user": None, **ROUTING})
    data = jpeg_bytes()
    received = send_stream(server, image_stream(fields, ("fox.jpg", data)))
    parts = received.parts()
    assert [p.name for p in parts] == ["model", "n", *ROUTING, "image"], "one part per field"
    form = received.form()
    assert form["n"].text == "2"
    for name, value in ROUTING.items():
        assert json.loads(form[name].text) == whole(value)
        assert form[name].filename is None
        assert form[name].content_type is None, "fields are plain, as in the API reference"
    image = form["image"]
    assert (image.filename, image.content_type, image.value) == ("fox.jpg", "image/jpeg", data)


def test_a_body_without_an_image_or_without_fields_is_well_formed(
    server: LoopbackServer,
) -> None:
    received = send_stream(server, MultipartStream([("model", "m")], []))
    assert [(p.name, p.text) for p in received.parts()] == [("model", "m")]
    received = send_stream(
        server,
        MultipartStream(
            [], [("image", prepare_image(png_bytes(), field="image", rule=IMAGE_RULE))]
        ),
    )
    assert [p.name for p in received.parts()] == ["image"]


# -- boundaries and quoting --------------------------------------------------------------


def test_a_value_cannot_inject_a_part(server: LoopbackServer) -> None:
    forged = (
        'x\r\n--fake\r\nContent-Disposition: form-data; name="model"\r\n\r\nevil\r\n--fake--\r\n'
    )
    received = send_stream(server, image_stream([("model", "real"), ("user", forged)]))
    form = received.form()
    assert set(form) == {"model", "user", "image"}
    assert form["model"].text == "real"
    assert form["user"].text == forged


def test_a_boundary_found_in_the_text_is_never_used(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = "0123456789abcdef0123456789abcdef"
    candidates = iter([taken, "fedcba9876543210fedcba9876543210"])
    monkeypatch.setattr(_multipart, "_new_boundary", lambda: next(candidates))
    forged = f'a\r\n--{taken}\r\nContent-Disposition: form-data; name="n"\r\n\r\n10'
    stream = image_stream([("user", forged)])
    assert stream.boundary == "fedcba9876543210fedcba9876543210"
    form = send_stream(server, stream).form()
    assert set(form) == {"user", "image"}
    assert form["user"].text == forged


def test_every_request_gets_a_new_random_boundary(server: LoopbackServer) -> None:
    first, second = image_stream([("model", "m")]), image_stream([("model", "m")])
    assert first.boundary != second.boundary
    assert len(first.boundary) == 32
    for stream in (first, second):
        received = send_stream(server, stream)
        assert received.headers["content-type"] == (
            f"multipart/form-data; boundary={stream.boundary}"
        )


def test_names_and_filenames_are_quoted_and_escaped(server: LoopbackServer) -> None:
    filename = 'my "best"\r\nshot é'
    received = send_stream(server, image_stream([('we"ird\nname', "v")], (filename, png_bytes())))
    assert b'name="we%22ird%0Aname"' in received.body
    assert 'filename="my %22best%22%0D%0Ashot é.png"'.encode() in received.body
    parts = received.parts()
    assert [(p.name, p.filename) for p in parts] == [
        ('we"ird\nname', None),
        ("image", filename + ".png"),
    ]


# -- length, re-sending, async ------------------------------------------------------------


def test_the_content_length_is_exact_and_the_body_ends_with_the_closing_delimiter(
    server: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png_bytes(200_000))
    for image in (path, png_bytes(3), io.BytesIO(jpeg_bytes())):
        stream = image_stream(form_fields({"model": "Zoë", **ROUTING}), image)
        received = send_stream(server, stream)
        assert int(dict(stream.content_headers)[b"Content-Length"]) == len(received.body)
        assert received.body.endswith(f"\r\n--{stream.boundary}--\r\n".encode())


def image_sources(tmp_path: Path) -> dict[str, object]:
    data = png_bytes(300_000)
    path = tmp_path / "resend.png"
    path.write_bytes(data)
    return {"path": path, "file": path.open("rb"), "bytes": data}


def test_sending_the_same_stream_again_sends_identical_bytes(
    server: LoopbackServer, tmp_path: Path
) -> None:
    sources = image_sources(tmp_path)
    for kind, image in sources.items():
        stream = image_stream(form_fields({"model": "m", **ROUTING}), image)
        first, second = send_stream(server, stream), send_stream(server, stream)
        assert first.body == second.body, kind
        assert b"".join(stream) == first.body, kind
        assert image_part(first).value == sources["bytes"]
    sources["file"].close()  # type: ignore[attr-defined]


async def send_async(server: LoopbackServer, stream: MultipartStream) -> RecordedRequest:
    async with httpx2.AsyncClient() as client:
        response = await client.send(stream_request(stream, server.url + "/upload"))
        response.raise_for_status()
    return server.requests[-1]


async def test_the_async_path_sends_the_same_body(server: LoopbackServer, tmp_path: Path) -> None:
    sources = image_sources(tmp_path)
    for kind, image in sources.items():
        stream = image_stream(form_fields({"model": "m", "n": 2, **ROUTING}), image)
        first = await send_async(server, stream)
        second = await send_async(server, stream)
        assert first.body == second.body == send_stream(server, stream).body, kind
        form = first.form()
        assert form["n"].text == "2"
        assert form["image"].value == sources["bytes"]
    sources["file"].close()  # type: ignore[attr-defined]


async def test_async_sending_yields_to_the_event_loop_between_chunks(
    server: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(png_bytes(4 * 2**20))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        await send_async(server, image_stream([], path))
    finally:
        task.cancel()
    # 4 MiB is 8 reads of CHUNK_SIZE; the loop ran other work while they were sent
    assert ticks >= 4 * 2**20 // CHUNK_SIZE // 2


# -- memory -----------------------------------------------------------------------------

UPLOAD_BYTES = 40 * 2**20
MEMORY_BUDGET = 2 * 2**20


def _send_measured(url: str, image: object) -> int:
    """Bytes the send added to the peak of traced memory, in this process."""
    with httpx2.Client() as client:
        # a first small upload loads every lazily imported module and the connection
        client.send(stream_request(image_stream([], png_bytes()), url)).raise_for_status()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        stream = image_stream([("model", "m")], image)
        client.send(stream_request(stream, url)).raise_for_status()
        return tracemalloc.get_traced_memory()[1] - base


def measure_uploads(url: str, path: str) -> dict[str, int]:
    """Run in a fresh interpreter: the peak each form of a 40 MB upload adds."""
    tracemalloc.start()
    peaks = {"path": _send_measured(url, path)}
    with open(path, "rb") as file:
        peaks["file"] = _send_measured(url, file)
    data = Path(path).read_bytes()  # traced before the baseline: a copy would add 40 MB
    peaks["bytes"] = _send_measured(url, data)
    return peaks


def test_a_40_mb_upload_adds_under_2_mb_to_peak_memory(
    server: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "big.png"
    data = png_bytes(UPLOAD_BYTES)
    path.write_bytes(data)
    code = (
        "import json, sys; from tests.client.test_multipart_wire import measure_uploads; "
        "print(json.dumps(measure_uploads(sys.argv[1], sys.argv[2])))"
    )
    url = server.url + "/upload"
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", code, url, str(path)],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    peaks = json.loads(run.stdout)
    print("peak memory added by a 40 MB upload, bytes:", peaks)
    assert set(peaks) == {"path", "file", "bytes"}
    for kind, added in peaks.items():
        assert added < MEMORY_BUDGET, f"{kind}: {added:,} bytes"
    big = [r for r in server.requests if len(r.body) > UPLOAD_BYTES]
    assert len(big) == 3
    for received in big:
        assert image_part(received).value == data
