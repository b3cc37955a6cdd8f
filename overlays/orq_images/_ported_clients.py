"""The http clients a client sends through, under this SDK's names or orq-ai-sdk's.

orq-ai-sdk takes `client=` and `async_client=`; here they are `http_client=` and
`async_http_client=`, and must be httpx2 clients. orq-ai-sdk's names are taken
too, for an httpx2 client; a client from httpx (which this SDK does not use) is
refused, under any name, with the line to write instead.
"""

from __future__ import annotations

import httpx2

from ._exceptions import InvalidRequestError, InvalidRequestTypeError


def _refuse_httpx(name: str, value: object, *, sends_async: bool) -> None:
    kind = type(value).__name__
    module = type(value).__module__
    if module != "httpx" and not module.startswith("httpx."):
        return
    asynchronous = kind.startswith("Async")
    target = "http_client" if sends_async or not asynchronous else "async_http_client"
    raise InvalidRequestTypeError(
        name,
        f"is an httpx.{kind}; this SDK sends through httpx2, the maintained continuation "
        f"of httpx: make it with httpx2.{kind}(...), same arguments, and pass it as {target}=",
    )


def _once(name: str, given: object, alias: str) -> None:
    if given is not None:
        raise InvalidRequestError(
            alias, f"is orq-ai-sdk's name for {name}=, and {name}= is given too: give one"
        )


def http_clients(
    *,
    sends_async: bool,
    http_client: object,
    async_http_client: object,
    client: object,
    async_client: object,
) -> tuple[object, object]:
    """`(http_client, async_http_client)`, with orq-ai-sdk's `client=` and `async_client=`
    folded in; `sends_async` for AsyncOrq, whose http_client is its async one."""
    for name, value in (
        ("http_client", http_client),
        ("async_http_client", async_http_client),
        ("client", client),
        ("async_client", async_client),
    ):
        _refuse_httpx(name, value, sends_async=sends_async)
    if client is not None:
        if sends_async:
            raise InvalidRequestError(
                "client",
                "AsyncOrq sends through an httpx2.AsyncClient, given as http_client= "
                "(orq-ai-sdk's async_client=)",
            )
        if not isinstance(client, httpx2.Client):
            raise InvalidRequestTypeError(
                "client", f"expected an httpx2.Client, got {type(client).__name__}"
            )
        _once("http_client", http_client, "client")
        http_client = client
    if async_client is not None:
        if not isinstance(async_client, httpx2.AsyncClient):
            raise InvalidRequestTypeError(
                "async_client", f"expected an httpx2.AsyncClient, got {type(async_client).__name__}"
            )
        if sends_async:
            _once("http_client", http_client, "async_client")
            http_client = async_client
        else:
            _once("async_http_client", async_http_client, "async_client")
            async_http_client = async_client
    return http_client, async_http_client
