"""The log of requests a LocalRouter answered, for tests to assert on.

Credentials never reach the log: the value of Authorization (and of the other
headers that carry secrets) is replaced, keeping only its scheme, so a test can
still check that a bearer token was sent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
REDACTED = "[REDACTED]"


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with lower-cased names and every secret value replaced."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = value
        if key in _SECRET_HEADERS:
            scheme, _, secret = value.partition(" ")
            out[key] = f"{scheme} {REDACTED}" if secret else REDACTED
    return out


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as the router received it.

    `field` is the form field it came in (`image`), `filename` the name the client
    gave it ("" when none), `content_type` the part's Content-Type (None when the
    part had none), `size` its length in bytes.
    """

    field: str
    filename: str
    content_type: str | None
    size: int


@dataclass(frozen=True)
class LoggedRequest:
    """One request the router answered (or dropped, for a queued fault), for tests to read.

    - `method`, `path`: the request line; `path` keeps any query string.
    - `headers`: the request's headers, names lower-cased; the values of
      Authorization, Proxy-Authorization, Cookie and X-Api-Key are replaced by
      `[REDACTED]` (keeping the scheme: `Bearer [REDACTED]`).
    - `body`: the parsed request. For a JSON request, the decoded JSON. For a
      multipart request, the parsed form: each text field as the typed value the
      spec describes (`"2"` becomes 2, JSON text becomes the object, repeated
      `name[]` parts become one list under `name`); the files are in `files`,
      not here. None when the body could not be read.
    - `files`: the uploaded files, in the order they came.
    - `status`: the status answered; None when the connection was dropped.
    - `response_headers`: the headers answered, names lower-cased (`x-request-id`,
      the routing headers `x-orq-served-by`, `x-orq-attempts`, `x-orq-cache`, ...).
    - `duration`: seconds from reading the request to answering it.
    - `fault`: True when a queued fault (`queue_fault`) answered, not the router.
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    files: tuple[UploadedFile, ...]
    status: int | None
    response_headers: Mapping[str, str]
    duration: float
    fault: bool

    @property
    def file(self) -> UploadedFile | None:
        """The first uploaded file, if any."""
        return self.files[0] if self.files else None

    def json(self) -> Any:
        """The JSON body of the request, decoded, as httpx's `Response.json()` gives one.

        ValueError for a request that was not JSON (read `body` for a form's fields)
        or whose body could not be read.
        """
        media_type = self.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            raise ValueError(
                f"{self.method} {self.path} sent {media_type or 'no content type'}, not JSON; "
                "`body` holds its parsed form"
            )
        if self.body is None:
            raise ValueError(f"the JSON body of {self.method} {self.path} could not be read")
        return self.body


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
