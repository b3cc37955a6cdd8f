"""SDK calls leave no cookies, and send none.

The API authenticates with the key, and image URLs point at hosts nobody vouches
for. A jar would keep every cookie any answer sets, for ever (they pile up: an
answer can set dozens), and offer them to those hosts.

- The SDK's own clients have no jar (`NoCookies`): nothing stored, sent or even parsed.
- A caller's `http_client` keeps its jar for its own requests. SDK requests are
  built by the SDK, so they carry none of its cookies; and whatever cookies an
  SDK call's answer sets are taken back out of its jar as soon as that answer's
  headers are in (`take_back`), since httpx2 stores them unconditionally.
"""

from __future__ import annotations

import contextlib
from http.cookiejar import Cookie, CookieJar
from typing import Any

import httpx2

from ._httpx2_internals import cookies_set_by


class _EmptyJar(CookieJar):
    """A cookie jar that never holds a cookie."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


class NoCookies(httpx2.Cookies):
    """The cookies of the SDK's own clients: none stored, none sent, nothing parsed."""

    def __init__(self) -> None:
        super().__init__(_EmptyJar())

    def extract_cookies(self, response: httpx2.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx2.Request) -> None:
        return None


def take_back(cookies: httpx2.Cookies, response: httpx2.Response) -> None:
    """Remove from `cookies` what `response`, an SDK call's answer, set in it."""
    if isinstance(cookies, NoCookies) or "set-cookie" not in response.headers:
        return  # the SDK's own client, checked first: it is the common case
    jar = cookies.jar
    for cookie in cookies_set_by(jar, response):
        with contextlib.suppress(KeyError):  # not there: the jar's policy refused it
            jar.clear(cookie.domain, cookie.path, cookie.name)
