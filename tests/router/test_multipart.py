"""The router's multipart reader on bodies written by hand and by httpx."""

from __future__ import annotations

import httpx2
import pytest

from orq_images.testing._multipart import FormPart, MultipartError, parse

CT = "multipart/form-data; boundary=XyZ"


def test_binary_content_with_crlf_and_dashes_survives() -> None:
    # Everything but the delimiter itself (CRLF, "--", the boundary) may occur in content.
    tricky = b"\r\n--Xy\r\n\r\n\x00\xff--\r\n-XyZ\n--XyZ"
    body = (
        b'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="image"; '
        b'filename="a b.png"\r\nContent-Type: image/png\r\n\r\n'
        + tricky
        + b'\r\n--XyZ\r\nContent-Disposition: form-data; name="empty"\r\n\r\n'
        b"\r\n--XyZ--\r\nepilogue"
    )
    assert parse(CT, body) == [
        FormPart("image", "a b.png", "image/png", tricky),
        FormPart("empty", None, None, b""),
    ]


def test_what_httpx_writes_reads_back() -> None:
    request = httpx2.Request(
        "POST",
        "http://x",
        data={"model": "m", "n": "2"},
        files={"image": ("fotó.png", b"\x89PNG\r\n", "image/png")},
    )
    parts = parse(request.headers["content-type"], request.read())
    assert [(p.name, p.filename, p.value) for p in parts] == [
        ("model", None, b"m"),
        ("n", None, b"2"),
        ("image", "fotó.png", b"\x89PNG\r\n"),
    ]


def test_rfc_2231_filenames_are_decoded() -> None:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="image"; '
        b"filename*=UTF-8''caf%C3%A9.png\r\n\r\nx\r\n--XyZ--\r\n"
    )
    assert parse(CT, body)[0].filename == "café.png"


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        ("application/json", b"{}", "content type"),
        ("multipart/form-data", b"--x--", "no boundary"),
        (CT, b"nothing", "never occurs"),
        (CT, b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nv', "closing"),
        (CT, b"--XyZjunk\r\n", "CRLF"),
        (CT, b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n--XyZ--', "blank line"),
        (CT, b"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", "form-data"),
        (CT, b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--", "no name"),
    ],
)
def test_malformed_bodies_are_refused(content_type: str, body: bytes, problem: str) -> None:
    with pytest.raises(MultipartError, match=problem):
        parse(content_type, body)
