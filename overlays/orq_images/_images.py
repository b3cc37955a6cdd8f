"""What an image of a response can do: give its bytes and save itself.

`ImageFile` is the base of the generated `Image` model (the project's model
template names it), so every response's `data` holds images with `to_bytes()`
and `save()`. The client binds each image to itself, so that an image returned
as a URL downloads with the same connection pool, retries, timeouts and limits.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Protocol, Self, cast

import attrs

# In a repr, b64_json shows this many characters (a PNG's first 11 read `iVBORw0KGgo`),
# then its length: `print(response)` must not dump whole images.
_B64_SHOWN = 11


class Fetcher(Protocol):
    """Downloads an image URL with the settings of the client that made the response."""

    def _fetch_bytes(self, url: str) -> bytes: ...

    def _fetch_to(self, url: str, path: Path) -> None: ...

    async def _afetch_bytes(self, url: str) -> bytes: ...

    async def _afetch_to(self, url: str, path: Path) -> None: ...


class ImageFile:
    """One returned image: `to_bytes()` and `save(path)`, or their async forms.

    An image given as a `url` is downloaded with the client's settings: streamed,
    at most the client's `max_response_bytes`, checked to be an image.
    """

    b64_json: str | None
    url: str | None
    _fetcher: Fetcher | None = None

    def __repr__(self) -> str:
        """The model's fields as attrs shows them, with b64_json shortened:
        `b64_json='iVBORw0KGgo…' (123,456 chars)`."""
        shown = []
        # The generated model subclassing this is an attrs class.
        for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(self))):
            if not field.repr:
                continue
            value = getattr(self, field.name)
            text = repr(value)
            if field.name == "b64_json" and isinstance(value, str) and len(value) > _B64_SHOWN:
                text = f"{value[:_B64_SHOWN] + '…'!r} ({len(value):,} chars)"
            shown.append(f"{field.name}={text}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _bind(self, fetcher: Fetcher) -> Self:
        """Download this image's URL through `fetcher`, the client that received it."""
        self._fetcher = fetcher
        return self

    def _inline_bytes(self) -> bytes | None:
        if self.b64_json is None:
            return None
        try:
            return base64.b64decode(self.b64_json, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"b64_json of this image is not valid base64: {exc}") from None

    def _source(self) -> tuple[str, Fetcher]:
        if not self.url:
            raise ValueError("this image has neither b64_json nor url")
        if self._fetcher is None:
            raise ValueError("this image is not from a client's response: it cannot download")
        return self.url, self._fetcher

    def to_bytes(self) -> bytes:
        """The image file: decoded from b64_json, or downloaded from its url."""
        inline = self._inline_bytes()
        if inline is not None:
            return inline
        url, fetcher = self._source()
        return fetcher._fetch_bytes(url)

    async def ato_bytes(self) -> bytes:
        """The image file, downloading its url with the async client when needed."""
        inline = self._inline_bytes()
        if inline is not None:
            return inline
        url, fetcher = self._source()
        return await fetcher._afetch_bytes(url)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image file to `path` and return it as a Path.

        The file is written beside `path` under a temporary name and renamed into
        place when complete: a failure leaves an existing file untouched.
        """
        target = Path(path)
        inline = self._inline_bytes()
        if inline is None:
            url, fetcher = self._source()
            fetcher._fetch_to(url, target)
        else:
            from ._download import replacing  # noqa: PLC0415 - loaded by the first save

            with replacing(target) as file:
                file.write(inline)
        return target

    async def asave(self, path: str | os.PathLike[str]) -> Path:
        """Write the image file to `path` (downloading asynchronously) and return it."""
        target = Path(path)
        inline = self._inline_bytes()
        if inline is None:
            url, fetcher = self._source()
            await fetcher._afetch_to(url, target)
            return target
        import asyncio  # noqa: PLC0415 - only async callers pay for importing asyncio

        await asyncio.to_thread(self.save, target)
        return target
