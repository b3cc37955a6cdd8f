"""A client that goes away mid-answer is routine for a test double: LocalRouter says
nothing about it on stderr (no traceback), and keeps serving."""

from __future__ import annotations

import socket
import struct
import time

import httpx2
import pytest

from orq_images.testing import LocalRouter

GENERATIONS = "/v2/router/images/generations"


def _reset(sock: socket.socket) -> None:
    # A zero linger time makes close() send RST, as a killed or cancelled client does.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _abort_mid_body(router: LocalRouter, path: str) -> None:
    with socket.create_connection(("127.0.0.1", router.port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        sock.recv(1024)  # the status line and some of the body, then gone
        _reset(sock)


def _abort_mid_request(router: LocalRouter) -> None:
    with socket.create_connection(("127.0.0.1", router.port)) as sock:
        head = (
            f"POST {GENERATIONS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"prompt": "')
        time.sleep(0.05)
        _reset(sock)


def test_aborted_downloads_and_uploads_leave_stderr_clean(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with LocalRouter() as router:
        answer = httpx2.post(
            router.url + GENERATIONS,
            json={"prompt": "p", "model": "m", "size": "2048x2048"},
            headers={"Authorization": "Bearer k"},
        )
        url = httpx2.URL(answer.json()["data"][0]["url"])
        for _ in range(5):
            _abort_mid_body(router, url.path)
            _abort_mid_request(router)
        time.sleep(0.2)  # the server's threads meet the resets
        assert httpx2.get(str(url)).status_code == 200
    out, err = capfd.readouterr()
    assert err == ""
    assert "Traceback" not in out
