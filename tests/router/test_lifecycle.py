"""Starting and stopping, the pytest fixture, and what importing the package loads."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import httpx2
import pytest

from orq_images.testing import LocalRouter
from tests.router.conftest import GENERATIONS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_start_stop_and_a_fixed_port() -> None:
    port = _free_port()
    router = LocalRouter(port=port)
    with pytest.raises(RuntimeError, match="start"):
        _ = router.url
    router.start()
    try:
        assert router.url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError, match="already running"):
            router.start()
        response = httpx2.post(
            router.url + GENERATIONS,
            json={"prompt": "p", "model": "m", "size": "4x4"},
            headers={"Authorization": "Bearer k"},
        )
        assert response.status_code == 200
    finally:
        router.stop()
    router.stop()  # stopping twice is harmless
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"http://127.0.0.1:{port}/")


def test_a_router_can_start_again_after_stopping() -> None:
    router = LocalRouter()
    with router:
        first = router.url
    with router:
        assert httpx2.get(router.url + "/files/x.png").status_code == 404
    assert first.startswith("http://127.0.0.1:")


def test_stop_is_prompt_with_open_keep_alive_connections() -> None:
    router = LocalRouter().start()
    client = httpx2.Client(base_url=router.url)
    client.get("/files/x.png")  # leaves an idle keep-alive connection
    started = time.perf_counter()
    router.stop()
    assert time.perf_counter() - started < 0.5
    client.close()


def test_stop_ends_a_delayed_fault_at_once() -> None:
    router = LocalRouter().start()
    router.queue_fault(delay=30)
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx2.get(router.url + "/files/x.png", timeout=10)
        except httpx2.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 5
    while router.pending_faults and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.perf_counter()
    router.stop()
    thread.join(timeout=5)
    assert time.perf_counter() - started < 1
    assert len(errors) == 1


def test_a_port_in_use_is_an_error() -> None:
    with LocalRouter() as running, pytest.raises(OSError, match="in use"):
        LocalRouter(port=running.port).start()


def test_the_fixture_gives_a_running_router(orq_router: LocalRouter) -> None:
    assert httpx2.get(orq_router.url + "/files/x.png").status_code == 404


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in sys.modules if 'orq_images' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_importing_the_package_loads_neither_the_router_nor_the_cli() -> None:
    loaded = _loaded_after("import orq_images")
    assert "orq_images" in loaded
    assert not [m for m in loaded if m.startswith(("orq_images.testing", "orq_images.cli"))]


def test_the_pytest_plugin_loads_the_router_only_when_the_fixture_runs() -> None:
    loaded = _loaded_after("import orq_images.testing.pytest_plugin")
    assert "orq_images.testing.pytest_plugin" in loaded
    assert not [m for m in loaded if m.startswith("orq_images.testing._")]
