"""A path rewritten in place during its upload, same size, is never sent as a whole body.

The server reads the first megabyte of the body, then rewrites the file in place
(same size, other bytes), then reads on. Its receive buffer is small, so the
client is still reading the file when it changes. Without the check the server
receives a complete body of old and new bytes mixed.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from orq_images import InvalidRequestError, RetryConfig
from tests.conftest import PNG_1X1
from tests.faults.conftest import Call

SIZE = 16 * 2**20
ANSWER = json.dumps({"created": 1, "data": []}).encode()


class RewritingServer:
    """Reads each request's body, rewriting `path` in place once a megabyte has arrived."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.complete_bodies = 0
        self.requests = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> RewritingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(10)
                self._handle(connection)

    def _handle(self, connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.requests += 1
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        received = len(body)
        rewritten = False
        while received < length:
            if not rewritten and received >= 2**20:
                with open(self.path, "r+b") as file:
                    file.seek(len(PNG_1X1))
                    file.write(b"\xee" * (SIZE - len(PNG_1X1)))
                rewritten = True
            try:
                chunk = connection.recv(65536)
            except OSError:
                return
            if not chunk:
                return  # cut off before the end: not a whole body
            received += len(chunk)
        self.complete_bodies += 1
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
        )


def test_a_file_rewritten_in_place_mid_upload_is_detected_before_the_body_ends(
    call: Call, tmp_path: Path
) -> None:
    image = tmp_path / "big.png"
    image.write_bytes(PNG_1X1 + bytes(SIZE - len(PNG_1X1)))
    with RewritingServer(image) as server, pytest.raises(InvalidRequestError) as caught:
        call(
            "variations",
            {"model": "openai/dall-e-2", "image": image},
            server_url=server.url,
            retry_config=RetryConfig(max_retries=2, backoff_initial=0.01, jitter=0.0),
        )
    assert caught.value.field == "image"
    assert str(image) in str(caught.value)
    assert "changed" in str(caught.value)
    assert server.complete_bodies == 0
