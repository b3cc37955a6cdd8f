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
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx2

from ._exceptions import DownloadError, OrqError, SaveError, status_error
from ._retry import RETRY_COUNT_HEADER, RetryConfig, retry_after_seconds
from ._send import PIN_EXTENSION, Action, ErrorBody, Flow, Pin, Resolve, attempts
from ._settings import check_host_and_port

if TYPE_CHECKING:
    from ._send import Body, Sink

MAX_REDIRECTS = 5

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
    # The encodings the SDK decodes (bounded, see _reading), so a server offers no other.
    headers = {"Accept": "image/*", "Accept-Encoding": "gzip, deflate", RETRY_COUNT_HEADER: "0"}
    request = httpx2.Request("GET", url, headers=headers)
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
    """Fetch `url` into `body`, following redirects; returns the final (image) answer.

    Unless link-local addresses are allowed, each hop's host is looked up once,
    within the attempt timeout, and every address it has is checked: a failed
    look-up refuses, as a forbidden address does, and the request carries the
    checked addresses for its connection to use (_pinned_addresses.py).
    """
    current = _checked_url(url)
    if not allow_link_local:
        body = _PeerChecked(body)
    for _ in range(MAX_REDIRECTS + 1):
        request = _request(current, timeout)
        if not allow_link_local:
            request.extensions[PIN_EXTENSION] = yield from _checked_addresses(current, timeout)
        response = yield from attempts(request, retry, body)
        if not response.is_redirect:
            if not response.is_success:
                raise status_error(response, retry_after=retry_after_seconds(response.headers))
            return response
        current = _checked_url(current.join(response.headers["location"]))
    raise DownloadError(f"the image URL redirected more than {MAX_REDIRECTS} times")


def _checked_addresses(url: httpx2.URL, timeout: httpx2.Timeout) -> Generator[Action, Any, Pin]:
    if url.host.lower().rstrip(".") in _METADATA_HOSTS or _forbidden_address(url.host):
        raise _refused(url)
    # The host as the connection gets it: IDNA-encoded, an IPv6 address without brackets.
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    found: list[str] | OSError = yield Resolve(host, port, timeout.read)
    if isinstance(found, OSError):
        raise DownloadError(
            f"refusing to download {_shown(url)}: its host could not be looked up to check "
            f"its addresses ({found})"
        )
    if not found or any(_forbidden_address(address) for address in found):
        raise _refused(url)
    return Pin(host, port, tuple(dict.fromkeys(found)))


class _PeerChecked:
    """Refuses an answer whose connection's peer is a forbidden address, unread.

    The pin decides where the SDK's own connections go. A caller's http_client
    resolves names itself, and a pooled connection may predate the check; so the
    address each answer actually came from is checked too, before its body is read.
    Through a proxy the peer is the proxy.
    """

    def __init__(self, body: Body) -> None:
        self.body = body
        self.limit = body.limit

    def open(self, response: httpx2.Response) -> Sink | None:
        stream = response.extensions.get("network_stream")
        try:
            peer = stream.get_extra_info("server_addr") if stream is not None else None
        except OSError:  # a connection already reset: reading its body fails anyway
            peer = None
        if isinstance(peer, tuple) and peer and _forbidden_address(str(peer[0])):
            raise _refused(response.request.url)
        return self.body.open(response)


class ImageBody:
    """A download's answers: the image into `target`, an error's first bytes into memory."""

    def __init__(self, limit: int, target: Body) -> None:
        self.limit = limit
        self.target = target

    def open(self, response: httpx2.Response) -> Sink | None:
        if response.is_redirect:
            return None
        if not response.is_success:
            return ErrorBody(response, self.limit)
        content_type = response.headers.get("content-type", "")
        if not content_type.lower().startswith("image/"):
            shown = content_type or "no content type"
            raise DownloadError(
                f"the image URL answered with {shown}, not an image "
                f"({_shown(response.request.url)})"
            )
        return self.target.open(response)


def refused(response: httpx2.Response, problem: str) -> DownloadError:
    """The error for an image that is too large or does not decode."""
    return DownloadError(f"the image at {_shown(response.request.url)} {problem}")


class FileBody:
    """The image streamed into an open temporary file, started afresh by each attempt."""

    def __init__(self, file: SavingFile, limit: int) -> None:
        self.file = file
        self.limit = limit

    def open(self, response: httpx2.Response) -> Sink:
        self.file.restart()
        return _FileSink(self.file, self.limit, response)


class _FileSink:
    def __init__(self, file: SavingFile, limit: int, response: httpx2.Response) -> None:
        self._file = file
        self.limit = limit
        self._response = response

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)

    def done(self) -> None:
        self._file.flush()

    def refuse(self, problem: str) -> DownloadError:
        return refused(self._response, problem)


class SavingFile:
    """The temporary file `save()` writes, whose failures are SaveErrors naming `path`."""

    __slots__ = ("_file", "path")

    def __init__(self, file: IO[bytes], path: Path) -> None:
        self._file = file
        self.path = path

    def write(self, data: bytes) -> None:
        with _saving(self.path):
            self._file.write(data)

    def restart(self) -> None:
        """Empty the file, for an attempt that starts the image afresh."""
        with _saving(self.path):
            self._file.seek(0)
            self._file.truncate()

    def flush(self) -> None:
        with _saving(self.path):
            self._file.flush()


@contextlib.contextmanager
def _saving(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if isinstance(exc, OrqError):
            raise
        raise SaveError(exc.errno, f"cannot save the image to {path}: {exc.strerror}") from exc


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[SavingFile]:
    """A temporary file beside `path`, renamed onto it only if the block succeeds.

    On any failure the temporary file is removed and an existing `path` is untouched.
    The temporary name is short (".orq-" and 8 random characters), so that any name
    the file system takes for `path`, up to its 255-byte limit, can be saved; a
    failure to write the file is a SaveError naming `path`, not the temporary file.
    """
    with _saving(path):
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".orq-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            yield SavingFile(file, path)
        with _saving(path):
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@functools.cache
def _umask() -> int:
    # mkstemp makes the file private (0600); the saved image gets the usual permissions.
    current = os.umask(0o022)
    os.umask(current)
    return current
