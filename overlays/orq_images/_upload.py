"""Turn every form the caller may give an image in into one checked upload part.

`prepare_image` accepts a path, bytes-like data, a binary file object, a
`(filename, content[, content_type])` tuple, the `{file_name, content, content_type}`
dict of orq's official SDK, or a `File`. It checks the image
before anything is sent (exists, not empty, within the spec's `x-max-bytes`, of a content
type the operation's multipart `encoding` lists: PNG, JPEG or WEBP)
and returns an `ImagePart` that can produce the same bytes for every attempt of a
request without holding a path's or a file's content in memory.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, Protocol

from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._send import Chunk
from ._spec import FileRule

# One read from a file, and the slices of a buffer that is not `bytes` (each slice is
# copied once on its way to the socket). Few chunks keep the per-chunk work of the
# HTTP stack off large uploads; at most two are alive at once, so an upload from a
# path or a file adds about 1 MB of memory whatever its size.
CHUNK_SIZE = 512 * 1024

# Enough to tell the three formats apart: WEBP needs 12 bytes (RIFF, size, WEBP).
_HEAD_BYTES = 16
_SHOWN_BYTES = 8
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp"})
_DICT_KEYS = ("file_name", "content", "content_type")
_ACCEPTED = (
    "a path, bytes, a binary file object, a (filename, content[, content_type]) tuple "
    "or a {'file_name', 'content', 'content_type'} dict"
)


@dataclass
class File:
    """An image to upload with its file name and content type, as some callers already hold one."""

    payload: IO[bytes]
    file_name: str | None = None
    mime_type: str | None = None


ImageInput = (
    str
    | os.PathLike[str]
    | bytes
    | bytearray
    | memoryview
    | IO[bytes]
    | tuple[str, Any]
    | tuple[str, Any, str]
    | Mapping[str, Any]
    | File
)
"""Every form an image to upload may take (see prepare_image)."""


class _Source(Protocol):
    def chunks(self) -> Iterator[Chunk]: ...


@dataclass(frozen=True)
class ImagePart:
    """A checked image, ready to be sent as a multipart file part any number of times.

    `content_type` is sniffed from the bytes; `filename` always ends in an image
    extension; `chunks()` starts a fresh pass over exactly `size` bytes.
    """

    field: str
    filename: str
    content_type: str
    size: int
    source: _Source = dataclasses.field(repr=False)

    def chunks(self) -> Iterator[Chunk]:
        return self.source.chunks()


def sniff_image_type(head: bytes) -> str | None:
    """The image media type the leading bytes announce, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def prepare_image(value: object, *, field: str, rule: FileRule) -> ImagePart:  # noqa: PLR0911
    """Check `value` and describe it as an upload part; raise before anything is sent.

    Raises InvalidRequestTypeError for a value of an unsupported type and
    InvalidRequestError for a missing, empty, oversized or non-image file; both
    carry `field` and name the file.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return _from_buffer(value, None, field, rule)
    if isinstance(value, str | os.PathLike):
        return _from_path(value, field, rule)
    if isinstance(value, tuple):
        return _from_tuple(value, field, rule)
    if isinstance(value, Mapping):
        return _from_mapping(value, field, rule)
    if isinstance(value, File):
        return _from_content(value.payload, value.file_name, value.mime_type, field, rule)
    if callable(getattr(value, "read", None)):
        return _from_file(value, None, field, rule)
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidRequestTypeError(
            field, f"expected {_ACCEPTED}, got {_describe(value)}"
        ) from None
    # Any other buffer (array.array, a numpy array from an image encoder) is sent as is.
    return _from_buffer(view, None, field, rule)


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


# A caller-given content type is only type-checked, never sent: the part always carries
# the type sniffed from the bytes. The bytes are what the server decodes, and a wrong
# label (a copied "image/png" on a JPEG, or "application/octet-stream") only gets a
# valid image rejected; refusing such an upload would break a call that can succeed.
def _from_tuple(value: tuple[object, ...], field: str, rule: FileRule) -> ImagePart:
    if len(value) not in (2, 3):
        raise InvalidRequestTypeError(
            field,
            f"a tuple must be (filename, content) or (filename, content, content_type), "
            f"got {len(value)} items",
        )
    filename, content = value[0], value[1]
    content_type = value[2] if len(value) == 3 else None
    return _from_content(content, filename, content_type, field, rule)


def _from_mapping(value: Mapping[Any, object], field: str, rule: FileRule) -> ImagePart:
    unknown = sorted(repr(key) for key in value if key not in _DICT_KEYS)
    if unknown:
        raise InvalidRequestError(
            field,
            f"unknown key {', '.join(unknown)}; an image dict takes "
            "'file_name', 'content' and 'content_type'",
        )
    if "content" not in value:
        raise InvalidRequestError(f"{field}.content", "is required: the image bytes or file")
    content, filename = value["content"], value.get("file_name")
    return _from_content(content, filename, value.get("content_type"), field, rule)


def _from_content(
    content: object, filename: object, content_type: object, field: str, rule: FileRule
) -> ImagePart:
    if filename is not None and not isinstance(filename, str):
        raise InvalidRequestTypeError(
            field, f"the file name must be a string, got {_describe(filename)}"
        )
    if content_type is not None and not isinstance(content_type, str):
        raise InvalidRequestTypeError(
            field, f"the content type must be a string, got {_describe(content_type)}"
        )
    if isinstance(content, bytes | bytearray | memoryview):
        return _from_buffer(content, filename, field, rule)
    if not isinstance(content, str | os.PathLike) and callable(getattr(content, "read", None)):
        return _from_file(content, filename, field, rule)
    raise InvalidRequestTypeError(
        field,
        f"the content of {filename or 'the image'} must be bytes or a binary file object, "
        f"got {_describe(content)}; pass a path on its own, as {field}=path",
    )


def _from_path(value: str | os.PathLike[Any], field: str, rule: FileRule) -> ImagePart:
    path = os.fsdecode(value)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        hint = " (URLs are not fetched; pass the image's bytes)" if "://" in path else ""
        raise InvalidRequestError(field, f"no such file: {path}{hint}") from None
    except OSError as exc:
        raise InvalidRequestError(field, f"cannot read {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidRequestError(field, f"{path} is a directory, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidRequestError(field, f"{path} is not a regular file")
    _check_size(info.st_size, path, field, rule)
    try:
        with open(path, "rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError as exc:
        raise InvalidRequestError(field, f"cannot read {path}: {exc.strerror}") from None
    source = _PathSource(path, info.st_size, _stamp(info), field)
    return _part(field, rule, path, os.path.basename(path), head, size=info.st_size, source=source)


def _from_buffer(
    value: bytes | bytearray | memoryview,
    filename: str | None,
    field: str,
    rule: FileRule,
    label: str | None = None,
) -> ImagePart:
    view = memoryview(value)
    if not view.c_contiguous:
        # Slicing needs one flat run of bytes; a strided view is the one case copied.
        view = memoryview(view.tobytes())
    view = view.cast("B")
    label = label or filename or "the image data"
    _check_size(view.nbytes, label, field, rule)
    head = bytes(view[:_HEAD_BYTES])
    source = _BufferSource(view)
    return _part(field, rule, label, filename, head, size=view.nbytes, source=source)


def _from_file(file: Any, filename: str | None, field: str, rule: FileRule) -> ImagePart:
    label = filename or _file_label(file)
    if isinstance(file, io.TextIOBase):
        raise _text_mode(label, field)
    if getattr(file, "closed", False):
        raise InvalidRequestError(field, f"{label} is closed")
    name = filename or _basename(getattr(file, "name", None))
    if not _seekable(file):
        # A pipe or socket can be read only once, but every attempt must send the same
        # bytes: keep them in memory, reading no further than the size limit allows.
        data = _read_at_most(file, rule.max_bytes, label, field)
        if rule.max_bytes is not None and len(data) > rule.max_bytes:
            raise InvalidRequestError(
                field, f"{label} is larger than the limit of {rule.max_bytes:,} bytes"
            )
        return _from_buffer(data, name, field, rule, label)
    start = file.tell()
    file.seek(0, os.SEEK_END)
    size = max(file.tell() - start, 0)
    file.seek(start)
    _check_size(size, label, field, rule)
    head = file.read(_HEAD_BYTES)
    file.seek(start)
    if not isinstance(head, bytes | bytearray):
        raise _text_mode(label, field)
    source = _FileSource(file, start, size, label, field)
    return _part(field, rule, label, name, bytes(head), size=size, source=source)


def _file_label(file: object) -> str:
    name = getattr(file, "name", None)
    if isinstance(name, str | bytes | os.PathLike):
        return os.fsdecode(name)
    return "the image file object"


def _basename(name: object) -> str | None:
    if isinstance(name, str | bytes | os.PathLike):
        return os.path.basename(os.fsdecode(name)) or None
    return None  # os.fdopen() files are named by their descriptor number


def _seekable(file: object) -> bool:
    seekable = getattr(file, "seekable", None)
    return bool(seekable()) if callable(seekable) else False


def _text_mode(label: str, field: str) -> InvalidRequestTypeError:
    return InvalidRequestTypeError(
        field, f"{label} is open in text mode; open it in binary mode ('rb')"
    )


def _read_at_most(file: Any, limit: int | None, label: str, field: str) -> bytearray:
    """The file's bytes, but no more than one past `limit` (None: no limit)."""
    data = bytearray()
    stop = math.inf if limit is None else limit + 1
    while len(data) < stop:
        chunk = file.read(int(min(CHUNK_SIZE, stop - len(data))))
        if not chunk:
            break
        if not isinstance(chunk, bytes | bytearray):
            raise _text_mode(label, field)
        data += chunk
    return data


