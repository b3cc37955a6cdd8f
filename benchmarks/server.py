"""The benchmark's HTTP server: canned answers from a separate process.

A few hundred lines of httpx or http.server per request would make the server
the bottleneck and, in the same process, pollute the client's CPU figures. So
this is a minimal HTTP/1.1 keep-alive server on asyncio that reads each request
(Content-Length or chunked), throws the body away as it arrives, and answers
with prebuilt bytes chosen by the path:

    .../images/generations   a generations response
    .../images/variations    a variations response
    /flaky/...               every other request is a 503 asking for an immediate
                             retry (retry-after-ms: 0), the others as above
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks import payloads

FLAKY_PREFIX = "/flaky"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _response(status: str, body: bytes, *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", *extra]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass(frozen=True)
class _Answers:
    generation: bytes
    variation: bytes
    unavailable: bytes
    not_found: bytes


def _answers() -> _Answers:
    return _Answers(
        generation=_response("200 OK", payloads.generation_response()),
        variation=_response("200 OK", payloads.variation_response()),
        unavailable=_response(
            "503 Service Unavailable", b'{"message":"try again"}', "retry-after-ms: 0"
        ),
        not_found=_response("404 Not Found", b'{"message":"no such path"}'),
    )


class _Connection(asyncio.Protocol):
    """One client connection: a small state machine over the bytes received."""

    flaky_count = 0  # shared by all connections: retries may come on a new one

    def __init__(self, answers: _Answers) -> None:
        self.answers = answers
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.path = ""
        self.state = "head"  # head | body | chunk_size | chunk_data | chunk_end | trailer
        self.remaining = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.state == "body" and not self.buffer and len(data) <= self.remaining:
            # The common case of a large upload: count the bytes, never store them.
            self.remaining -= len(data)
            if self.remaining == 0:
                self._answer()
            return
        self.buffer += data
        while self._step():
            pass

    def _step(self) -> bool:
        if self.state == "head":
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            self._start(bytes(self.buffer[:end]))
            del self.buffer[: end + 4]
            return True
        if self.state in ("body", "chunk_data"):
            taken = min(self.remaining, len(self.buffer))
            del self.buffer[:taken]
            self.remaining -= taken
            if self.remaining:
                return False
            if self.state == "body":
                self._answer()
            else:
                self.state = "chunk_end"
            return True
        line_end = self.buffer.find(b"\r\n")
        if line_end < 0:
            return False
        line = bytes(self.buffer[:line_end])
        del self.buffer[: line_end + 2]
        if self.state == "chunk_size":
            self.remaining = int(line.split(b";")[0], 16)
            self.state = "chunk_data" if self.remaining else "trailer"
        elif self.state == "chunk_end":
            self.state = "chunk_size"
        elif not line:  # the empty line that ends the trailer
            self._answer()
        return True

    def _start(self, head: bytes) -> None:
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.path = request_line.split(" ")[1]
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            self.state = "chunk_size"
            return
        # A body of 0 bytes is answered by the next step, like any other body.
        self.remaining = int(headers.get("content-length", "0"))
        self.state = "body"

    def _answer(self) -> None:
        self.state = "head"
        assert self.transport is not None
        self.transport.write(self._choose())

    def _choose(self) -> bytes:
        answers = self.answers
        if self.path.startswith(FLAKY_PREFIX):
            _Connection.flaky_count += 1
            if _Connection.flaky_count % 2:
                return answers.unavailable
        if self.path.endswith("/images/generations"):
            return answers.generation
        if self.path.endswith("/images/variations"):
            return answers.variation
        return answers.not_found


async def _serve() -> None:
    answers = _answers()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(answers), "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    # The parent closes our stdin to stop the server (or dies, which closes it too).
    await loop.run_in_executor(None, sys.stdin.buffer.read)


class BenchServer:
    """`with BenchServer() as server:` runs the server in its own process at `server.url`."""

    def __init__(self) -> None:
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BenchServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdout is not None
        port = self._process.stdout.readline().strip()
        if not port.isdigit():
            self.__exit__()
            raise RuntimeError("the benchmark server did not start")
        self.url = f"http://127.0.0.1:{int(port)}"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    asyncio.run(_serve())
