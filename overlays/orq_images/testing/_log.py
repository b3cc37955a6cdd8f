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
    field: str
    filename: str
    content_type: str | None
    size: int


@dataclass(frozen=True)
class LoggedRequest:
    """One answered request.

    `body` is the parsed JSON body, or the form fields as typed values, or None
    when the body could not be read. `status` and `response_headers` are what
    the router answered (status None: the connection was dropped); `duration`
    is the time it took, in seconds; `fault` tells a queued fault answered.
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