def _check_size(size: int, label: str, field: str, rule: FileRule) -> None:
    if size == 0:
        raise InvalidRequestError(field, f"{label} is empty")
    if rule.max_bytes is not None and size > rule.max_bytes:
        raise InvalidRequestError(
            field,
            f"{label} is {size / 2**20:.1f} MB ({size:,} bytes); "
            f"the limit is {rule.max_bytes:,} bytes",
        )


def _part(
    field: str,
    rule: FileRule,
    label: str,
    filename: str | None,
    head: bytes,
    *,
    size: int,
    source: _Source,
) -> ImagePart:
    content_type = sniff_image_type(head)
    if content_type not in rule.content_types:
        raise InvalidRequestError(
            field, f"{label} is not {rule.kinds()} (starts with {head[:_SHOWN_BYTES]!r})"
        )
    name = _with_extension(filename and _sendable(filename), content_type)
    return ImagePart(field, name, content_type, size, source)


def _sendable(filename: str) -> str:
    """The name as a part header can carry it: UTF-8, so no lone surrogate.

    A name read from a file system that is not UTF-8 holds each byte it could not
    decode as a lone surrogate (errors="surrogateescape"): that byte goes
    percent-encoded, as RFC 7578 section 4.2 allows (b"caf\\xe9.png" is sent as
    "caf%E9.png"); any other lone surrogate becomes U+FFFD.
    """
    if filename.isascii():
        return filename
    return "".join(
        f"%{ord(char) - 0xDC00:02X}"
        if "\udc80" <= char <= "\udcff"
        else "\ufffd"
        if "\ud800" <= char <= "\udfff"
        else char
        for char in filename
    )


