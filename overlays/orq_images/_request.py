"""One API call, in the steps the sync and async clients share.

    build_request   body fields and per-call options -> a checked, encoded httpx2.Request
    (send)          the only step that differs: the client's sync or async send
    parse_response  httpx2.Response -> the response model it is given, or a typed error

The generated router (orq_images/_generated/router.py) reaches these through the
client's `_call` for every operation of the spec. This module never imports the
generated code: the client hands parse_response the model class to build.

Everything a caller can get wrong is checked in build_request, before anything
is sent.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, TypeGuard

import httpx2

from ._api_key import KEY_EXTENSION
from ._exceptions import (
    APIResponseValidationError,
    InvalidRequestError,
    InvalidRequestTypeError,
    status_error,
)
from ._images import Fetcher, ImageFile
from ._legacy import upgrade_legacy_shapes
from ._retry import (
    RETRY_COUNT_HEADER,
    RETRY_EXTENSION,
    RetryConfig,
    retry_after_seconds,
    succeeded,
)
from ._schema import response_validator, validator
from ._settings import SDK_HEADERS, ClientSettings, check_base_url
from ._spec import FileRule, Operation, load_spec, operations


def timeout_from_ms(timeout_ms: int | float, *, what: str = "timeout_ms") -> httpx2.Timeout:
    """A whole-call timeout; connecting gets at most 5 s of it."""
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int | float):
        raise InvalidRequestTypeError(
            what, f"expected milliseconds as a number, got {timeout_ms!r}"
        )
    if not (math.isfinite(timeout_ms) and timeout_ms > 0):
        raise InvalidRequestError(what, f"must be a positive, finite number, got {timeout_ms!r}")
    seconds = timeout_ms / 1000
    return httpx2.Timeout(seconds, connect=min(5.0, seconds))


def _encode_json(body: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        # Only on failure: find the offending value, to name its field.
        from ._multipart import encodable, json_ready  # noqa: PLC0415

        for name, value in body.items():
            json_ready(value, encodable(name, name))
        raise


# RFC 9110 section 5.6.2: a header name is one or more of these.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# The body's framing is the SDK's: another length or coding would cut the request short
# or run it into the next one on the connection.
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def _check_headers(headers: Mapping[str, str]) -> None:
    """Refuses, naming the header, what would otherwise fail mid-send or go out wrong.

    Values must be ASCII: HTTP gives other bytes no agreed meaning, and the
    percent-encoding or base64 a server expects is the caller's to choose.
    """
    for name, value in headers.items():
        field = f"http_headers[{name!r}]"
        for text in (name, value):
            if not isinstance(text, str):
                raise InvalidRequestTypeError(
                    field, f"names and values must be strings, got {text!r}"
                )
            if any(char in text for char in "\r\n\0"):
                raise InvalidRequestError(
                    field, "a header name or value cannot contain CR, LF or NUL"
                )
        if not _TOKEN.fullmatch(name):
            raise InvalidRequestError(
                field,
                "is not a header name: a name is letters, digits and !#$%&'*+-.^_`|~ only",
            )
        if name.lower() in _FRAMING:
            raise InvalidRequestError(
                field, "is set by the SDK from the body it sends and cannot be overridden"
            )
        if not value.isascii():
            position = next(i for i, char in enumerate(value, start=1) if not char.isascii())
            raise InvalidRequestError(
                field,
                f"has a non-ASCII character at position {position}; header values must be "
                "ASCII (percent-encode the text, or send it in the body)",
            )


# Headers the SDK sets itself, in place of any default of the client's.
_SET_BY_SDK = frozenset(
    {b"authorization", b"accept", b"accept-encoding", b"user-agent", b"content-type",
     b"content-length", b"transfer-encoding", b"idempotency-key", b"x-retry-count"}
)  # fmt: skip
RawHeaders = list[tuple[bytes, bytes]]
# What the first attempt says; the send flow counts the retries.
_FIRST_ATTEMPT = (RETRY_COUNT_HEADER.encode("ascii"), b"0")
# A version 4 UUID has these bits fixed (RFC 9562): the version, 4, and the variant, 10.
_UUID4_CLEAR = ~(0xF000 << 64 | 0xC000 << 48)
_UUID4_SET = 0x4000 << 64 | 0x8000 << 48


def idempotency_key() -> bytes:
    """A new random (version 4) UUID, as `uuid.uuid4()` makes, without importing uuid
    (which loads `platform`, a tenth of a second) and at less than half its cost."""
    bits = int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET
    h = bits.to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}".encode("ascii")


def _headers(client_headers: httpx2.Headers, url: httpx2.URL) -> RawHeaders:
    """Every header of a request but its body's own and the key's, as raw pairs: Host (the
    client's, if it sets one), the client's defaults, then the SDK's Accept,
    Accept-Encoding and User-Agent, a new Idempotency-Key, which every attempt of the call
    carries, and the retry count.

    httpx2 adds no header to a request built around a stream, not even Host, and it
    takes raw pairs in one pass, where setting headers one by one searches the list
    each time.
    """
    pairs = [(b"Host", url.netloc)]
    for pair in client_headers.raw:
        name = pair[0].lower()
        if name == b"host":
            pairs[0] = pair
        elif name not in _SET_BY_SDK:
            pairs.append(pair)
    pairs += SDK_HEADERS
    pairs.append((b"Idempotency-Key", idempotency_key()))
    pairs.append(_FIRST_ATTEMPT)
    return pairs


@lru_cache(maxsize=64)
def _operation_url(base_url: str, path: str) -> httpx2.URL:
    """The URL of an operation, parsed once: parsing it is a tenth of a call's own CPU.

    httpx2.URL is immutable, so every request of a client can share one.
    """
    return httpx2.URL(base_url.rstrip("/") + path)


def build_request(
    settings: ClientSettings,
    client_headers: httpx2.Headers,
    operation_id: str,
    fields: Mapping[str, Any],
    options: Mapping[str, Any],
) -> httpx2.Request:
    """Check and encode one call; raises InvalidRequestError naming the field on bad input.

    `fields` are the operation's body fields (None: not sent), `options` the per-call
    settings every operation takes (retries, timeout_ms, server_url, http_headers,
    extra_body; None: the client's own).
    """
    operation = operations()[operation_id]
    # Keywords left out are None: dropped here, in one pass, so that the check (which
    # gives back what it need not change) returns this dict, the call's own.
    given = {name: value for name, value in fields.items() if value is not None}
    body = validator(operation.request_schema)(upgrade_legacy_shapes(given), "")
    files = {name: body.pop(name) for name in operation.file_fields if name in body}
    extra_body = options.get("extra_body")
    if extra_body:
        body.update(extra_body)

    extensions: dict[str, Any] = {}
    timeout = settings.timeout
    if options.get("timeout_ms") is not None:
        timeout = timeout_from_ms(options["timeout_ms"])
    extensions["timeout"] = timeout.as_dict()
    if options.get("retries") is not None:
        extensions[RETRY_EXTENSION] = RetryConfig.coerce(options["retries"], settings.retry)

    base_url = settings.base_url
    if options.get("server_url") is not None:
        base_url = check_base_url(options["server_url"])
    url = _operation_url(base_url, operation.path)
    if operation.content_type == "multipart/form-data":
        stream, body_headers = _multipart_body(body, files, operation)
    else:
        stream, body_headers = _json_body(body)
    headers = _headers(client_headers, url)
    headers += body_headers
    request = httpx2.Request(operation.method, url, headers=headers, stream=stream)
    # The key becomes the Authorization header as each attempt is sent (see _api_key.py).
    extensions[KEY_EXTENSION] = settings.api_key
    if options.get("http_headers"):
        _check_headers(options["http_headers"])
        request.headers.update(options["http_headers"])
        if "authorization" in request.headers:  # the caller's own, for this call
            del extensions[KEY_EXTENSION]
    request.extensions = extensions
    return request


def _json_body(body: Mapping[str, Any]) -> tuple[httpx2.ByteStream, RawHeaders]:
    content = _encode_json(body)
    length = str(len(content)).encode("ascii")
    headers = [(b"Content-Type", b"application/json"), (b"Content-Length", length)]
    return httpx2.ByteStream(content), headers


def _multipart_body(
    body: Mapping[str, Any], files: Mapping[str, object], operation: Operation
) -> tuple[httpx2.SyncByteStream, RawHeaders]:
    # Loaded by the first upload: a program that only generates never pays for them.
    from ._multipart import MultipartStream, form_fields  # noqa: PLC0415
    from ._upload import prepare_image  # noqa: PLC0415

    parts = []
    for name, value in files.items():
        rule = operation.files[name]
        if rule.takes_list and _is_list(value):
            _check_count(name, value, rule)
            # Each file of a list is its own part: `name[]` parts where the spec's
            # encoding says `style: form, explode: true`, as orq-ai-sdk sends a list.
            wire = f"{name}[]" if name in operation.exploded else name
            parts += [
                (wire, prepare_image(item, field=f"{name}[{index}]", rule=rule))
                for index, item in enumerate(value)
            ]
        else:
            parts.append((name, prepare_image(value, field=name, rule=rule)))
    stream = MultipartStream(form_fields(body, operation.exploded), parts)
    return stream, stream.content_headers


def _is_list(value: object) -> TypeGuard[Sequence[object]]:
    # A tuple stays one file, in the (filename, content[, content_type]) form.
    return isinstance(value, Sequence) and not isinstance(
        value, str | bytes | bytearray | memoryview | tuple
    )


def _check_count(name: str, files: Sequence[object], rule: FileRule) -> None:
    if len(files) < rule.min_items:
        raise InvalidRequestError(name, f"needs at least {rule.min_items} image, got none")
    if rule.max_items is not None and len(files) > rule.max_items:
        raise InvalidRequestError(name, f"takes at most {rule.max_items} images, got {len(files)}")


@cache
def _required_fields(schema_name: str) -> tuple[str, ...]:
    return tuple(load_spec()["components"]["schemas"][schema_name].get("required", ()))


def _invalid_body(
    response: httpx2.Response, problem: str, body: object
) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"the {response.status_code} response does not match the API spec: {problem}",
        response=response,
        body=body,
    )


def parse_response(
    operation_id: str,
    response: httpx2.Response,
    model_class: Callable[[str], Any],
    fetcher: Fetcher,
    *,
    strict: bool,
) -> Any:
    """The response model for a success response, or the typed error for anything else.

    Lenient by default, as openai-python is: a field the body leaves out or sends as
    null reads as None and fields the spec does not name are kept, but a body that is
    not a JSON object holding the schema's required fields is refused. `strict` checks
    the whole body against the spec first. `model_class` gives the generated model
    of a schema name.
    """
    if not succeeded(response):
        raise status_error(response, retry_after=retry_after_seconds(response.headers))
    operation = operations()[operation_id]
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        excerpt = response.content[:200].decode("utf-8", errors="replace")
        raise _invalid_body(response, f"body is not JSON ({exc}): {excerpt!r}", None) from None
    if strict:
        try:
            data = response_validator(operation.response_schema)(data, "")
        except InvalidRequestError as exc:
            raise _invalid_body(response, str(exc), data) from None
    if not isinstance(data, dict):
        raise _invalid_body(response, f"expected a JSON object, got {type(data).__name__}", data)
    missing = [name for name in _required_fields(operation.response_schema) if name not in data]
    if missing:
        raise _invalid_body(response, f"{missing[0]}: is required", data)
    try:
        model = model_class(operation.response_schema).from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise _invalid_body(response, f"{type(exc).__name__}: {exc}", data) from None
    for item in model.data if isinstance(model.data, list) else ():
        if isinstance(item, ImageFile):
            item._bind(fetcher)
    return model
