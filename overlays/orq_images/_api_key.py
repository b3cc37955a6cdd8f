"""The API key, as a client holds it: never shown, made into a header only as it is sent.

`api_key` is a string, or a callable that returns one (orq-ai-sdk's way to rotate
keys), called once per attempt, so a retry sends the key current at that moment.
Either is checked the same way (surrounding whitespace dropped; a control or
non-ASCII character refused, with its position but never the key).

Tracebacks rendered with their frames' locals (rich's show_locals, Sentry's frame
capture, `traceback` with capture_locals) show every local of every frame. So the
key is wrapped in an `ApiKey`, whose repr and str hide it, from the first line of
the client's constructor on; it becomes the Authorization header in the send step
of each attempt (`authorize`), and the functions that handle it bare return
before any error about it is raised.

Over HTTP/2 (an `http_client` with http2=True), h2 marks the header never-indexed,
so hpack's DEBUG lines show its value as SENSITIVE_REDACTED; but hpack also logs
each encoded header block, which decodes back to the key. Those lines keep their
place in the log with the block's size instead (`_HiddenHeaderBlocks`), for every
hpack encoder of the process: any block may carry some credential.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable

import httpx2

from ._exceptions import OrqError

KeySource = str | Callable[[], str]

KEY_EXTENSION = "orq_images.api_key"
"""The request extension holding the ApiKey whose header each attempt gets."""

_MISSING = "no API key: pass Orq(api_key=...) or set the ORQ_API_KEY environment variable"


class _HiddenHeaderBlocks(logging.Filter):
    """hpack's "Encoded header block to <bytes>" DEBUG line, with the bytes' size only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.msg == "Encoded header block to %s" and isinstance(args, tuple) and args:
            block = args[0]
            size = len(block) if isinstance(block, bytes) else "some"
            record.args = (f"<{size} bytes, not shown: they may hold credentials>",)
        return True


logging.getLogger("hpack.hpack").addFilter(_HiddenHeaderBlocks())


class ApiKey:
    """The client's key, or the callable that gives it; `repr()` and `str()` hide it."""

    __slots__ = ("_given", "_header")

    def __init__(self, given: object) -> None:
        # No check here: a failure now would show `given` among this frame's locals.
        self._given = given
        self._header: str | None = None

    def __repr__(self) -> str:
        return "ApiKey(<redacted>)"

    def check(self) -> None:
        """Check a key given as a string, or read from ORQ_API_KEY, once; OrqError if bad."""
        if self._given is None or self._given == "":
            self._given = os.environ.get("ORQ_API_KEY", "")
        if callable(self._given):
            return
        header = _bearer(self._given, "the API key")
        if isinstance(header, OrqError):
            raise header
        self._header = header

    def authorize(self, request: httpx2.Request) -> None:
        """Set `request`'s Authorization header; a callable given as the key is asked now."""
        request.headers["Authorization"] = self._header or self._current()

    def _current(self) -> str:
        source = self._given
        assert callable(source)
        try:
            header = _bearer(source(), "the API key that api_key returned")
        except Exception as exc:
            raise OrqError(
                f"api_key: the callable that gives the key failed ({type(exc).__name__}); "
                "see the exception chained above"
            ) from exc
        if isinstance(header, OrqError):
            raise header
        return header


def _bearer(key: object, what: str) -> str | OrqError:
    """`Bearer <key>`, or the error that says what is wrong with `key` without showing it.

    The error is returned, not raised: raised here, it would carry this frame, and
    `key` with it, in its traceback.
    """
    if inspect.isawaitable(key):
        if inspect.iscoroutine(key):
            key.close()  # never awaited: no warning about it
        return OrqError(f"{what} is awaitable: pass a plain function that returns the key")
    if not isinstance(key, str):
        return OrqError(f"{what} must be a string, got {type(key).__name__}")
    key = key.strip()
    if not key:
        return OrqError(_MISSING if what == "the API key" else f"{what} is empty")
    for position, char in enumerate(key, start=1):
        if char < " " or char == "\x7f":
            return OrqError(
                f"{what} contains a control character (code {ord(char)}) at position "
                f"{position} of {len(key)}; check how it was read or pasted"
            )
        if not char.isascii():
            return OrqError(
                f"{what} contains a non-ASCII character at position {position} "
                f"of {len(key)}; check how it was read or pasted"
            )
    return f"Bearer {key}"
