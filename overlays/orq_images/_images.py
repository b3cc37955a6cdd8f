"""The image datum of a response, with its bytes and a way to save it.

A subclass of the generated `Image` model, so responses stay the generated
models; the client binds each datum to itself so that an image returned as a
URL downloads through the same connection pool, retries and timeouts.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import define, field

from orq_images_generated.models.image import Image as GeneratedImage
from orq_images_generated.models.image_response import ImageResponse as GeneratedImageResponse
from orq_images_generated.models.image_variation_response import (
    ImageVariationResponse as GeneratedImageVariationResponse,
)
from orq_images_generated.types import Unset

Download = Callable[[str], bytes]
AsyncDownload = Callable[[str], Awaitable[bytes]]


@define
class Image(GeneratedImage):
    """One returned image: `to_bytes()` and `save(path)`, or their async forms."""

    _download: Download | None = field(default=None, init=False, repr=False, eq=False)
    _async_download: AsyncDownload | None = field(default=None, init=False, repr=False, eq=False)

    def bind(self, download: Download | None, async_download: AsyncDownload | None) -> Image:
        self._download = download
        self._async_download = async_download
        return self

    def _inline_bytes(self) -> bytes | None:
        if isinstance(self.b64_json, Unset) or self.b64_json is None:
            return None
        try:
            return base64.b64decode(self.b64_json, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"b64_json of this image is not valid base64: {exc}") from None

    def _url(self) -> str:
        if isinstance(self.url, Unset) or not self.url:
            raise ValueError("this image has neither b64_json nor url")
        return self.url

    def to_bytes(self) -> bytes:
        """The image file: decoded from b64_json, or downloaded from its url."""
        inline = self._inline_bytes()
        if inline is not None:
            return inline
        url = self._url()
        if self._download is None:
            raise RuntimeError(
                "this image came from an async client: use `await image.ato_bytes()`"
            )
        return self._download(url)

    async def ato_bytes(self) -> bytes:
        """The image file, downloading its url with the async client when needed."""
        inline = self._inline_bytes()
        if inline is not None:
            return inline
        url = self._url()
        if self._async_download is None:
            raise RuntimeError("this image came from a sync client: use `image.to_bytes()`")
        return await self._async_download(url)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image file to `path` and return it as a Path."""
        target = Path(path)
        target.write_bytes(self.to_bytes())
        return target

    async def asave(self, path: str | os.PathLike[str]) -> Path:
        """Write the image file to `path` (downloading asynchronously) and return it."""
        target = Path(path)
        data = await self.ato_bytes()
        import asyncio  # noqa: PLC0415 - only async callers pay for importing asyncio

        await asyncio.to_thread(target.write_bytes, data)
        return target


if TYPE_CHECKING:
    # For type checkers only: the client puts `Image` (above) in every response's
    # `data`, so its helpers type-check on `res.data[0]`. At run time the responses
    # are the generated classes themselves.
    class ImageResponse(GeneratedImageResponse):
        data: list[Image]  # type: ignore[assignment]  # narrowed: the client binds each datum

    class ImageVariationResponse(GeneratedImageVariationResponse):
        data: list[Image]  # type: ignore[assignment]  # narrowed: the client binds each datum

else:
    ImageResponse = GeneratedImageResponse
    ImageVariationResponse = GeneratedImageVariationResponse
