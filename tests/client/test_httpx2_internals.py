"""httpx2's private parts, which the SDK uses in _httpx2_internals.py only.

Each test names the part it checks, so a new httpx2 that moves one fails here,
loudly, before any behaviour test has to be puzzled out.
"""

from __future__ import annotations

import inspect
import re
import socket
from pathlib import Path

import httpcore2
import httpx2
import pytest

from orq_images import _httpx2_internals as internals

ENGINE = Path(internals.__file__).parent


def test_the_installed_httpx2_is_a_tested_release() -> None:
    for module in (httpx2, httpcore2):
        series = ".".join(module.__version__.split(".")[:2])
        assert series in internals.TESTED_WITH, (
            f"{module.__name__} {module.__version__} is not one of the releases "
            f"_httpx2_internals.py was checked against ({internals.TESTED_WITH}): check each "
            "private part it uses, then add the series to TESTED_WITH"
        )


def test_a_body_set_from_outside_reads_as_the_response_content() -> None:
    response = httpx2.Response(200, headers={"Content-Type": "application/json"})
    internals.set_body(response, b'{"data": []}')
    assert response.content == b'{"data": []}'
    assert response.json() == {"data": []}


def test_a_byte_streams_bytes_are_read_as_they_are() -> None:
    content = b'{"prompt": "a fox"}'
    assert internals.body_bytes(httpx2.ByteStream(content)) is content


def test_a_cookie_store_set_from_outside_is_the_clients_own() -> None:
    class Store(httpx2.Cookies):
        pass

    store = Store()
    with httpx2.Client() as client:
        internals.set_cookie_store(client, store)
        assert client.cookies is store


def test_the_cookies_an_answer_sets_are_found_as_httpx2_stores_them() -> None:
    request = httpx2.Request("GET", "http://127.0.0.1:9/a")
    response = httpx2.Response(
        200, headers=[("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")], request=request
    )
    cookies = httpx2.Cookies()
    cookies.extract_cookies(response)
    found = internals.cookies_set_by(cookies.jar, response)
    assert [(c.name, c.domain, c.path) for c in found] == [
        (c.name, c.domain, c.path) for c in cookies.jar
    ]


def test_the_transport_hooks_exist_as_overridden() -> None:
    for name in ("_init_transport", "_init_proxy_transport"):
        hook = getattr(httpx2.Client, name, None)
        assert callable(hook), f"httpx2.Client.{name} is gone"
        parameters = inspect.signature(hook).parameters
        assert "verify" in parameters, f"httpx2.Client.{name} takes other arguments now"


def test_every_transport_of_a_client_passes_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    wrapped: list[httpx2.BaseTransport] = []

    class Recording(internals.TransportHookClient):
        def wrap_transport(self, transport: httpx2.BaseTransport) -> httpx2.BaseTransport:
            wrapped.append(transport)
            return transport

    with Recording():
        pass
    assert len(wrapped) == 2, "the direct transport and the HTTP_PROXY one"


def test_a_pools_network_backend_can_be_wrapped() -> None:
    class Wrapper:
        def __init__(self, backend: object) -> None:
            self.backend = backend

    with httpx2.HTTPTransport() as transport:
        assert internals.wrap_network_backend(transport, Wrapper), (
            "HTTPTransport._pool._network_backend is laid out differently"
        )
        assert isinstance(transport._pool._network_backend, Wrapper)


def _private_names() -> set[str]:
    """The private attributes of the httpx2 and httpcore2 objects the SDK handles."""
    objects: list[object] = [
        httpx2.Client(),
        httpx2.HTTPTransport(),
        httpx2.Response(200),
        httpx2.ByteStream(b""),
        httpcore2.ConnectionPool(),
    ]
    names = set()
    for obj in objects:
        for holder in (obj, type(obj)):
            names |= {n for n in dir(holder) if n.startswith("_") and not n.startswith("__")}
    return names


def test_no_other_module_touches_httpx2s_private_parts() -> None:
    # `self._x` is the SDK's own attribute, whatever httpx2 also calls its own.
    pattern = re.compile(
        r"(?<!self)\.(" + "|".join(map(re.escape, sorted(_private_names()))) + r")\b"
        r"|[\"'](" + "|".join(map(re.escape, sorted(_private_names()))) + r")[\"']"
    )
    found = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.name == "_httpx2_internals.py" or "_generated" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.split("#", 1)[0]
            if stripped.lstrip().startswith(("from ", "import ")):
                continue
            match = pattern.search(stripped)
            if match:
                found.append(f"{path.relative_to(ENGINE)}:{number}: {line.strip()}")
    assert not found, "httpx2's private parts belong in _httpx2_internals.py:\n" + "\n".join(found)


def test_an_async_clients_transports_pass_the_hook_and_their_backends_can_be_wrapped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    wrapped: list[httpx2.AsyncBaseTransport] = []

    class Wrapper:
        def __init__(self, backend: object) -> None:
            self.backend = backend

    class Recording(internals.AsyncTransportHookClient):
        def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
            assert internals.wrap_network_backend(transport, Wrapper), (
                "AsyncHTTPTransport._pool._network_backend is laid out differently"
            )
            wrapped.append(transport)
            return transport

    Recording()
    assert len(wrapped) == 2, "the direct transport and the HTTP_PROXY one"
    assert all(isinstance(t._pool._network_backend, Wrapper) for t in wrapped)  # type: ignore[attr-defined]


def test_the_socket_under_httpcores_sync_stream_can_be_had() -> None:
    from orq_images._deadline_sockets import DeadlineBackend
    from orq_images._pinned_addresses import PinnedBackend

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        stream = httpcore2.SyncBackend().connect_tcp("127.0.0.1", port)
        try:
            assert isinstance(internals.plain_socket(stream), socket.socket), (
                "httpcore2's SyncStream no longer gives its socket: long uploads on the "
                "SDK's sync client fall back to writes of WRITE_SIZE"
            )
        finally:
            stream.close()
        # As the SDK's own sync client connects: the deadline's stream writes the socket.
        backend = DeadlineBackend(PinnedBackend(httpcore2.SyncBackend()))
        wrapped = backend.connect_tcp("127.0.0.1", port)
        try:
            assert wrapped._socket is not None
        finally:
            wrapped.close()
