"""The clients compared, each behind the same four calls.

A contender makes the same two requests (payloads.py) the way its users would
write them: `generate()` and `vary(image)` on a sync client, `agenerate()` and
`avary(image)` on an async one. `image` is bytes, a file object or (for
orq_images) a path. With `mock_body`, the contender's HTTP client answers every
request from memory with that body, so only the client's own work is measured.

Raw httpx2 is the floor: `post(...)` then `.json()`, nothing else.
"""

from __future__ import annotations

import importlib.util
from typing import Any, ClassVar

from benchmarks.payloads import API_KEY, GENERATION, GENERATIONS_PATH, VARIATION, VARIATIONS_PATH

_JSON = {"Content-Type": "application/json"}


def _mock(httpx_module: Any, body: bytes) -> Any:
    def answer(request: Any) -> Any:
        return httpx_module.Response(200, headers=_JSON, content=body)

    return httpx_module.MockTransport(answer)


class Contender:
    name: ClassVar[str]
    module: ClassVar[str]  # what must be importable for this contender to run

    def __init__(self, url: str, *, asynchronous: bool = False, mock_body: bytes | None = None):
        self.url = url
        self.asynchronous = asynchronous
        self.mock_body = mock_body

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec(cls.module) is not None

    def generate(self) -> object:
        raise NotImplementedError

    def vary(self, image: Any) -> object:
        raise NotImplementedError

    async def agenerate(self) -> object:
        raise NotImplementedError

    async def avary(self, image: Any) -> object:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError


class OrqImages(Contender):
    name = "orq_images"
    module = "orq_images"

    def __init__(self, url: str, *, asynchronous: bool = False, mock_body: bytes | None = None):
        super().__init__(url, asynchronous=asynchronous, mock_body=mock_body)
        import httpx2

        from orq_images import AsyncOrq, Orq

        transport = None if mock_body is None else _mock(httpx2, mock_body)
        if asynchronous:
            aclient = None if transport is None else httpx2.AsyncClient(transport=transport)
            self.aclient = AsyncOrq(api_key=API_KEY, server_url=url, http_client=aclient)
            self.images: Any = self.aclient.router.images
        else:
            client = None if transport is None else httpx2.Client(transport=transport)
            self.client = Orq(api_key=API_KEY, server_url=url, http_client=client)
            self.images = self.client.router.images

    def generate(self) -> object:
        return self.images.generations.create(**GENERATION)

    def vary(self, image: Any) -> object:
        return self.images.variations.create(image=image, **VARIATION)

    async def agenerate(self) -> object:
        return await self.images.generations.create(**GENERATION)

    async def avary(self, image: Any) -> object:
        return await self.images.variations.create(image=image, **VARIATION)

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        await self.aclient.close()


class RawHttpx(Contender):
    name = "raw httpx2"
    module = "httpx2"
    form: ClassVar[dict[str, str]] = {key: str(value) for key, value in VARIATION.items()}
    headers: ClassVar[dict[str, str]] = {"Authorization": f"Bearer {API_KEY}"}

    def __init__(self, url: str, *, asynchronous: bool = False, mock_body: bytes | None = None):
        super().__init__(url, asynchronous=asynchronous, mock_body=mock_body)
        import httpx2

        transport = None if mock_body is None else _mock(httpx2, mock_body)
        self.http: Any = (httpx2.AsyncClient if asynchronous else httpx2.Client)(
            transport=transport
        )

    @staticmethod
    def files(image: Any) -> dict[str, tuple[str, Any, str]]:
        return {"image": ("image.png", image, "image/png")}

    def generate(self) -> object:
        return self.http.post(
            self.url + GENERATIONS_PATH, json=GENERATION, headers=self.headers
        ).json()

    def vary(self, image: Any) -> object:
        url = self.url + VARIATIONS_PATH
        response = self.http.post(
            url, data=self.form, files=self.files(image), headers=self.headers
        )
        return response.json()

    async def agenerate(self) -> object:
        url = self.url + GENERATIONS_PATH
        return (await self.http.post(url, json=GENERATION, headers=self.headers)).json()

    async def avary(self, image: Any) -> object:
        url = self.url + VARIATIONS_PATH
        response = await self.http.post(
            url, data=self.form, files=self.files(image), headers=self.headers
        )
        return response.json()

    def close(self) -> None:
        self.http.close()

    async def aclose(self) -> None:
        await self.http.aclose()


class OrqAiSdk(Contender):
    """orq's official SDK; its variations take the image only as this dict."""

    name = "orq-ai-sdk"
    module = "orq_ai_sdk"

    def __init__(self, url: str, *, asynchronous: bool = False, mock_body: bytes | None = None):
        super().__init__(url, asynchronous=asynchronous, mock_body=mock_body)
        import httpx
        from orq_ai_sdk import Orq

        clients: dict[str, Any] = {}
        if mock_body is not None:
            transport = _mock(httpx, mock_body)
            clients = {"client": httpx.Client(transport=transport)}
            if asynchronous:
                clients = {"async_client": httpx.AsyncClient(transport=transport)}
        self.sdk: Any = Orq(api_key=API_KEY, server_url=url, **clients)
        self.images = self.sdk.router.images

    @staticmethod
    def image(image: Any) -> Any:
        return {"file_name": "image.png", "content": image, "content_type": "image/png"}

    def generate(self) -> object:
        return self.images.generations.create(**GENERATION)

    def vary(self, image: Any) -> object:
        return self.images.variations.create(image=self.image(image), **VARIATION)

    async def agenerate(self) -> object:
        return await self.images.generations.create_async(**GENERATION)

    async def avary(self, image: Any) -> object:
        return await self.images.variations.create_async(image=self.image(image), **VARIATION)

    def close(self) -> None:
        self.sdk.__exit__(None, None, None)

    async def aclose(self) -> None:
        await self.sdk.__aexit__(None, None, None)


class OpenAISdk(Contender):
    """The openai SDK aimed at orq's router (its own httpx fork underneath)."""

    name = "openai"
    module = "openai"

    def __init__(self, url: str, *, asynchronous: bool = False, mock_body: bytes | None = None):
        super().__init__(url, asynchronous=asynchronous, mock_body=mock_body)
        import openai

        http: Any = None
        if mock_body is not None:
            import httpx2

            transport = _mock(httpx2, mock_body)
            http = (httpx2.AsyncClient if asynchronous else httpx2.Client)(transport=transport)
        cls: Any = openai.AsyncOpenAI if asynchronous else openai.OpenAI
        self.sdk: Any = cls(api_key=API_KEY, base_url=url + "/v2/router", http_client=http)

    @staticmethod
    def image(image: Any) -> tuple[str, Any, str]:
        return ("image.png", image, "image/png")

    def generate(self) -> object:
        return self.sdk.images.generate(**GENERATION)

    def vary(self, image: Any) -> object:
        return self.sdk.images.create_variation(image=self.image(image), **VARIATION)

    async def agenerate(self) -> object:
        return await self.sdk.images.generate(**GENERATION)

    async def avary(self, image: Any) -> object:
        return await self.sdk.images.create_variation(image=self.image(image), **VARIATION)

    def close(self) -> None:
        self.sdk.close()

    async def aclose(self) -> None:
        await self.sdk.close()


ALL: tuple[type[Contender], ...] = (RawHttpx, OrqImages, OrqAiSdk, OpenAISdk)
BY_NAME = {cls.name: cls for cls in ALL}


def available() -> list[type[Contender]]:
    return [cls for cls in ALL if cls.available()]
