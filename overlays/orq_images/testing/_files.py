"""The image files a LocalRouter serves at the URLs it hands out.

Like the live API's URLs they expire (after an hour), and the store is
bounded, so a router left running does not grow without limit.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

_LIFETIME = 3600.0
_MAX_FILES = 512


class FileStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._files: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, content: bytes) -> str:
        """Store a PNG file; its name is derived from its content, so it is stable."""
        name = hashlib.sha256(content).hexdigest()[:32] + ".png"
        with self._lock:
            self._files.pop(name, None)
            self._files[name] = (self._clock() + _LIFETIME, content)
            while len(self._files) > _MAX_FILES:
                self._files.popitem(last=False)
        return name

    def get(self, name: str) -> bytes | None:
        with self._lock:
            found = self._files.get(name)
            if found is None:
                return None
            expires, content = found
            if self._clock() >= expires:
                del self._files[name]
                return None
            return content
