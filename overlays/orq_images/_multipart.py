"""The multipart/form-data body of an upload request (variations, edits), streamed.

`form_fields` turns a checked request dict into text fields the way the API reads
them: each nested object or array is one field of JSON text (a list the spec
marks `explode: true` goes as repeated `name[]` fields), whole numbers have no
".0", booleans are `true`/`false`, None is left out. `MultipartStream` is the body:
an httpx stream with an exact Content-Length that yields the same bytes every time
it is iterated, so a retry can send it again, and that never holds a whole image in
memory (paths and files are read a chunk at a time, bytes are never copied).
Small pieces are joined into socket writes of up to WRITE_SIZE (128 KiB): a small
upload goes out in one write; a large one in few, large chunks (bytes whole, files
in CHUNK_SIZE reads), each one pass through the HTTP stack.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import AsyncIterator, Collection, Iterator, Mapping
from typing import cast

import httpx2

from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._send import WRITE_SIZE, Chunk, sliced
from ._upload import CHUNK_SIZE, ImagePart

_CRLF = b"\r\n"


def form_fields(
    body: Mapping[str, object], exploded: Collection[str] = frozenset()
) -> list[tuple[str, str]]:
    """The text form fields for a wire-form request dict, in its order; None is not sent.

    A list in a field of `exploded` (the spec's `style: form, explode: true`) goes as
    repeated `name[]` fields, one item each, as orq-ai-sdk sends it; an empty one is
    not sent (it means the default, as an absent field does).
    """
    fields: list[tuple[str, str]] = []
    for name, value in body.items():
        if value is None:
            continue
        if name in exploded and isinstance(value, list | tuple):
            fields += [
                (encodable(f"{name}[]", name), _field_text(item, f"{name}[{index}]"))
                for index, item in enumerate(value)
            ]
        else:
            fields.append((encodable(name, name), _field_text(value, name)))
    return fields


def encodable(text: str, path: str) -> str:
    """`text`, if UTF-8 can encode it; else InvalidRequestError naming `path`.

    Only a lone surrogate cannot be encoded: text decoded with errors="surrogateescape"
    (a file name or an environment variable that is not UTF-8) or cut between the two
    halves of a UTF-16 pair.
    """
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            code = ord(text[exc.start])
            raise InvalidRequestError(
                path,
                f"holds a lone surrogate (U+{code:04X}) at position {exc.start + 1}, which "
                "UTF-8 cannot encode; it comes from text decoded with "
                "errors='surrogateescape' or cut mid-character",
            ) from None
    return text


def _field_text(value: object, path: str) -> str:
    if isinstance(value, str):
        return encodable(value, path)
    # Numbers, booleans, objects and arrays all go as compact JSON text. It is ASCII
    # only, so it reads the same whatever charset a parser assumes for the part.
    return json.dumps(json_ready(value, path), separators=(",", ":"))


def json_ready(value: object, path: str) -> object:
    """`value` with whole floats as ints, checked to be JSON; errors name the nested field."""
    if isinstance(value, str):
        return encodable(value, path)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequestError(path, f"must be a finite number, got {value}")
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        ready = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRequestTypeError(path, f"object keys must be strings, got {key!r}")
            ready[encodable(key, path)] = json_ready(item, f"{path}.{key}")
        return ready
    if isinstance(value, list | tuple):
        return [json_ready(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise InvalidRequestTypeError(
        path, f"cannot be sent in a form: {type(value).__name__} is not a JSON value"
    )


def _quote(text: str) -> str:
    # RFC 7578 section 4.2 and the HTML form encoding: names and filenames go as UTF-8
    # inside quotes, with the three characters that could end the quoted string or
    # the header line percent-encoded.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _part_head(
    boundary: str, name: str, filename: str | None = None, content_type: str | None = None
) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{_quote(name)}"'
    if filename is not None:
        disposition += f'; filename="{_quote(filename)}"'
    lines = [f"--{boundary}", disposition]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _new_boundary() -> str:
    return secrets.token_hex(16)


def _unused_boundary(texts: list[str]) -> str:
    # 128 random bits already make a collision with the request's text a non-event;
    # checking costs microseconds and makes injection impossible rather than unlikely.
    # Image bytes are not scanned: that would mean reading every file one extra time.
    while True:
        boundary = _new_boundary()
        if not any(boundary in text for text in texts):
            return boundary


class MultipartStream(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A multipart/form-data request body: text fields first, then the files.

    `content_headers` are the raw Content-Type, with this body's random boundary, and
    the exact Content-Length. Iterating again (sync or async) yields identical bytes.
    """

    def __init__(self, fields: list[tuple[str, str]], files: list[tuple[str, ImagePart]]) -> None:
        texts = [text for pair in fields for text in pair]
        texts += [text for name, part in files for text in (name, part.filename)]
        self.boundary = _unused_boundary(texts)
        # Text fields go as plain parts with no Content-Type of their own, JSON ones
        # included: that is how the API reference's curl example and every browser send
        # them; RFC 7578 makes a field part's Content-Type optional; and parsers, Hono's
        # included, tell fields from files by the filename, so a JSON label adds nothing
        # the server uses while plain parts pass any proxy or parser on the way.
        text = b"".join(
            _part_head(self.boundary, name) + value.encode() + _CRLF for name, value in fields
        )
        # Runs of prepared bytes alternate with images, so each image's chunks stream
        # straight from its source and everything else is built once.
        self._pieces: list[bytes | ImagePart] = []
        for name, part in files:
            head = _part_head(self.boundary, name, part.filename, part.content_type)
            self._pieces += [text + head, part]
            text = _CRLF
        self._pieces.append(text + f"--{self.boundary}--\r\n".encode())
        length = sum(p.size if isinstance(p, ImagePart) else len(p) for p in self._pieces)
        self.content_headers = [
            (b"Content-Type", f"multipart/form-data; boundary={self.boundary}".encode("ascii")),
            (b"Content-Length", str(length).encode("ascii")),
        ]

    def _pieces_and_chunks(self) -> Iterator[Chunk]:
        for piece in self._pieces:
            if isinstance(piece, ImagePart):
                yield from piece.chunks()
            else:
                yield piece

    def _chunks(self) -> Iterator[Chunk]:
        return _coalesced(self._pieces_and_chunks(), WRITE_SIZE)

    def __iter__(self) -> Iterator[bytes]:
        # Image chunks from bytes are memoryview slices of the caller's buffer. httpx
        # types chunks as bytes, but what it passes them to (h11, which joins them into
        # its output, and socket writes) takes any buffer.
        return cast(Iterator[bytes], self._chunks())

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An async transport copies what the socket does not take at once into its own
        # buffer: a whole 40 MB image would be copied, a slice of it only.
        return _AsyncChunks(cast(Iterator[bytes], sliced(self._chunks(), CHUNK_SIZE)))


def _coalesced(chunks: Iterator[Chunk], size: int) -> Iterator[Chunk]:
    """The chunks, runs of small ones joined into one of up to `size` bytes.

    Each chunk becomes one socket write; a 100 KB image would otherwise go out as
    its part head, the image and the closing boundary: three system calls (and on
    loopback three passes through the TCP stack) where one does. A chunk of `size`
    or more passes as it is, uncopied, and at once: holding it until the next one
    is read would keep one more chunk of a file in memory.
    """
    run: list[Chunk] = []
    run_bytes = 0
    for chunk in chunks:
        if run and run_bytes + len(chunk) > size:
            yield run[0] if len(run) == 1 else b"".join(run)
            run, run_bytes = [], 0
        if len(chunk) >= size:  # nothing can join it (the run is empty here)
            yield chunk
            continue
        run.append(chunk)
        run_bytes += len(chunk)
    if run:
        yield run[0] if len(run) == 1 else b"".join(run)


class _AsyncChunks:
    """The sync chunks, handed out one per await.

    A chunk is at most one CHUNK_SIZE read from a local file, and the transport awaits
    the socket between chunks, so the event loop is never held longer than one read.
    A plain iterator rather than an async generator: an abandoned send then closes
    its file as soon as it is dropped, not whenever the loop finalizes generators.
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None
