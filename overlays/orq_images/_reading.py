"""Reading an answer's body: the one place where the SDK takes bytes off the wire.

Every body the SDK reads, sync or async, on httpx2 or aiohttp, goes through
`BodyReader`: API answers, error answers, answers thrown away before a retry,
redirect hops and images. The drivers hand it the raw bytes as they arrive and it
- decodes them itself (gzip, deflate, identity), a bounded piece at a time, so a
  few KB that claim to inflate to gigabytes never get further than the limit;
- stops at its sink's `limit` of decoded bytes (never above the client's
  `max_response_bytes`), before that many bytes are held anywhere;
- stops at the attempt's deadline;
- turns a body that does not decode into the sink's own error, never an httpx2 one.

httpx2's own decoders inflate each chunk whole (one 3 KB chunk can become
gigabytes), so bodies are taken raw (`iter_raw`, aiohttp's undecoded stream).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx2

if TYPE_CHECKING:
    from ._send import Deadline, Sink

# The most one decoding step produces at once: what a bomb can make the SDK hold.
_PIECE = 64 * 1024
# More encodings than this on one body serve no purpose but to multiply its size.
_MAX_ENCODINGS = 2


class Refused(Exception):
    """Internal: why a body cannot be read whole (too large, undecodable)."""


class _Inflate:
    """One gzip or deflate layer, giving at most _PIECE bytes per step."""

    __slots__ = ("_deflate", "_zlib")

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        # gzip: the gzip header; deflate: the zlib header (raw deflate is tried if it is missing).
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | (0 if self._deflate else 16))

    def __call__(self, data: bytes) -> Iterator[bytes]:
        inflate = self._zlib
        if inflate.eof and data:
            # zlib would keep whatever follows, without bound, as unused_data.
            raise zlib.error("data after the end of the compressed body")
        while True:
            try:
                piece = inflate.decompress(data, _PIECE)
            except zlib.error:
                if not self._deflate:
                    raise
                # Servers send raw deflate as "deflate" too, as httpx and browsers accept.
                self._deflate = False
                self._zlib = inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                piece = inflate.decompress(data, _PIECE)
            self._deflate = False
            if piece:
                yield piece
            data = inflate.unconsumed_tail
            # A full piece may leave output inside zlib even once the input is used up.
            if inflate.eof or (not data and len(piece) < _PIECE):
                return


def _framing(response: httpx2.Response) -> tuple[str | None, str]:
    """The Content-Encoding (repeats joined, as httpx2 joins them) and Content-Length
    headers, found in one pass: Headers.get costs a list, and a KeyError when absent."""
    encodings: list[bytes] = []
    length = b""
    for raw_name, value in response.headers.raw:
        name = raw_name.lower()
        if name == b"content-encoding":
            encodings.append(value)
        elif name == b"content-length":
            length = value
    encoding = b", ".join(encodings).decode("latin-1") if encodings else None
    return encoding, length.decode("latin-1")


def _layers(header: str | None) -> list[_Inflate]:
    """The decoders of a body, innermost last; raises Refused for what cannot be decoded."""
    if header is None:
        return []
    encodings = [e.strip().lower() for e in header.split(",") if e.strip().lower() != "identity"]
    if len(encodings) > _MAX_ENCODINGS:
        raise Refused(f"has {len(encodings)} content encodings ({header!r})")
    for encoding in encodings:
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise Refused(f"has a content encoding the SDK does not decode ({encoding!r})")
    # The last encoding listed was applied last, so it is undone first.
    return [_Inflate(encoding) for encoding in reversed(encodings)]


class BodyReader:
    """Feeds one answer's raw body into `sink`, bounded; see the module's docstring.

    `feed(raw)` for each raw chunk, True while more is wanted; then `end()` once the
    body is over. When the sink's limit is passed or the body does not decode, the
    sink's `refuse(problem)` decides: it gives the error to raise, or None to keep
    what arrived, and reading stops (the connection is then closed, not reused).
    """

    __slots__ = ("_deadline", "_layers", "_left", "_response", "_sink", "stopped")

    def __init__(self, response: httpx2.Response, sink: Sink, deadline: Deadline) -> None:
        self._response = response
        self._sink = sink
        self._deadline = deadline
        self._left = sink.limit
        self.stopped = False
        self._layers: list[_Inflate] = []
        encoding, length = _framing(response)
        try:
            self._layers = _layers(encoding)
        except Refused as refused:
            self._stop(str(refused))
            return
        if not self._layers and length.isdigit() and int(length) > self._left:
            # Refused before reading, if the sink refuses; else its first bytes are read.
            error = sink.refuse(self._too_large())
            if error is not None:
                raise error

    def _too_large(self) -> str:
        return f"is larger than the client's max_response_bytes ({self._sink.limit:,} bytes)"

    def _stop(self, problem: str) -> None:
        self.stopped = True
        error = self._sink.refuse(problem)
        if error is not None:
            raise error
        self._sink.done()

    def feed(self, raw: bytes) -> bool:
        """Take one raw chunk; False once reading has stopped (the rest is not wanted)."""
        if self.stopped:
            return False
        if self._deadline.expired():
            raise httpx2.ReadTimeout(
                "the attempt took longer than its timeout", request=self._response.request
            )
        try:
            if self._layers:
                for piece in self._decoded(raw, 0):
                    self._take(piece)
            else:
                self._take(raw)
        except Refused as refused:
            self._stop(str(refused))
        except zlib.error as exc:
            self._stop(f"does not decode as its Content-Encoding says ({exc})")
        return not self.stopped

    def feed_decoded(self, data: bytes) -> bool:
        """Take a whole body httpx2 already read and decoded (see body_in_hand)."""
        if self.stopped:
            return False
        try:
            self._take(data)
        except Refused as refused:
            self._stop(str(refused))
        return not self.stopped

    def _decoded(self, data: bytes, layer: int) -> Iterator[bytes]:
        if layer == len(self._layers):
            yield data
            return
        for piece in self._layers[layer](data):
            yield from self._decoded(piece, layer + 1)

    def _take(self, piece: bytes) -> None:
        self._left -= len(piece)
        if self._left < 0:
            raise Refused(self._too_large())
        self._sink.write(piece)

    def end(self) -> None:
        """The body is over: hand it to the sink (unless reading stopped before)."""
        if not self.stopped:
            self.stopped = True
            self._sink.done()
