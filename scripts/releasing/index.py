"""The package index an upload goes to, and what it already holds.

An index takes each file once: re-uploading a version fails half-way or, worse,
on some indexes replaces it. So before anything is built, the index's simple page
(PEP 503) is read and a version it already lists is refused.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from twine.exceptions import TwineException
from twine.utils import DEFAULT_CONFIG_FILE, get_repository_from_config

PROJECT = "orq-images"


@dataclass(frozen=True)
class Index:
    upload_url: str
    """Where twine uploads: `https://upload.pypi.org/legacy/`, a local index's root..."""

    @classmethod
    def resolve(cls, repository: str, repository_url: str | None) -> Index:
        """The index a `~/.pypirc` name or an explicit upload URL points at, as twine reads it."""
        try:
            config = get_repository_from_config(DEFAULT_CONFIG_FILE, repository, repository_url)
        except TwineException as exc:
            raise SystemExit(f"--repository {repository}: {exc}") from exc
        url = str(config["repository"])
        if urlsplit(url).scheme not in ("http", "https"):
            raise SystemExit(f"{url}: an index's upload URL starts with https:// or http://")
        return cls(url)

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
        # resolve() lets only http(s) URLs through.
        request = urllib.request.Request(self.simple_url, headers={"Accept": "text/html"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                page = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return set()
            raise SystemExit(f"cannot read {self.simple_url}: {exc}") from exc
        except (urllib.error.URLError, TimeoutError) as exc:
            raise SystemExit(f"cannot read {self.simple_url}: {exc}") from exc
        links = _Links()
        links.feed(page)
        return {urlsplit(href).path.rsplit("/", 1)[-1] for href in links.hrefs}

    def has_version(self, version: str) -> bool:
        """Whether any file of `version` (wheel or sdist, either spelling) is on the index."""
        prefix = re.compile(rf"^orq[-_]images-{re.escape(version)}(-|\.tar\.gz$|\.zip$)")
        return any(prefix.match(name) for name in self.files())


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)
