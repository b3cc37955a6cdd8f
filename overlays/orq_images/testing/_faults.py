"""Faults queued by a test: each one answers exactly one request, first in first out."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._answers import error_body


@dataclass(frozen=True)
class Fault:
    """What to answer instead of the normal response.

    `body` may be bytes, text, or a JSON value; None gives an error body in
    orq's shape (see `_answers.error_body`). `delay` waits that many seconds
    first. `drop_connection` closes the connection without an answer (after the
    delay).
    """

    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str | Mapping[str, Any] | list[Any] | None = None
    delay: float = 0.0
    drop_connection: bool = False

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {self.status}")
        if self.delay < 0:
            raise ValueError(f"delay must not be negative, got {self.delay}")

    def payload(self) -> tuple[bytes, dict[str, str]]:
        """The body bytes and headers to send, with a Content-Type that fits the body."""
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        body = self.body
        if body is None:
            message = f"injected fault: status {self.status}"
            body = error_body(self.status, message, "injected_fault")
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(body).encode(), headers


class FaultQueue:
    def __init__(self) -> None:
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    def put(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
