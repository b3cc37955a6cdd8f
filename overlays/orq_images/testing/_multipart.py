"""Read a multipart/form-data body (RFC 7578) into its parts.

The body is split on its boundary with bytes.find, which stays fast for a
50 MB upload; each part's header block is read by the standard library's
email header parser, which knows quoting and RFC 2231 filenames.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import HeaderParser

_HEADERS = HeaderParser(policy=email.policy.HTTP)


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    value: bytes


def boundary_of(content_type: str) -> str:
    message = _HEADERS.parsestr(f"Content-Type: {content_type}\r\n\r\n")
    if message.get_content_type() != "multipart/form-data":
        raise MultipartError(f"content type is {message.get_content_type()}")
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("content type has no boundary")
    return boundary


def parse(content_type: str, body: bytes) -> list[FormPart]:
    """Every part in order; MultipartError when the body does not follow the format."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:
        found = body.find(b"\r\n" + delimiter)
        if found < 0:
            raise MultipartError("the boundary never occurs in the body")
        pos = found + 2 + len(delimiter)
    parts: list[FormPart] = []
    while True:
        if body.startswith(b"--", pos):
            return parts
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise MultipartError("a boundary line is not followed by CRLF")
        start = line_end + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise MultipartError("the body ends without its closing boundary")
        parts.append(_part(body[start:end]))
        pos = end + 2 + len(delimiter)


def _part(raw: bytes) -> FormPart:
    if raw.startswith(b"\r\n"):
        head, value = b"", raw[2:]
    else:
        head, separator, value = raw.partition(b"\r\n\r\n")
        if not separator:
            raise MultipartError("a part has no blank line after its headers")
    headers: EmailMessage = _HEADERS.parsestr(head.decode("utf-8", "replace") + "\r\n\r\n")
    if headers.get_content_disposition() != "form-data":
        raise MultipartError("a part has no Content-Disposition: form-data header")
    name = headers.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise MultipartError("a part has no name")
    content_type = headers.get_content_type() if "content-type" in headers else None
    return FormPart(name, headers.get_filename(), content_type, value)
