"""The package index an upload goes to, the login for it, and what it already holds.

An index takes each file once: re-uploading a version fails half-way or, worse,
on some indexes replaces it. So before anything is built, the index's simple page
(PEP 503) is read and a version it already lists is refused.

The login is found by twine's own code, the way `twine upload --non-interactive`
finds it: TWINE_USERNAME and TWINE_PASSWORD, else the `~/.pypirc` section (or the
user:password in --repository-url), else keyring when it is installed. The same
login uploads and reads the simple page, which is first asked for without one
(PyPI's needs none) and again with it when the index answers 401.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from twine import auth, exceptions
from twine.utils import (
    DEFAULT_CONFIG_FILE,
    RepositoryConfig,
    get_repository_from_config,
    sanitize_url,
)

PROJECT = "orq-images"
CREDENTIALS = "TWINE_USERNAME and TWINE_PASSWORD, a ~/.pypirc section or keyring"
_MAX_PAGE = 16 * 1024 * 1024
"""Bytes of a simple page read at most: thousands of releases' links fit in far less."""


@dataclass(frozen=True)
class Login:
    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        """The HTTP Basic `Authorization` header value."""
        pair = f"{self.username}:{self.password}".encode()
        return f"Basic {base64.b64encode(pair).decode('ascii')}"


@dataclass(frozen=True)
class Index:
    upload_url: str
    """Where twine uploads: `https://upload.pypi.org/legacy/`, a local index's root..."""
    login: Login | None = None
    """None when no source holds one; an upload then is refused before building."""

    @classmethod
    def resolve(
        cls,
        repository: str,
        repository_url: str | None,
        environ: Mapping[str, str] = os.environ,
    ) -> Index:
        """The index a `~/.pypirc` name or an explicit upload URL points at, and its
        login, both as twine reads them."""
        try:
            config = get_repository_from_config(DEFAULT_CONFIG_FILE, repository, repository_url)
        except exceptions.TwineException as exc:
            # twine's message goes on with a link to the .pypirc format: its first line.
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            option = (
                f"--repository-url {sanitize_url(repository_url)}"
                if repository_url
                else f"--repository {repository}"
            )
            raise SystemExit(f"{option}: {reason}") from None
        url = str(config["repository"])
        if urlsplit(url).scheme not in ("http", "https"):
            raise SystemExit(f"{url}: an index's upload URL starts with https:// or http://")
        return cls(url, _login(config, environ))

    @property
    def simple_url(self) -> str:
        """The project's simple page. Warehouse serves uploads at `upload.<host>/legacy/`
        and pages at `<host>/simple/`; other indexes serve both under one root."""
        parts = urlsplit(self.upload_url)
        host = parts.netloc.removeprefix("upload.")
        root = re.sub(r"legacy/?$", "", parts.path.rstrip("/") + "/")
        return urljoin(urlunsplit((parts.scheme, host, root, "", "")), f"simple/{PROJECT}/")

    def files(self) -> set[str]:
        """The file names the index lists for the project (none if it does not know it)."""
        page = self._read(login=None)
        if page is None:
            return set()
        links = _Links()
        links.feed(page)
        return {urlsplit(href).path.rsplit("/", 1)[-1] for href in links.hrefs}

    def has_version(self, version: str) -> bool:
        """Whether any file of `version` (wheel or sdist, either spelling) is on the index."""
        prefix = re.compile(rf"^orq[-_]images-{re.escape(version)}(-|\.tar\.gz$|\.zip$)")
        return any(prefix.match(name) for name in self.files())

    def _read(self, login: Login | None) -> str | None:
        """The simple page; None if the index does not know the project."""
        # resolve() lets only http(s) URLs through.
        request = urllib.request.Request(self.simple_url, headers={"Accept": "text/html"})  # noqa: S310
        if login is not None:
            # Unredirected: a redirect to another host does not get the password.
            request.add_unredirected_header("Authorization", login.basic())
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                body: bytes = response.read(_MAX_PAGE + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            if exc.code == 401 and login is None and self.login is not None:
                return self._read(self.login)
            if exc.code in (401, 403):
                tried = "the login from " if login is not None else "no login; set "
                raise SystemExit(
                    f"cannot read {self.simple_url} (HTTP {exc.code}) with {tried}{CREDENTIALS}"
                ) from None
            raise SystemExit(f"cannot read {self.simple_url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise SystemExit(f"cannot read {self.simple_url}: {exc}") from None
        if len(body) > _MAX_PAGE:
            raise SystemExit(f"{self.simple_url} is larger than {_MAX_PAGE} bytes")
        return body.decode("utf-8", "replace")


def _login(config: RepositoryConfig, environ: Mapping[str, str]) -> Login | None:
    """The login twine would use for `config`, or None where twine would have to ask."""
    given = auth.CredentialInput(
        environ.get("TWINE_USERNAME") or None, environ.get("TWINE_PASSWORD") or None
    )
    resolver = auth.Private(config, given)  # twine's resolver that never prompts
    try:
        username, password = resolver.username, resolver.password
    except exceptions.NonInteractive:
        return None
    except (exceptions.TwineException, requests.RequestException) as exc:
        # For PyPI with no token, twine tries trusted publishing, which asks PyPI first.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise SystemExit(f"credentials for {config['repository']}: {reason}") from None
    return Login(username, password) if username and password else None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)
