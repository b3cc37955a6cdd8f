"""Client construction, settings, lifetimes, raw responses, async and image helpers."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from orq_images import AsyncOrq, Orq, OrqError, RawResponse
from orq_images.models import Image, ImageResponse
from tests.conftest import API_KEY, PNG_1X1, image_response
from tests.support.server import LoopbackServer, Reply


def test_key_and_url_fall_back_to_the_environment(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORQ_BASE_URL", server.url)
    with Orq() as orq:
        orq.router.images.generations.create(prompt="p", model="m")
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_default_url_is_the_production_api(monkeypatch: pytest.MonkeyPatch) -> None:
    assert repr(Orq()) == "Orq(server_url='https://api.orq.ai')"


def test_a_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORQ_API_KEY")
    with pytest.raises(OrqError, match="ORQ_API_KEY"):
        Orq(api_key="")


def test_default_timeouts() -> None:
    orq = Orq()
    assert orq._settings.timeout == httpx2.Timeout(600.0, connect=5.0)
    assert Orq(timeout_ms=2500)._settings.timeout == httpx2.Timeout(2.5, connect=2.5)


def test_timeout_ms_per_call(server: LoopbackServer) -> None:
    with Orq(server_url=server.url, timeout_ms=100, retry_config=None) as orq:
        server.queue(Reply(200, image_response(), delay=0.3))
        result = orq.router.images.generations.create(prompt="p", model="m", timeout_ms=3000)
        assert result.created == 1_732_233_600


def test_an_http_client_passed_in_is_used_and_not_closed(server: LoopbackServer) -> None:
    http = httpx2.Client(headers={"X-App": "mine"})
    with Orq(server_url=server.url, http_client=http) as orq:
        server.queue(Reply(503))  # retried through the SDK's transport layer
        orq.router.images.generations.create(prompt="p", model="m")
    assert not http.is_closed
    assert server.requests[-1].headers["x-app"] == "mine"
    assert len(server.requests) == 2
    http.close()


# A call of each body kind: the call, its path and the start of its Content-Type.
CALLS: dict[str, tuple[Callable[[Orq], object], str, str]] = {
    "json": (
        lambda orq: orq.router.images.generations.create(prompt="p", model="m"),
        "/v2/router/images/generations",
        "application/json",
    ),
    "multipart": (
        lambda orq: orq.router.images.variations.create(model="m", image=PNG_1X1),
        "/v2/router/images/variations",
        "multipart/form-data; boundary=",
    ),
}


@pytest.mark.parametrize("body", CALLS)
def test_the_http_clients_default_headers_go_along_and_its_host_wins(
    server: LoopbackServer, body: str
) -> None:
    call, path, content_type = CALLS[body]
    defaults = {
        "Host": "images.example",
        "X-App": "gallery",
        "Accept": "text/html",
        "Content-Type": "text/plain",
        "Authorization": "Basic x",
    }
    with (
        httpx2.Client(headers=defaults) as http,
        Orq(api_key="k", server_url=server.url, http_client=http) as orq,
    ):
        call(orq)
    request = server.requests[-1]
    names = [name.lower() for name in request.header_names]
    assert names[0] == "host"
    for name in ("host", "accept", "authorization", "content-type", "content-length"):
        assert names.count(name) == 1, name
    assert request.headers["host"] == "images.example"
    assert request.headers["x-app"] == "gallery"
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"] == "Bearer k"
    assert request.headers["content-type"].startswith(content_type)
    assert request.headers["content-length"] == str(len(request.body))
    assert request.path == path
    sent_model = request.json()["model"] if body == "json" else request.form()["model"].text
    assert sent_model == "m"
    # Without a Host of the client's, the request names the server it goes to.
    with Orq(api_key="k", server_url=server.url) as orq:
        call(orq)
    assert server.requests[-1].headers["host"] == server.url.removeprefix("http://")


def test_close_closes_the_sdk_client(server: LoopbackServer) -> None:
    orq = Orq(server_url=server.url)
    orq.close()
    assert orq._http.is_closed


def test_create_detailed_gives_status_headers_and_request_id(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        raw = orq.router.images.generations.create_detailed(prompt="p", model="m")
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.request_id == "req_123"
    assert raw.headers["content-type"] == "application/json"
    assert isinstance(raw.parse(), ImageResponse)
    assert raw.parse() is raw.parse()
    assert raw.http_response.elapsed.total_seconds() >= 0


def test_responses_are_the_generated_models(server: LoopbackServer) -> None:
    with Orq(server_url=server.url) as orq:
        result = orq.router.images.generations.create(prompt="p", model="m")
    assert isinstance(result, ImageResponse)
    assert isinstance(result.created, int)
    assert isinstance(result.data[0], Image)
    assert result.data[0].to_bytes() == PNG_1X1


def test_save_writes_b64_images(server: LoopbackServer, tmp_path: Path) -> None:
    with Orq(server_url=server.url) as orq:
        result = orq.router.images.generations.create(prompt="p", model="m")
    path = result.data[0].save(tmp_path / "fox.png")
    assert path.read_bytes() == PNG_1X1


def test_save_downloads_urls_through_the_client_without_the_key(
    server: LoopbackServer, tmp_path: Path
) -> None:
    server.queue(Reply(200, {"created": 1, "data": [{"url": f"{server.url}/files/a.png"}]}))
    server.queue(Reply(503), Reply(200, PNG_1X1, {"Content-Type": "image/png"}))
    with Orq(server_url=server.url) as orq:
        result = orq.router.images.generations.create(prompt="p", model="m")
        result.data[0].save(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes() == PNG_1X1
    downloads = [r for r in server.requests if r.method == "GET"]
    assert len(downloads) == 2  # the 503 was retried
    assert all("authorization" not in r.headers for r in downloads)


def test_a_failed_download_is_a_typed_error(server: LoopbackServer) -> None:
    from orq_images import NotFoundError

    server.queue(Reply(200, {"created": 1, "data": [{"url": f"{server.url}/files/gone.png"}]}))
    server.queue(Reply(404, {"message": "expired"}))
    with Orq(server_url=server.url) as orq:
        result = orq.router.images.generations.create(prompt="p", model="m")
        with pytest.raises(NotFoundError, match="expired"):
            result.data[0].to_bytes()


def test_a_datum_with_bad_base64_says_so() -> None:
    image = Image.from_dict({"b64_json": "not base64!"})
    with pytest.raises(ValueError, match="not valid base64"):
        image.to_bytes()


async def test_async_client_end_to_end(server: LoopbackServer, tmp_path: Path) -> None:
    server.queue(Reply(200, image_response(), {"x-request-id": "req_a"}))
    server.queue(Reply(200, {"created": 1, "data": [{"url": f"{server.url}/files/b.png"}]}))
    server.queue(Reply(200, PNG_1X1, {"Content-Type": "image/png"}))
    async with AsyncOrq(server_url=server.url) as orq:
        http = await orq._async_http()
        raw = await orq.router.images.generations.create_detailed(prompt="p", model="m")
        assert raw.request_id == "req_a"
        result = await orq.router.images.generations.create(prompt="p", model="m")
        await result.data[0].asave(tmp_path / "b.png")
        with pytest.raises(OrqError, match="ato_bytes"):
            result.data[0].to_bytes()
    assert (tmp_path / "b.png").read_bytes() == PNG_1X1
    assert http.is_closed


async def test_create_async_on_the_sync_client(server: LoopbackServer) -> None:
    async with Orq(server_url=server.url) as orq:
        result = await orq.router.images.generations.create_async(prompt="p", model="m")
    assert result.data[0].to_bytes() == PNG_1X1


def test_no_log_record_carries_the_key(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue(Reply(500), Reply(401, {"message": "bad key"}))
    with (
        caplog.at_level(logging.DEBUG),
        Orq(server_url=server.url) as orq,
        pytest.raises(OrqError),
    ):
        orq.router.images.generations.create(prompt="p", model="m")
    assert caplog.records  # httpx2 and httpcore2 logged at DEBUG
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in repr(record.args)


def test_b64_response_is_decoded_lazily(server: LoopbackServer) -> None:
    payload = base64.b64encode(b"\x89PNG" + b"\0" * 100).decode()
    server.queue(Reply(200, {"created": 1, "data": [{"b64_json": payload}]}))
    with Orq(server_url=server.url) as orq:
        result = orq.router.images.generations.create(prompt="p", model="m")
    assert result.data[0].b64_json == payload


def test_printing_a_response_shortens_base64_images(server: LoopbackServer) -> None:
    png = PNG_1X1 + bytes(60_000)
    server.queue(Reply(200, image_response(data=[{"b64_json": base64.b64encode(png).decode()}])))
    with Orq(server_url=server.url) as orq:
        res = orq.router.images.generations.create(prompt="p", model="m")
    length = len(base64.b64encode(png))
    shown = f"b64_json='iVBORw0KGgo…' ({length:,} chars)"
    assert shown in repr(res)
    assert shown in str(res.data[0])
    assert len(repr(res)) < 400
    assert res.data[0].to_bytes() == png  # the value itself is whole
    assert "url='https://" in repr(
        ImageResponse.from_dict({"created": 1, "data": [{"url": "https://example.com/a.png"}]})
    )
