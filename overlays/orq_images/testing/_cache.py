"""orq's exact-match cache: the same request within its ttl gets the same response."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_MAX_ENTRIES = 256


def cache_key(path: str, fields: Mapping[str, Any], upload: bytes | None) -> str:
    """The identity of a request: its path, its fields in canonical JSON, its upload's digest."""
    digest = hashlib.sha256(path.encode())
    digest.update(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    if upload is not None:
        digest.update(hashlib.sha256(upload).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    served_by: str


class ResponseCache:
    """Bounded: past _MAX_ENTRIES the entry stored first goes first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, CachedResponse]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedResponse | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, response = found
            if self._clock() >= expires:
                del self._entries[key]
                return None
            return response

    def put(self, key: str, response: CachedResponse, ttl: float) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (self._clock() + ttl, response)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
