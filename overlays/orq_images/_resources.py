"""The `router.images.generations` / `router.images.variations` namespaces of the clients.

Each method only names its operation and its typed keyword arguments; the
work happens in the client (_client.py) and in _request.py, shared by all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack, cast

from ._params import CreateImageParams, CreateImageVariationParams
from ._response import RawResponse

if TYPE_CHECKING:
    from ._client import AsyncOrq, Orq
    from ._images import ImageResponse, ImageVariationResponse

CREATE_IMAGE = "createImage"
CREATE_IMAGE_VARIATION = "createImageVariation"


class Generations:
    """`POST /v2/router/images/generations`: images from a prompt."""

    def __init__(self, client: Orq) -> None:
        self._client = client

    def create(self, **params: Unpack[CreateImageParams]) -> ImageResponse:
        return cast("ImageResponse", self._client._call(CREATE_IMAGE, params))

    async def create_async(self, **params: Unpack[CreateImageParams]) -> ImageResponse:
        return cast("ImageResponse", await self._client._call_async(CREATE_IMAGE, params))

    def create_detailed(self, **params: Unpack[CreateImageParams]) -> RawResponse[ImageResponse]:
        """Like create, with the HTTP status, headers and request id beside the body."""
        raw = self._client._call(CREATE_IMAGE, params, detailed=True)
        return cast("RawResponse[ImageResponse]", raw)


class Variations:
    """`POST /v2/router/images/variations`: variations of an uploaded image."""

    def __init__(self, client: Orq) -> None:
        self._client = client

    def create(self, **params: Unpack[CreateImageVariationParams]) -> ImageVariationResponse:
        return cast("ImageVariationResponse", self._client._call(CREATE_IMAGE_VARIATION, params))

    async def create_async(
        self, **params: Unpack[CreateImageVariationParams]
    ) -> ImageVariationResponse:
        response = await self._client._call_async(CREATE_IMAGE_VARIATION, params)
        return cast("ImageVariationResponse", response)

    def create_detailed(
        self, **params: Unpack[CreateImageVariationParams]
    ) -> RawResponse[ImageVariationResponse]:
        """Like create, with the HTTP status, headers and request id beside the body."""
        raw = self._client._call(CREATE_IMAGE_VARIATION, params, detailed=True)
        return cast("RawResponse[ImageVariationResponse]", raw)


class AsyncGenerations:
    """`POST /v2/router/images/generations`, awaited."""

    def __init__(self, client: AsyncOrq) -> None:
        self._client = client

    async def create(self, **params: Unpack[CreateImageParams]) -> ImageResponse:
        return cast("ImageResponse", await self._client._call_async(CREATE_IMAGE, params))

    async def create_detailed(
        self, **params: Unpack[CreateImageParams]
    ) -> RawResponse[ImageResponse]:
        raw = await self._client._call_async(CREATE_IMAGE, params, detailed=True)
        return cast("RawResponse[ImageResponse]", raw)


class AsyncVariations:
    """`POST /v2/router/images/variations`, awaited."""

    def __init__(self, client: AsyncOrq) -> None:
        self._client = client

    async def create(self, **params: Unpack[CreateImageVariationParams]) -> ImageVariationResponse:
        response = await self._client._call_async(CREATE_IMAGE_VARIATION, params)
        return cast("ImageVariationResponse", response)

    async def create_detailed(
        self, **params: Unpack[CreateImageVariationParams]
    ) -> RawResponse[ImageVariationResponse]:
        raw = await self._client._call_async(CREATE_IMAGE_VARIATION, params, detailed=True)
        return cast("RawResponse[ImageVariationResponse]", raw)


class Images:
    def __init__(self, client: Orq) -> None:
        self.generations = Generations(client)
        self.variations = Variations(client)


class AsyncImages:
    def __init__(self, client: AsyncOrq) -> None:
        self.generations = AsyncGenerations(client)
        self.variations = AsyncVariations(client)


class Router:
    def __init__(self, client: Orq) -> None:
        self.images = Images(client)


class AsyncRouter:
    def __init__(self, client: AsyncOrq) -> None:
        self.images = AsyncImages(client)
