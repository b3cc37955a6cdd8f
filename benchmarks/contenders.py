"""The clients compared, each behind the same four calls.

A contender makes the same two requests (payloads.py) the way its users would
write them: `generate(params)` and `vary(image)` on a sync client,
`agenerate(params)` and `avary(image)` on an async one. `params` is a
generations body (payloads.GENERATION or GENERATION_PLAIN); `image` is bytes, a
file object or (for orq_images) a path. With `mock_body`, the contender's HTTP
client answers every request from memory with that body, so only the client's
own work is measured. With `http2`, it speaks HTTP/2 with prior knowledge
(h2c), which the benchmark server understands.

Raw httpx2 is the floor: `post(...)` then `.json()`, nothing else.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from benchmarks.payloads import API_KEY, GENERATIONS_PATH, ROUTING, VARIATION, VARIATIONS_PATH

_JSON = {"Content-Type": "application/json"}
Params = Mapping[str, Any]


def _mock(httpx_module: Any, body: bytes) -> Any:
    def answer(request: Any) -> Any:
        return httpx_module.Response(200, headers=_JSON, content=body)

    return httpx_module.MockTransport(answer)


def _httpx2_client(asynchronous: bool, mock_body: bytes | None, http2: bool) -> Any:
    """An httpx2 client as a user would make one, answering from memory with `mock_body`."""
    import httpx2

    cls: Any = httpx2.AsyncClient if asynchronous else httpx2.Client
    if mock_body is not None:
        return cls(transport=_mock(httpx2, mock_body))
    if http2:
        return cls(http1=False, http2=True)  # h2c: the server is plain HTTP
    return cls()


class Contender:
    name: ClassVar[str]
    module: ClassVar[str]  # what must be importable for this contender to run
    speaks_http2: ClassVar[bool] = False

    def __init__(
        self,
        url: str,
        *,
        asynchronous: bool = False,
        mock_body: bytes | None = None,
        http2: bool = False,
    ) -> None:
        self.url = url
        self.asynchronous = asynchronous
        self.mock_body = mock_body
        self.http2 = http2
        self.open()

    def open(self) -> None:
        """Make the client, as this contender's users would."""
        raise NotImplementedError

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec(cls.module) is not None

    def generate(self, params: Params) -> object:
        raise NotImplementedError

    def vary(self, image: Any) -> object:
        raise NotImplementedError

    async def agenerate(self, params: Params) -> object:
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
    speaks_http2 = True

    def open(self) -> None:
        from orq_images import AsyncOrq, Orq

        given = None
        if self.mock_body is not None or self.http2:
            given = _httpx2_client(self.asynchronous, self.mock_body, self.http2)
        self.sdk: Any = (AsyncOrq if self.asynchronous else Orq)(
            api_key=API_KEY, server_url=self.url, http_client=given
        )
        self.given = given
        self.images: Any = self.sdk.router.images

    def generate(self, params: Params) -> object:
        return self.images.generations.create(**params)

    def vary(self, image: Any) -> object:
        return self.images.variations.create(image=image, **VARIATION)

    async def agenerate(self, params: Params) -> object:
        return await self.images.generations.create(**params)

    async def avary(self, image: Any) -> object:
        return await self.images.variations.create(image=image, **VARIATION)

    def close(self) -> None:
        self.sdk.close()
        if self.given is not None:
            self.given.close()

    async def aclose(self) -> None:
        await self.sdk.close()
        if self.given is not None:
            await self.given.aclose()


class RawHttpx(Contender):
    name = "raw httpx2"
    module = "httpx2"
    speaks_http2 = True
    form: ClassVar[dict[str, str]] = {key: str(value) for key, value in VARIATION.items()}
    headers: ClassVar[dict[str, str]] = {"Authorization": f"Bearer {API_KEY}"}

    def open(self) -> None:
        self.http: Any = _httpx2_client(self.asynchronous, self.mock_body, self.http2)

    @staticmethod
    def files(image: Any) -> dict[str, tuple[str, Any, str]]:
        return {"image": ("image.png", image, "image/png")}

    def generate(self, params: Params) -> object:
        url = self.url + GENERATIONS_PATH
        return self.http.post(url, json=params, headers=self.headers).json()

    def vary(self, image: Any) -> object:
        url = self.url + VARIATIONS_PATH
        response = self.http.post(
            url, data=self.form, files=self.files(image), headers=self.headers
        )
        return response.json()

    def vary_encoded_once(self, image: bytes) -> Callable[[], object]:
        """The floor of an upload: the multipart body built once, then posted as it is."""
        import httpx2

        url = self.url + VARIATIONS_PATH
        built = httpx2.Request("POST", url, data=self.form, files=self.files(image))
        body = built.read()
        headers = {**self.headers, "Content-Type": built.headers["Content-Type"]}
        return lambda: self.http.post(url, content=body, headers=headers).json()

    async def agenerate(self, params: Params) -> object:
        url = self.url + GENERATIONS_PATH
        return (await self.http.post(url, json=params, headers=self.headers)).json()

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
    """orq's official SDK (on httpx 0.28); its variations take the image only as this dict."""

    name = "orq-ai-sdk"
    module = "orq_ai_sdk"

    def open(self) -> None:
        import httpx
        from orq_ai_sdk import Orq

        clients: dict[str, Any] = {}
        if self.mock_body is not None:
            transport = _mock(httpx, self.mock_body)
            clients = {"client": httpx.Client(transport=transport)}
            if self.asynchronous:
                clients = {"async_client": httpx.AsyncClient(transport=transport)}
        self.sdk: Any = Orq(api_key=API_KEY, server_url=self.url, **clients)
        self.images = self.sdk.router.images

    @staticmethod
    def image(image: Any) -> Any:
        return {"file_name": "image.png", "content": image, "content_type": "image/png"}

    def generate(self, params: Params) -> object:
        return self.images.generations.create(**params)

    def vary(self, image: Any) -> object:
        return self.images.variations.create(image=self.image(image), **VARIATION)

    async def agenerate(self, params: Params) -> object:
        return await self.images.generations.create_async(**params)

    async def avary(self, image: Any) -> object:
        return await self.images.variations.create_async(image=self.image(image), **VARIATION)

    def close(self) -> None:
        self.sdk.__exit__(None, None, None)

    async def aclose(self) -> None:
        await self.sdk.__aexit__(None, None, None)


def openai_kwargs(params: Params) -> dict[str, Any]:
    """openai's images.generate knows no routing fields: they go in extra_body."""
    plain = {key: value for key, value in params.items() if key not in ROUTING}
    routing = {key: value for key, value in params.items() if key in ROUTING}
    return plain | {"extra_body": routing} if routing else plain


class OpenAISdk(Contender):
    """The openai SDK (on httpx2) aimed at orq's router."""

    name = "openai"
    module = "openai"

    def open(self) -> None:
        import openai

        http = None
        if self.mock_body is not None:
            http = _httpx2_client(self.asynchronous, self.mock_body, self.http2)
        cls: Any = openai.AsyncOpenAI if self.asynchronous else openai.OpenAI
        self.sdk: Any = cls(api_key=API_KEY, base_url=self.url + "/v2/router", http_client=http)

    @staticmethod
    def image(image: Any) -> tuple[str, Any, str]:
        return ("image.png", image, "image/png")

    def generate(self, params: Params) -> object:
        return self.sdk.images.generate(**openai_kwargs(params))

    def vary(self, image: Any) -> object:
        return self.sdk.images.create_variation(image=self.image(image), **VARIATION)

    async def agenerate(self, params: Params) -> object:
        return await self.sdk.images.generate(**openai_kwargs(params))

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
