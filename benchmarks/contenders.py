"""The clients compared, each behind the same four calls.

A contender makes the same two requests (payloads.py) the way its users would
write them: `generate(params)` and `vary(image)` on a sync client,
`agenerate(params)` and `avary(image)` on an async one. `params` is a
generations body (payloads.GENERATION or GENERATION_PLAIN); `image` is bytes, a
file object or (for orq_images) a path. With `mock_body`, the contender's HTTP
client answers every request from memory with that body, so only the client's
own work is measured. With `http2`, it speaks HTTP/2 with prior knowledge
(h2c), which the benchmark server understands.

Raw httpx2 is the floor: `post(...)` then `.json()`, nothing else, on the same
pool as the SDK's (100 connections, all kept alive). Raw aiohttp, pyreqwest and
urllib3 are floors below it, shown for reference where they install; a contender
that speaks only sync or only async says so (`sync`, `asynchronous`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any, ClassVar

from benchmarks.payloads import (
    API_KEY,
    EDIT,
    EDITS_PATH,
    GENERATIONS_PATH,
    ROUTING,
    VARIATION,
    VARIATIONS_PATH,
)

_JSON = {"Content-Type": "application/json"}
Params = Mapping[str, Any]


def _mock(httpx_module: Any, body: bytes) -> Any:
    def answer(request: Any) -> Any:
        return httpx_module.Response(200, headers=_JSON, content=body)

    return httpx_module.MockTransport(answer)


# The SDK's pool: raw clients get the same, so that none reconnects where another would not.
POOL_SIZE = 100
KEEPALIVE_S = 5.0


def _httpx2_client(asynchronous: bool, mock_body: bytes | None, http2: bool) -> Any:
    """An httpx2 client with the SDK's pool, answering from memory with `mock_body`."""
    import httpx2

    cls: Any = httpx2.AsyncClient if asynchronous else httpx2.Client
    limits = httpx2.Limits(
        max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE, keepalive_expiry=KEEPALIVE_S
    )
    # The SDK's timeout too: at 1024 in flight a call may wait longer than httpx2's 5 s
    # for one of the 100 connections on a busy machine.
    timeout = httpx2.Timeout(600.0, connect=5.0)
    if mock_body is not None:
        return cls(transport=_mock(httpx2, mock_body))
    if http2:  # h2c: the server is plain HTTP
        return cls(http1=False, http2=True, limits=limits, timeout=timeout)
    return cls(limits=limits, timeout=timeout)


class Contender:
    name: ClassVar[str]
    module: ClassVar[str]  # what must be importable for this contender to run
    speaks_http2: ClassVar[bool] = False
    sync: ClassVar[bool] = True  # has a sync client
    has_async: ClassVar[bool] = True  # has an async client
    floor: ClassVar[bool] = False  # a raw HTTP client: a reference floor, not an SDK

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
        try:
            return importlib.util.find_spec(cls.module) is not None
        except ImportError:
            return False

    def vary_edit(self, image: Any) -> object:
        """An edit of `image` (orq_images and raw httpx2 only: the upload cases)."""
        raise NotImplementedError

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

    def vary_edit(self, image: Any) -> object:
        return self.images.edits.create(image=image, **EDIT)

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


class OrqImagesAiohttp(OrqImages):
    """orq_images on aiohttp: `AsyncOrq(http_client=DefaultAioHttpClient())`."""

    name = "orq_images, aiohttp"
    module = "aiohttp"
    speaks_http2 = False
    sync = False

    def open(self) -> None:
        from orq_images import AsyncOrq, DefaultAioHttpClient

        self.sdk = AsyncOrq(
            api_key=API_KEY, server_url=self.url, http_client=DefaultAioHttpClient()
        )
        self.given = None
        self.images = self.sdk.router.images


class RawHttpx(Contender):
    name = "raw httpx2"
    module = "httpx2"
    speaks_http2 = True
    floor = True
    form: ClassVar[dict[str, str]] = {key: str(value) for key, value in VARIATION.items()}
    edit_form: ClassVar[dict[str, str]] = {key: str(value) for key, value in EDIT.items()}
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

    def vary_edit(self, image: Any) -> object:
        url = self.url + EDITS_PATH
        response = self.http.post(
            url, data=self.edit_form, files=self.files(image), headers=self.headers
        )
        return response.json()

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


