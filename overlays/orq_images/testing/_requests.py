"""Read an image request off the wire and check it against the spec.

`parse` turns the body into fields (and uploaded files) without judging them,
so the request log can show what arrived even when it is refused; `check`
then applies the spec's validator and the rules the live API adds on top:
an uploaded image must be of a content type and within the size the spec
states for its field (and a PNG must not be broken), and a generation size
must be `WIDTHxHEIGHT` (or `auto`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .._exceptions import InvalidRequestError
from .._schema import validator
from .._spec import FileRule, Operation
from .._upload import sniff_image_type
from . import _forms, _multipart, _png
from ._multipart import FormPart
from ._nulls import refuse_forbidden_nulls

MAX_PIXELS = 2048 * 2048
# Uploads above this many pixels are not decoded (Paeth-filtered rows are
# unfiltered byte by byte in Python); their variations derive from a hash.
MAX_DECODED_PIXELS = 1536 * 1536
DEFAULT_SIZE = (1024, 1024)
_SIZE = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")


class RequestError(Exception):
    """A request the router refuses; the message names the offending field."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param


def _invalid(exc: InvalidRequestError) -> RequestError:
    message = str(exc) if exc.field else f"body: {exc.problem}"
    return RequestError(400, message, "invalid_request", exc.field or None)


@dataclass(frozen=True)
class Parsed:
    fields: Any
    files: dict[str, FormPart | list[FormPart]]


@dataclass(frozen=True)
class ImageRequest:
    fields: dict[str, Any]
    upload: FormPart | None
    source: _png.Picture | None  # the decoded upload, when it is a PNG this router reads
    width: int
    height: int
    n: int
    response_format: str


def parse(operation: Operation, content_type: str, body: bytes) -> Parsed:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != operation.content_type:
        raise RequestError(
            415,
            f"content-type: expected {operation.content_type}, got {media_type or 'none'}",
            "unsupported_media_type",
        )
    if media_type == "application/json":
        try:
            return Parsed(json.loads(body), {})
        except ValueError as exc:
            raise RequestError(400, f"body: not valid JSON ({exc})", "invalid_json") from None
    try:
        parts = _multipart.parse(content_type, body)
        form = _forms.read(operation.request_schema, parts, file_fields=set(operation.file_fields))
    except _multipart.MultipartError as exc:
        raise RequestError(400, f"body: {exc}", "invalid_multipart") from None
    except InvalidRequestError as exc:
        raise _invalid(exc) from None
    return Parsed(form.fields, form.files)


def check(operation: Operation, parsed: Parsed) -> ImageRequest:
    try:
        refuse_forbidden_nulls(parsed.fields, operation.request_schema)
        # Files are fields of the spec too (`format: binary`): checked with the others
        # (required ones must be there), then read as images.
        given = {**parsed.fields, **parsed.files} if parsed.files else parsed.fields
        # A copy: the check gives back an object that needs no change as it was given.
        fields = dict(validator(operation.request_schema, caller=False)(given, ""))
        uploads = {name: fields.pop(name) for name in operation.file_fields if name in fields}
        upload = source = None
        for name, given in uploads.items():
            parts = _files(given, name, operation.files[name])
            for index, part in enumerate(parts):
                field = f"{name}[{index}]" if isinstance(given, list) else name
                picture = _read_image(part, field, operation.files[name])
                if upload is None:  # the first image is the one drawn from
                    upload, source = part, picture
        # Sizes of uploads answer to a fixed list; a generation names any WIDTHxHEIGHT.
        width, height = _size(fields.get("size"), allow_any=not operation.file_fields)
    except InvalidRequestError as exc:
        raise _invalid(exc) from None
    return ImageRequest(
        fields=fields,
        upload=upload,
        source=source,
        width=width,
        height=height,
        n=fields.get("n") or 1,
        response_format=fields.get("response_format") or "url",
    )


def _files(given: FormPart | list[FormPart], name: str, rule: FileRule) -> list[FormPart]:
    if not isinstance(given, list):
        return [given]
    if not rule.takes_list:
        raise InvalidRequestError(name, "takes one file, not a list of name[] parts")
    if rule.max_items is not None and len(given) > rule.max_items:
        raise InvalidRequestError(name, f"takes at most {rule.max_items} images, got {len(given)}")
    return given


def _read_image(upload: FormPart, field: str, rule: FileRule) -> _png.Picture | None:
    if upload.content_type not in rule.content_types:
        raise InvalidRequestError(
            field,
            f"content type {upload.content_type} is not one of {', '.join(rule.content_types)}",
        )
    if rule.max_bytes is not None and len(upload.value) > rule.max_bytes:
        raise InvalidRequestError(
            field, f"{len(upload.value):,} bytes is over the limit of {rule.max_bytes:,}"
        )
    kind = sniff_image_type(upload.value)
    if kind not in rule.content_types:
        raise InvalidRequestError(
            field, f"{upload.filename!r} is not {rule.kinds()} (by its content)"
        )
    if kind != "image/png":
        return None
    try:
        return _png.decode(upload.value, MAX_DECODED_PIXELS)
    except _png.UnsupportedPNG:
        return None
    except _png.PNGError as exc:
        raise InvalidRequestError(field, f"{upload.filename!r} is a broken PNG: {exc}") from None


def _size(value: str | None, *, allow_any: bool) -> tuple[int, int]:
    if value is None or (allow_any and value == "auto"):
        return DEFAULT_SIZE
    match = _SIZE.match(value)
    if match is None:
        raise InvalidRequestError("size", f"{value!r} is not WIDTHxHEIGHT, such as 1024x1024")
    width, height = int(match[1]), int(match[2])
    if width * height > MAX_PIXELS:
        raise InvalidRequestError("size", f"{value!r} is more than {MAX_PIXELS} pixels")
    return width, height
