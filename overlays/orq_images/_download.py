"""Fetching an image a response names by `url`, safely.

An image URL comes from the server's answer, so it is treated as untrusted:
- only http and https; link-local and cloud-metadata addresses (169.254.0.0/16,
  fe80::/10, metadata.google.internal, ...) are refused unless the client allows
  them; loopback stays allowed, for local routers;
- redirects are followed, each hop checked the same way, at most MAX_REDIRECTS;
- no request carries the API key or the http_client's auth;
- the answer must say it is an image, and may not be larger than the client's
  `max_response_bytes`;
- the body streams into its sink (a temporary file beside the target, renamed into
  place once complete, or one in-memory buffer), so memory stays flat.

`download()` is a flow (see _send.py): it runs on the sync and the async client alike.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx2

from ._exceptions import DownloadError, OrqError, SaveError, status_error
from ._httpx2_internals import set_body
from ._retry import RetryConfig, retry_after_seconds
from ._send import Flow, Resolve, attempts
from ._settings import check_host_and_port

if TYPE_CHECKING:
    from ._send import Body, Sink

MAX_REDIRECTS = 5
# An error answer is read only to say what went wrong.
_ERROR_BODY_LIMIT = 64 * 1024

# Names that reach a cloud provider's instance metadata service, whatever they resolve to.
_METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
# Metadata services outside the link-local ranges: AWS over IPv6, Alibaba Cloud.
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)


def _forbidden_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.split("%", maxsplit=1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_link_local or address in _METADATA_ADDRESSES


def _checked_url(url: str | httpx2.URL) -> httpx2.URL:
    try:
        parsed = httpx2.URL(url)
    except httpx2.InvalidURL as exc:
        raise DownloadError(f"the image URL is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DownloadError(f"the image URL must be http or https, got {_shown(parsed)}")
    check_host_and_port(parsed, lambda problem: DownloadError(f"the image URL {problem}"))
    return parsed


def _shown(url: httpx2.URL) -> str:
    """The URL for messages: no credentials, no query (presigned URLs carry secrets there)."""
    return str(url.copy_with(username=None, password=None, query=None, fragment=None))


def _refused(url: httpx2.URL) -> DownloadError:
    return DownloadError(
        f"refusing to download {_shown(url)}: it points at a link-local or cloud-metadata "
        "address; pass allow_link_local_urls=True to the client if that is intended"
    )


def _request(url: httpx2.URL, timeout: httpx2.Timeout) -> httpx2.Request:
    request = httpx2.Request("GET", url, headers={"Accept": "image/*"})
    request.extensions = {"timeout": timeout.as_dict()}
    return request


def download(
    url: str,
    body: Body,
    *,
    timeout: httpx2.Timeout,
    retry: RetryConfig,
    allow_link_local: bool,
) -> Flow:
    """Fetch `url` into `body`, following redirects; returns the final (image) answer."""
    current = _checked_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        if not allow_link_local:
            port = current.port or (443 if current.scheme == "https" else 80)
            if current.host.lower().rstrip(".") in _METADATA_HOSTS or _forbidden_address(
                current.host
            ):
                raise _refused(current)
            found: list[str] = yield Resolve(current.host, port)
            if any(_forbidden_address(address) for address in found):
                raise _refused(current)
        response = yield from attempts(_request(current, timeout), retry, body)
        if not response.is_redirect:
            if not response.is_success:
                raise status_error(response, retry_after=retry_after_seconds(response.headers))
            return response
        current = _checked_url(current.join(response.headers["location"]))
    raise DownloadError(f"the image URL redirected more than {MAX_REDIRECTS} times")


class ImageBody:
    """A download's answers: the image into `target`, an error's first bytes into memory."""

    def __init__(self, limit: int, target: Body) -> None:
        self.limit = limit
        self.target = target

    def open(self, response: httpx2.Response) -> Sink | None:
        if response.is_redirect:
            return None
        if not response.is_success:
            return _ErrorSink(response)
        content_type = response.headers.get("content-type", "")
        if not content_type.lower().startswith("image/"):
            shown = content_type or "no content type"
            raise DownloadError(
                f"the image URL answered with {shown}, not an image "
                f"({_shown(response.request.url)})"
            )
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            raise too_large(response, self.limit)
        return self.target.open(response)


def too_large(response: httpx2.Response, limit: int) -> DownloadError:
    return DownloadError(
        f"the image at {_shown(response.request.url)} is larger than the client's "
        f"max_response_bytes ({limit:,} bytes)"
    )


class _ErrorSink:
    """An error answer's first bytes are enough for its message; the rest is dropped."""

    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self._kept = bytearray()

    def write(self, chunk: bytes) -> None:
        room = _ERROR_BODY_LIMIT - len(self._kept)
        if room > 0:
            self._kept += chunk[:room]

    def done(self) -> None:
        set_body(self._response, bytes(self._kept))


class FileBody:
    """The image streamed into an open temporary file, started afresh by each attempt."""

    def __init__(self, file: IO[bytes], limit: int) -> None:
        self.file = file
        self.limit = limit

    def open(self, response: httpx2.Response) -> Sink:
        self.file.seek(0)
        self.file.truncate()
        return _FileSink(self.file, self.limit, response)


class _FileSink:
    def __init__(self, file: IO[bytes], limit: int, response: httpx2.Response) -> None:
        self._file = file
        self._limit = limit
        self._response = response
        self._written = 0

    def write(self, chunk: bytes) -> None:
        self._written += len(chunk)
        if self._written > self._limit:
            raise too_large(self._response, self._limit)
        self._file.write(chunk)

    def done(self) -> None:
        self._file.flush()


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `path`, renamed onto it only if the block succeeds.

    On any failure the temporary file is removed and an existing `path` is untouched.
    The temporary name is short (".orq-" and 8 random characters), so that any name
    the file system takes for `path`, up to its 255-byte limit, can be saved; a
    failure to write the file is a SaveError naming `path`, not the temporary file.
    """
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".orq-", suffix=".part")
        with os.fdopen(fd, "wb") as file:
            yield file
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as exc:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, OrqError):
            raise SaveError(exc.errno, f"cannot save the image to {path}: {exc.strerror}") from exc
        raise


@functools.cache
def _umask() -> int:
    # mkstemp makes the file private (0600); the saved image gets the usual permissions.
    current = os.umask(0o022)
    os.umask(current)
    return current