def _with_extension(filename: str | None, content_type: str) -> str:
    # A name with an image extension is kept even when it names another image format:
    # the part's Content-Type is the sniffed one, and that is what servers go by. Any
    # other name gets the sniffed type's extension, for servers that look at names.
    name = filename or "image"
    if os.path.splitext(name)[1].lower() in _IMAGE_SUFFIXES:
        return name
    return name + _EXTENSIONS[content_type]


def _read_exactly(file: Any, size: int, on_short: InvalidRequestError) -> Iterator[Chunk]:
    remaining = size
    while remaining > 0:
        chunk = file.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise on_short
        remaining -= len(chunk)
        yield chunk


def _stamp(info: os.stat_result) -> tuple[int, ...]:
    # Any write changes the change time (ctime), which, unlike the modification
    # time, no program can set back; the inode and device tell a replaced file.
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


@dataclass(frozen=True)
class _PathSource:
    """Opened afresh for every attempt, so only one chunk is in memory at a time.

    Every attempt must send the bytes that were checked. The file's size, times,
    inode and device are compared with those it had when it was checked, once
    it is opened and again after its last byte is read, before the body's closing
    boundary: a file gone, replaced or written to in between is refused, and a
    request whose image changed mid-way is cut off, so no server takes it as whole.
    """

    path: str
    size: int
    stamp: tuple[int, ...]
    field: str

    def chunks(self) -> Iterator[Chunk]:
        try:
            file = open(self.path, "rb")  # noqa: SIM115 - closed below, after the last chunk
        except OSError as exc:
            raise InvalidRequestError(
                self.field, f"cannot read {self.path} to send it again: {exc.strerror}"
            ) from None
        with file:
            opened = os.fstat(file.fileno())
            if _stamp(opened) != self.stamp:
                raise self._changed("after it was checked", opened)
            yield from _read_exactly(file, self.size, self._changed("while it was being sent"))
            ended = os.fstat(file.fileno())
            if _stamp(ended) != self.stamp:
                raise self._changed("while it was being sent; the request was cut off", ended)

    def _changed(self, when: str, now: os.stat_result | None = None) -> InvalidRequestError:
        sizes = f"{self.size:,} bytes when checked"
        if now is not None:
            sizes += f", {now.st_size:,} bytes now"
        return InvalidRequestError(self.field, f"{self.path} changed {when} ({sizes})")


@dataclass(frozen=True)
class _FileSource:
    """The caller's file object, read from the position it had when it was given.

    It is never closed here: it belongs to the caller.
    """

    file: Any
    start: int
    size: int
    label: str
    field: str

    def chunks(self) -> Iterator[Chunk]:
        if getattr(self.file, "closed", False):
            raise InvalidRequestError(self.field, f"{self.label} was closed before it was sent")
        self.file.seek(self.start)
        yield from _read_exactly(
            self.file,
            self.size,
            InvalidRequestError(
                self.field,
                f"{self.label} got shorter than its {self.size:,} bytes before it was sent",
            ),
        )


@dataclass(frozen=True)
class _BufferSource:
    """The caller's own buffer: `bytes` go out whole, anything else in slices.

    `bytes` are what the HTTP stack passes to the socket as they are (h11 joins a
    single bytes object without copying it), so the image is never copied and its
    whole length is one write; a slice of another buffer is copied once on its way.
    """

    view: memoryview

    def chunks(self) -> Iterator[Chunk]:
        whole = self.view.obj
        if type(whole) is bytes and len(whole) == self.view.nbytes:
            yield whole
            return
        for start in range(0, self.view.nbytes, CHUNK_SIZE):
            yield self.view[start : start + CHUNK_SIZE]
