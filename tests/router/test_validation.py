"""Every request the spec rules out gets an error body whose message names the field."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx2
import pytest

from orq_images.testing import LocalRouter
from tests.router.conftest import GENERATIONS, VARIATIONS
from tests.router.pngcheck import encode_png
from tests.support.spec_check import assert_matches

PNG = encode_png(4, 4, 2, [bytes(12)] * 4, [0] * 4)
IMAGE = ("in.png", PNG, "image/png")


def _refused(response: httpx2.Response, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert_matches("ErrorBody", body)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    kind = "authentication_error" if status == 401 else "invalid_request_error"
    assert body["error"]["type"] == kind
    message: str = body["error"]["message"]
    assert message.startswith(f"{field}:"), message
    return message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "m"}, "prompt"),
        ({"prompt": "p"}, "model"),
        ({"prompt": "p", "model": 5}, "model"),
        ({"prompt": "p", "model": "m", "n": 11}, "n"),
        ({"prompt": "p", "model": "m", "n": 0}, "n"),
        ({"prompt": "p", "model": "m", "n": 2.5}, "n"),
        ({"prompt": "p", "model": "m", "n": "two"}, "n"),
        ({"prompt": "p", "model": "m", "quality": "ultra"}, "quality"),
        ({"prompt": "p", "model": "m", "size": "big"}, "size"),
        ({"prompt": "p", "model": "m", "size": "9000x9000"}, "size"),
        ({"prompt": "p", "model": "m", "metadata": {"k": 5}}, "metadata.k"),
        ({"prompt": "p", "model": "m", "cache": {"ttl": 5}}, "cache.type"),
        ({"prompt": "p", "model": "m", "retry": {"on_codes": [99]}}, "retry.on_codes[0]"),
        ({"prompt": "p", "model": "m", "orq": {"retry": {"count": 9}}}, "orq.retry.count"),
        (
            {"prompt": "p", "model": "m", "orq": {"identity": {"id": "i", "email": "x"}}},
            "orq.identity.email",
        ),
        ({"prompt": "p", "model": "m", "fallbacks": {"model": "x"}}, "fallbacks"),
        (
            {
                "prompt": "p",
                "model": "m",
                "load_balancer": {"type": "weight_based", "models": [{"model": "a", "weight": 2}]},
            },
            "load_balancer.models[0].weight",
        ),
        (["not", "an", "object"], "body"),
        ({"prompt": None, "model": "m"}, "prompt"),
        ({"prompt": "p", "model": "m", "metadata": {"k": None}}, "metadata.k"),
        ({"prompt": "p", "model": "m", "retry": {"count": None}}, "retry.count"),
        (
            {
                "prompt": "p",
                "model": "m",
                "orq": {
                    "load_balancer": {
                        "type": "weight_based",
                        "models": [{"model": "a", "weight": None}],
                    }
                },
            },
            "orq.load_balancer.models[0].weight",
        ),
    ],
)
def test_generation_fields(http: httpx2.Client, body: Any, field: str) -> None:
    _refused(http.post(GENERATIONS, json=body), 400, field)


def test_null_is_taken_where_the_spec_allows_it(http: httpx2.Client) -> None:
    body = {"prompt": "p", "model": "m", "n": None, "size": None, "quality": None}
    assert http.post(GENERATIONS, json=body).status_code == 200


@pytest.mark.parametrize("body", [b"{oops", b"", b"null"])
def test_a_body_that_is_not_a_json_object(http: httpx2.Client, body: bytes) -> None:
    response = http.post(GENERATIONS, content=body, headers={"Content-Type": "application/json"})
    _refused(response, 400, "body")


def test_the_wrong_content_type(http: httpx2.Client) -> None:
    _refused(http.post(GENERATIONS, data={"prompt": "p", "model": "m"}), 415, "content-type")
    _refused(http.post(VARIATIONS, json={"model": "m"}), 415, "content-type")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "model"),
        ({"model": "m", "n": "11"}, "n"),
        ({"model": "m", "n": "2.5"}, "n"),
        ({"model": "m", "n": "many"}, "n"),
        ({"model": "m", "size": "300x300"}, "size"),
        ({"model": "m", "response_format": "gif"}, "response_format"),
        ({"model": "m", "orq": "{not json"}, "orq"),
        (
            {"model": "m", "orq": json.dumps({"prompt": {"id": "p", "version": "v1"}})},
            "orq.prompt.version",
        ),
        ({"model": "m", "retry": json.dumps({"count": 0})}, "retry.count"),
        ({"model": "m", "fallbacks": json.dumps({"model": "x"})}, "fallbacks"),
        ({"model": "m", "timeout": json.dumps({})}, "timeout.call_timeout"),
        ({"model": "m", "cache": "[]"}, "cache"),
    ],
)
def test_variation_fields(http: httpx2.Client, fields: dict[str, str], field: str) -> None:
    _refused(http.post(VARIATIONS, data=fields, files={"image": IMAGE}), 400, field)


def test_a_non_image_upload_is_refused_as_the_live_api_does(http: httpx2.Client) -> None:
    response = http.post(
        VARIATIONS, data={"model": "m"}, files={"image": ("notes.png", b"just text", "image/png")}
    )
    assert "notes.png" in _refused(response, 400, "image")


def test_a_broken_png_is_refused(http: httpx2.Client) -> None:
    broken = PNG[:-30]
    response = http.post(
        VARIATIONS, data={"model": "m"}, files={"image": ("cut.png", broken, "image/png")}
    )
    assert "broken PNG" in _refused(response, 400, "image")


def test_an_upload_without_an_image_content_type_is_refused(http: httpx2.Client) -> None:
    response = http.post(
        VARIATIONS,
        data={"model": "m"},
        files={"image": ("upload", PNG, "application/octet-stream")},
    )
    assert "application/octet-stream" in _refused(response, 400, "image")


def test_a_missing_image_is_refused(http: httpx2.Client) -> None:
    response = http.post(VARIATIONS, data={"model": "m"}, files={"other": IMAGE})
    _refused(response, 400, "image")


def test_an_image_sent_as_text_is_refused(http: httpx2.Client) -> None:
    response = http.post(VARIATIONS, data={"model": "m", "image": "photo.png"}, files={"x": IMAGE})
    assert "file" in _refused(response, 400, "image")


def test_a_text_field_sent_as_a_file_is_refused(http: httpx2.Client) -> None:
    response = http.post(
        VARIATIONS,
        data={"model": "m"},
        files={"image": IMAGE, "orq": ("orq.json", b"{}", "application/json")},
    )
    _refused(response, 400, "orq")


def test_a_repeated_part_is_refused(http: httpx2.Client) -> None:
    fallbacks = json.dumps([{"model": "a"}])
    response = http.post(
        VARIATIONS, data={"model": "m", "fallbacks": [fallbacks, fallbacks]}, files={"image": IMAGE}
    )
    assert "more than once" in _refused(response, 400, "fallbacks")


def test_a_malformed_multipart_body(http: httpx2.Client) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    _refused(http.post(VARIATIONS, content=b"no boundary here", headers=headers), 400, "body")
    truncated = b'--xyz\r\nContent-Disposition: form-data; name="model"\r\n\r\nm'
    _refused(http.post(VARIATIONS, content=truncated, headers=headers), 400, "body")
    no_boundary = {"Content-Type": "multipart/form-data"}
    _refused(http.post(VARIATIONS, content=b"--x--", headers=no_boundary), 400, "body")


def test_whole_number_text_is_an_integer(http: httpx2.Client, orq_router: LocalRouter) -> None:
    retry = json.dumps({"count": 3.0, "on_codes": [429.0]})
    response = http.post(
        VARIATIONS,
        data={"model": "m", "n": "2.0", "retry": retry, "size": "256x256"},
        files={"image": IMAGE},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 2


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "k"])
def test_a_request_without_a_bearer_token_is_401(
    orq_router: LocalRouter, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = httpx2.post(
        orq_router.url + GENERATIONS, json={"prompt": "p", "model": "m"}, headers=headers
    )
    assert _refused(response, 401, "authorization")
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_router_with_a_key_takes_only_that_key() -> None:
    with LocalRouter(api_key="right") as router:
        url = router.url + GENERATIONS
        body = {"prompt": "p", "model": "m", "size": "8x8"}
        wrong = httpx2.post(url, json=body, headers={"Authorization": "Bearer wrong"})
        right = httpx2.post(url, json=body, headers={"Authorization": "Bearer right"})
    assert (wrong.status_code, right.status_code) == (401, 200)


def test_other_paths_and_methods(http: httpx2.Client) -> None:
    missing = http.post("/v2/router/images/upscales", json={})
    assert missing.status_code == 404
    assert "/v2/router/images/upscales" in missing.json()["error"]["message"]
    wrong_method = http.get(GENERATIONS)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert http.delete(VARIATIONS).status_code == 405
    assert http.head(GENERATIONS).status_code == 405


def test_an_oversized_body_is_refused_before_it_is_read(orq_router: LocalRouter) -> None:
    host, port = "127.0.0.1", orq_router.port
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(
            f"POST {VARIATIONS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {60 * 1024 * 1024}\r\n\r\n".encode()
        )
        reply = sock.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert "Connection: close" in reply
