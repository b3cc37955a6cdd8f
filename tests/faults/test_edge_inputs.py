"""Inputs that used to escape `except OrqError`: each is refused naming its field, unsent.

Lone surrogates (text decoded with errors="surrogateescape"), header names and values
no request line can carry, headers that would change the body's framing, and base
URLs whose host or port no connection can use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from orq_images import InvalidRequestError, Orq, OrqError
from tests.conftest import PNG_1X1
from tests.faults.conftest import Call
from tests.support.server import LoopbackServer

GENERATE = {"prompt": "a fox", "model": "openai/gpt-image-1"}
VARY = {"model": "openai/dall-e-2", "image": ("a.png", PNG_1X1)}
LONE = "\ud800"
ESCAPED = os.fsdecode(b"caf\xe9")  # "caf\udce9": a Latin-1 name read on a UTF-8 system


@pytest.mark.parametrize(
    ("endpoint", "params", "field", "cause"),
    [
        ("generations", {"prompt": f"a fox{LONE}"}, "prompt", "surrogate"),
        ("generations", {"extra_body": {"note": ESCAPED}}, "note", "surrogate"),
        ("generations", {"extra_body": {"deep": [{"k": LONE}]}}, "deep[0].k", "surrogate"),
        ("generations", {"extra_body": {ESCAPED: 1}}, ESCAPED, "surrogate"),
        ("variations", {"user": f"u{LONE}"}, "user", "surrogate"),
        ("variations", {"extra_body": {"note": ESCAPED}}, "note", "surrogate"),
        ("variations", {"extra_body": {"deep": {"k": [LONE]}}}, "deep.k[0]", "surrogate"),
        ("generations", {"http_headers": {"X-Note": "café"}}, "http_headers['X-Note']", "ASCII"),
        ("variations", {"http_headers": {"X-Note": LONE}}, "http_headers['X-Note']", "ASCII"),
        ("generations", {"http_headers": {"": "v"}}, "http_headers['']", "header name"),
        ("generations", {"http_headers": {"X Note": "v"}}, "http_headers['X Note']", "name"),
        ("generations", {"http_headers": {"X:a": "v"}}, "http_headers['X:a']", "header name"),
        ("generations", {"http_headers": {"Content-Length": "1"}}, "Content-Length", "body"),
        ("variations", {"http_headers": {"content-length": "9"}}, "content-length", "body"),
        ("generations", {"http_headers": {"Transfer-Encoding": "chunked"}}, "Transfer", "body"),
        ("generations", {"server_url": "http://127.0.0.1:99999"}, "server_url", "99999"),
        ("variations", {"server_url": "http://127.0.0.1:-1"}, "server_url", "port -1"),
        ("generations", {"server_url": "http://127.0.0.1:0"}, "server_url", "port 0"),
        ("generations", {"server_url": "http://api .orq.ai"}, "server_url", "space"),
    ],
)
def test_each_input_class_is_an_orq_error_naming_its_field_and_nothing_is_sent(
    call: Call,
    server: LoopbackServer,
    endpoint: str,
    params: dict[str, Any],
    field: str,
    cause: str,
) -> None:
    base = GENERATE if endpoint == "generations" else VARY
    with pytest.raises(OrqError) as caught:
        call(endpoint, {**base, **params})
    assert isinstance(caught.value, InvalidRequestError), repr(caught.value)
    assert field in caught.value.field
    assert cause in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:99999", "https://api.orq.ai:65536", "http://h:-5", "http://a b.example"],
)
@pytest.mark.parametrize("where", ["server_url", "ORQ_BASE_URL"])
def test_a_client_refuses_a_base_url_no_connection_can_use(
    monkeypatch: pytest.MonkeyPatch, url: str, where: str
) -> None:
    secret = "pw-77c1"
    with_password = url.replace("://", f"://user:{secret}@")
    for bad in (url, with_password):
        if where == "ORQ_BASE_URL":
            monkeypatch.setenv("ORQ_BASE_URL", bad)
        with pytest.raises(InvalidRequestError) as caught:
            Orq(server_url=bad) if where == "server_url" else Orq()
        assert caught.value.field == where
        assert secret not in str(caught.value)


def test_a_file_whose_name_is_not_utf8_is_uploaded_with_the_name_percent_encoded(
    server: LoopbackServer, tmp_path: Path
) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9 \xff.png"
    with open(raw, "wb") as file:
        file.write(PNG_1X1)
    with Orq(server_url=server.url) as orq:
        orq.router.images.variations.create(model="m", image=Path(os.fsdecode(raw)))
    (image,) = [part for part in server.requests[0].parts() if part.name == "image"]
    assert image.filename == "caf%E9 %FF.png"
    assert image.value == PNG_1X1


def test_a_lone_surrogate_in_a_given_file_name_becomes_a_replacement_character(
    server: LoopbackServer,
) -> None:
    with Orq(server_url=server.url) as orq:
        orq.router.images.variations.create(model="m", image=(f"a{LONE}.png", PNG_1X1))
    (image,) = [part for part in server.requests[0].parts() if part.name == "image"]
    assert image.filename == "a\ufffd.png"
