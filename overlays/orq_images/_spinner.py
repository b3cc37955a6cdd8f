"""A spinner with the seconds elapsed, shown while the command waits on the API.

Generation takes 10-60 s on the live API, so a terminal user needs a sign of
life; on anything that is not a terminal (a pipe, a log file, CI) it shows
nothing at all, so the command's output stays clean.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TextIO

_FRAMES = "|/-\\"
_CLEAR_LINE = "\r\x1b[K"


class Spinner:
    def __init__(self, message: str, stream: TextIO, interval: float = 0.1) -> None:
        self._message = message
        self._stream = stream
        self._interval = interval
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        return bool(isatty and isatty())

    def __enter__(self) -> Spinner:
        if self.active:
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._thread is None:
            return
        self._done.set()
        self._thread.join()
        self._stream.write(_CLEAR_LINE)
        self._stream.flush()

    def _spin(self) -> None:
        started = time.monotonic()
        frame = 0
        while True:
            elapsed = time.monotonic() - started
            self._stream.write(f"\r{_FRAMES[frame % len(_FRAMES)]} {self._message} {elapsed:.1f}s")
            self._stream.flush()
            frame += 1
            if self._done.wait(self._interval):
                return