class RawAiohttp(Contender):
    """aiohttp's own client, async only: the floor of the aiohttp path."""

    name = "raw aiohttp"
    module = "aiohttp"
    sync = False
    floor = True

    def open(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=POOL_SIZE, keepalive_timeout=KEEPALIVE_S)
        self.session: Any = aiohttp.ClientSession(connector=connector)
        self.headers = {"Authorization": f"Bearer {API_KEY}"}

    async def agenerate(self, params: Params) -> object:
        url = self.url + GENERATIONS_PATH
        async with self.session.post(url, json=params, headers=self.headers) as response:
            return await response.json()

    async def aclose(self) -> None:
        await self.session.close()


class RawPyreqwest(Contender):
    """pyreqwest (Rust's reqwest) as a floor: what a compiled HTTP stack costs."""

    name = "raw pyreqwest"
    module = "pyreqwest"
    floor = True

    def open(self) -> None:
        from pyreqwest.client import ClientBuilder, SyncClientBuilder

        builder: Any = ClientBuilder() if self.asynchronous else SyncClientBuilder()
        self.http: Any = builder.max_connections(POOL_SIZE).build()
        self.headers = {"Authorization": f"Bearer {API_KEY}"}

    def _request(self, params: Params) -> Any:
        url = self.url + GENERATIONS_PATH
        return self.http.post(url).headers(self.headers).body_json(params).build()

    def generate(self, params: Params) -> object:
        return self._request(params).send().json()

    async def agenerate(self, params: Params) -> object:
        return await (await self._request(params).send()).json()

    def close(self) -> None:
        self.http.close()

    async def aclose(self) -> None:
        await self.http.close()


class RawUrllib3(Contender):
    """urllib3, sync only: the pool under requests, as a floor for sync calls."""

    name = "raw urllib3"
    module = "urllib3"
    has_async = False
    floor = True

    def open(self) -> None:
        import urllib3

        self.http: Any = urllib3.PoolManager(maxsize=POOL_SIZE)
        self.headers = {"Authorization": f"Bearer {API_KEY}"}

    def generate(self, params: Params) -> object:
        url = self.url + GENERATIONS_PATH
        return self.http.request("POST", url, json=params, headers=self.headers).json()

    def close(self) -> None:
        self.http.clear()


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


def _pool() -> Any:
    import httpx2

    return httpx2.Limits(
        max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE, keepalive_expiry=KEEPALIVE_S
    )


class OpenAISdk(Contender):
    """The openai SDK (on httpx2) aimed at orq's router, with the SDK's pool.

    openai's own default opens up to 1000 connections: at 1024 in flight that is a
    connection storm, and a pool nobody else in the run has.
    """

    name = "openai"
    module = "openai"

    def open(self) -> None:
        import openai

        if self.mock_body is not None:
            http = _httpx2_client(self.asynchronous, self.mock_body, self.http2)
        elif self.asynchronous:
            http = openai.DefaultAsyncHttpxClient(limits=_pool())
        else:
            http = openai.DefaultHttpxClient(limits=_pool())
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


class OpenAIAiohttp(OpenAISdk):
    """openai with its aiohttp option: `AsyncOpenAI(http_client=DefaultAioHttpClient())`."""

    name = "openai, aiohttp"
    module = "aiohttp"
    sync = False

    def open(self) -> None:
        import openai

        self.sdk = openai.AsyncOpenAI(
            api_key=API_KEY,
            base_url=self.url + "/v2/router",
            http_client=openai.DefaultAioHttpClient(limits=_pool()),
        )

    @classmethod
    def available(cls) -> bool:
        return super().available() and importlib.util.find_spec("openai") is not None


ALL: tuple[type[Contender], ...] = (
    RawHttpx,
    OrqImages,
    OrqImagesAiohttp,
    RawAiohttp,
    RawPyreqwest,
    RawUrllib3,
    OrqAiSdk,
    OpenAISdk,
    OpenAIAiohttp,
)
BY_NAME = {cls.name: cls for cls in ALL}


def available() -> list[type[Contender]]:
    return [cls for cls in ALL if cls.available()]
