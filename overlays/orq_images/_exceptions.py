"""Every error the SDK raises, in one small hierarchy.

    OrqError
    ├── InvalidRequestError (ValueError)      bad input, raised before anything is sent
    │   └── InvalidRequestTypeError (TypeError)
    ├── APIConnectionError                    the request did not get an answer
    │   └── APITimeoutError
    ├── APIStatusError                        the server answered with an error status
    │   ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403,
    │   ├── NotFoundError 404, ConflictError 409, UnprocessableEntityError 422,
    │   └── RateLimitError 429, InternalServerError >= 500
    ├── APIResponseValidationError            a success response that is not the documented body
    │   └── IncompleteResponseError           a success response cut off before its end
    └── DownloadError                         an image URL that was refused or is not an image

Messages and reprs never contain the request's headers, so the API key cannot
leak through an error.

Every error has the attributes code written for orq-ai-sdk reads: `message`,
`status_code`, `body`, `headers` and `raw_response` (an alias of `response`).
The last four are None where no answer was received (bad input, a refused
connection, a timeout), so `except OrqError as e: e.status_code` never fails.
"""

from __future__ import annotations

import json

import httpx2

_MESSAGE_CHARS = 300


class OrqError(Exception):
    """Base class of every error raised by orq_images.

    `message` explains the failure. `status_code`, `body`, `headers` and
    `response` describe the server's answer, and are None when there was none.
    """

    status_code: int | None = None
    body: object = None
    headers: httpx2.Headers | None = None
    response: httpx2.Response | None = None
    _message: str | None = None

    @property
    def message(self) -> str:
        return self._message if self._message is not None else str(self)

    @message.setter
    def message(self, value: str) -> None:
        self._message = value

    @property
    def raw_response(self) -> httpx2.Response | None:
        """orq-ai-sdk's name for `response`: the answer as received (an httpx2.Response)."""
        return self.response


class InvalidRequestError(OrqError, ValueError):
    """The arguments break a rule of the API spec; nothing was sent.

    `field` is the dotted path of the offending value, e.g. `orq.retry.on_codes[0]`.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


class InvalidRequestTypeError(InvalidRequestError, TypeError):
    """A value has the wrong type for its field; nothing was sent."""


class APIConnectionError(OrqError):
    """The request could not be completed: connection refused or reset, DNS, TLS, ..."""

    def __init__(self, message: str, *, request: httpx2.Request) -> None:
        self.message = message
        self.request = request
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """The request took longer than its timeout."""


def _parse_body(response: httpx2.Response) -> object:
    try:
        content = response.content
    except httpx2.ResponseNotRead:
        return None
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return content[: _MESSAGE_CHARS * 4].decode("utf-8", errors="replace")


def _detail(body: object) -> dict[str, object]:
    """The fields of an error body in either of the router's shapes.

    orq's image operations answer `{"error": {"message", "type", "code", "param"}}`
    (the shape orq-ai-sdk reads, see testing/_answers.py); other router errors have
    a top-level `{"message", "code"}`.
    """
    if not isinstance(body, dict):
        return {}
    nested = body.get("error")
    if isinstance(nested, dict):
        return nested
    if isinstance(nested, str) and not isinstance(body.get("message"), str):
        return {**body, "message": nested}
    return body


def _text(detail: dict[str, object], name: str) -> str | None:
    value = detail.get(name)
    return value if isinstance(value, str) else None


def _message_from(body: object, response: httpx2.Response) -> str:
    message = _text(_detail(body), "message")
    if message is not None:
        return message
    if isinstance(body, str) and body.strip():
        text = " ".join(body.split())
        return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "..."
    return response.reason_phrase or "no response body"


class APIStatusError(OrqError):
    """The server answered with a 4xx or 5xx status.

    `body` is the parsed JSON of the response, or its text when it is not JSON,
    or None when it is empty.

    `retry_after` is the wait in seconds the server asked for (Retry-After or
    retry-after-ms), when it gave one; a wait longer than the retry policy
    allows is not waited for, the error is raised at once with it.

    `code`, `type` and `param` are the body's machine-readable code, kind of
    error and offending request field, when it names them (None otherwise).
    """

    status_code: int
    response: httpx2.Response
    headers: httpx2.Headers

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        body: object,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.retry_after = retry_after
        self.headers = response.headers
        self.request_id: str | None = response.headers.get("x-request-id")
        detail = _detail(body)
        self.code: str | None = _text(detail, "code")
        self.type: str | None = _text(detail, "type")
        self.param: str | None = _text(detail, "param")
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        super().__init__(f"Error code: {self.status_code} - {message}{suffix}")


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    """429; see `retry_after`."""

    status_code = 429


class InternalServerError(APIStatusError):
    """Any 5xx status."""


class APIResponseValidationError(OrqError):
    """A success response whose body is not the documented JSON.

    A success is never sent again: for a 2xx answer the message says that the
    images may have been generated, with the request id (`request_id`) to look
    them up by.
    """

    response: httpx2.Response
    headers: httpx2.Headers

    def __init__(self, message: str, *, response: httpx2.Response, body: object) -> None:
        self.message = message
        self.response = response
        self.status_code: int = response.status_code
        self.headers = response.headers
        self.body = body
        self.request_id: str | None = response.headers.get("x-request-id")
        if response.is_success:
            message += (
                "; the request was not sent again, as the images may have been generated "
                f"(request id {self.request_id or 'not given'})"
            )
        super().__init__(message)


class IncompleteResponseError(APIResponseValidationError):
    """A success answer that did not arrive whole: cut off, or stalled past the timeout.

    The server accepted the request, so it is not sent again: the images may have
    been generated (and billed). `request_id` identifies them to orq's support.
    The transport error is the `__cause__`.
    """


def incomplete(response: httpx2.Response, error: Exception) -> IncompleteResponseError:
    """The error for a success answer whose body broke off with `error`."""
    return IncompleteResponseError(
        f"the {response.status_code} response broke off before its end ({type(error).__name__})",
        response=response,
        body=None,
    )


class DownloadError(OrqError):
    """An image `url` that was not downloaded: refused address, not an image, too large, ...

    A download the server answers with an error status raises APIStatusError instead.
    """


class SaveError(OrqError, OSError):
    """`save()` could not write the image file; names the path given, and keeps the errno.

    Also an OSError, as the failure of any other file write is.
    """


_BY_STATUS: dict[int, type[APIStatusError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
    )
}


def status_error(response: httpx2.Response, *, retry_after: float | None = None) -> APIStatusError:
    """The typed error for an error response; never fails on a malformed body."""
    body = _parse_body(response)
    message = _message_from(body, response)
    code = response.status_code
    cls = _BY_STATUS.get(code) or (InternalServerError if code >= 500 else APIStatusError)
    return cls(message, response=response, body=body, retry_after=retry_after)


__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DownloadError",
    "IncompleteResponseError",
    "InternalServerError",
    "InvalidRequestError",
    "InvalidRequestTypeError",
    "NotFoundError",
    "OrqError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "status_error",
]
