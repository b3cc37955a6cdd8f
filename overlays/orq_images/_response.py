"""The raw HTTP response of a call, beside its parsed body (`create_detailed`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import httpx2

T = TypeVar("T")


class RawResponse(Generic[T]):
    """Status, headers and request id of a successful call; `parse()` gives the model."""

    def __init__(self, http_response: httpx2.Response, parse: Callable[[], T]) -> None:
        self.http_response = http_response
        self._parse = parse
        self._parsed: T | None = None

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        request_id: str | None = self.http_response.headers.get("x-request-id")
        return request_id

    def parse(self) -> T:
        if self._parsed is None:
            self._parsed = self._parse()
        return self._parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] request_id={self.request_id!r}>"
