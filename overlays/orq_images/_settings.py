"""A client's settings, checked once when the client is made.

The API key and the base URL are the two values users most often paste with a
stray newline or with something that does not belong in them. Both are cleaned
of surrounding whitespace; what is still wrong is refused here, with a message
that never shows the key or a password, rather than failing later inside httpx
(whose error would quote the header, key included).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2

from ._api_key import ApiKey
from ._exceptions import InvalidRequestError, InvalidRequestTypeError, OrqError
from ._retry import RetryConfig, is_orq_ai_sdk_retry_config
from ._spec import default_base_url
from ._version import __version__

DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=5.0)
DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024
USER_AGENT = f"orq-images/{__version__} python"
# The headers the SDK sets on each API request besides the key (see _api_key.py).
SDK_HEADERS = (
    (b"Accept", b"application/json"),
    # What the SDK decodes itself, bounded (see _reading); httpx2 would offer brotli and
    # zstd too when they happen to be installed.
    (b"Accept-Encoding", b"gzip, deflate"),
    (b"User-Agent", USER_AGENT.encode("ascii")),
)
_MAX_PORT = 65535


@dataclass(frozen=True)
class ClientSettings:
    """What every request of one client shares. The key is kept out of repr.

    `max_response_bytes` bounds every answer the SDK reads, after decompression:
    API responses and image downloads alike.
    """

    api_key: ApiKey = field(repr=False)
    base_url: str
    timeout: httpx2.Timeout
    retry: RetryConfig
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    allow_link_local_urls: bool = False


def check_base_url(value: object, what: str = "server_url") -> str:
    """A base URL without surrounding whitespace: http or https, a host, nothing else.

    Credentials would replace the Bearer key with Basic auth (and show a password
    in errors and logs); a query or fragment would be glued to every path.
    Raises InvalidRequestError naming `what`.
    """
    if not isinstance(value, str):
        raise InvalidRequestError(what, f"must be a string URL, got {type(value).__name__}")
    text = value.strip()
    if not text.lower().startswith(("http://", "https://")):
        raise InvalidRequestError(what, f"must start with http:// or https://, got {_safe(text)!r}")
    try:
        url = httpx2.URL(text)
    except httpx2.InvalidURL as exc:
        raise InvalidRequestError(what, f"is not a valid URL ({exc})") from None
    if url.userinfo:
        raise InvalidRequestError(
            what,
            "must not contain credentials (user:password@); the API key goes in "
            f"api_key or ORQ_API_KEY (got {_safe(text)!r})",
        )
    # Not shown: a query may carry a token.
    if url.query or "?" in text:
        raise InvalidRequestError(what, "must not have a query (?...): give the base URL only")
    if url.fragment or "#" in text:
        raise InvalidRequestError(what, "must not have a fragment (#...): give the base URL only")
    if not url.host:
        raise InvalidRequestError(what, f"has no host: {_safe(text)!r}")
    check_host_and_port(url, lambda problem: InvalidRequestError(what, problem))
    return text.rstrip("/")


def check_host_and_port(url: httpx2.URL, error: Callable[[str], OrqError]) -> None:
    """Refuses what httpx2 parses but no connection can use.

    httpx2 keeps a port outside 0-65535 (the socket layer would wrap 99999 round
    to 34463, or fail deep inside an async backend) and percent-encodes a space in
    a host name into a name no resolver answers.
    """
    port = url.port
    if port is not None and not 0 < port <= _MAX_PORT:
        raise error(f"has port {port}; a port is a number from 1 to {_MAX_PORT}")
    if "%" in url.host:
        raise error(f"has a space or another character no host name holds: {url.host!r}")


def _safe(text: str) -> str:
    """`text` with anything between :// and @ hidden: it may hold a password."""
    scheme, separator, rest = text.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return scheme + separator + authority + slash + path


def make_settings(
    *,
    api_key: ApiKey,
    server_url: str | None,
    timeout: httpx2.Timeout,
    retry_config: RetryConfig | None,
    max_response_bytes: int,
    allow_link_local_urls: bool,
) -> ClientSettings:
    api_key.check()
    if server_url is not None:
        base_url = check_base_url(server_url)
    elif os.environ.get("ORQ_BASE_URL", "").strip():
        base_url = check_base_url(os.environ["ORQ_BASE_URL"], "ORQ_BASE_URL")
    else:
        base_url = default_base_url()  # the spec's first server
    if is_orq_ai_sdk_retry_config(retry_config):
        from .utils import converted  # noqa: PLC0415 - only ported code needs it

        retry_config = converted(retry_config)
    if retry_config is not None and not isinstance(retry_config, RetryConfig):
        raise InvalidRequestTypeError(
            "retry_config", f"expected a RetryConfig, got {type(retry_config).__name__}"
        )
    if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
        raise InvalidRequestTypeError(
            "max_response_bytes", f"expected a whole number of bytes, got {max_response_bytes!r}"
        )
    if max_response_bytes < 1:
        raise InvalidRequestError(
            "max_response_bytes", f"must be positive, got {max_response_bytes}"
        )
    return ClientSettings(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        retry=retry_config or RetryConfig(),
        max_response_bytes=max_response_bytes,
        allow_link_local_urls=bool(allow_link_local_urls),
    )
