"""The benchmark's HTTP server: canned answers from a separate process.

A few hundred lines of httpx or http.server per request would make the server
the bottleneck and, in the same process, pollute the client's CPU figures. So
this is a minimal keep-alive server on asyncio that reads each request
(Content-Length or chunked), throws the body away as it arrives, and answers
with prebuilt bytes chosen by the path:

    .../images/generations   a generations response
    .../images/variations    a variations response
    .../images/edits         an edits response
    /flaky/...               every other request is a 503 asking for an immediate
                             retry (retry-after-ms: 0), the others as above

It speaks HTTP/1.1, and HTTP/2 with prior knowledge (h2c) to a client whose
first bytes are the HTTP/2 preface, when the `h2` package is installed. Each
connection is a protocol object on one event loop: a thousand idle keep-alive
connections cost nothing, and the listen backlog takes bursts of new ones (a
client without a pool limit opens one per call in flight: 1024 and more).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from benchmarks import payloads

FLAKY_PREFIX = "/flaky"
REPO_ROOT = Path(__file__).resolve().parent.parent


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    body: bytes
    extra: tuple[tuple[str, str], ...] = ()

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("content-type", "application/json"),
            *self.extra,
            ("content-length", str(len(self.body))),
        ]

    @cached_property
    def http1(self) -> bytes:
        head = [f"HTTP/1.1 {self.status} {self.reason}"]
        head += [f"{name}: {value}" for name, value in self.headers()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


@dataclass
class _Answers:
    generation: _Answer
    variation: _Answer
    edit: _Answer
    unavailable: _Answer
    not_found: _Answer
    flaky_seen: int = 0  # one count for all connections: a retry may come on a new one

    def choose(self, path: str) -> _Answer:
        if path.startswith(FLAKY_PREFIX):
            self.flaky_seen += 1
            if self.flaky_seen % 2:
                return self.unavailable
        if path.endswith("/images/generations"):
            return self.generation
        if path.endswith("/images/variations"):
            return self.variation
        if path.endswith("/images/edits"):
            return self.edit
        return self.not_found


def _answers() -> _Answers:
    return _Answers(
        generation=_Answer(200, "OK", payloads.generation_response()),
        variation=_Answer(200, "OK", payloads.variation_response()),
        edit=_Answer(200, "OK", payloads.variation_response()),
        unavailable=_Answer(
            503,
            "Service Unavailable",
            b'{"message":"try again"}',
            (("retry-after-ms", "0"),),
        ),
        not_found=_Answer(404, "Not Found", b'{"message":"no such path"}'),
    )


class _Connection(asyncio.Protocol):
    """One client connection: a small state machine over the bytes received."""

    def __init__(self, answers: _Answers) -> None:
        self.answers = answers
        self.h2: _Http2 | None = None
        self.first = True
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
        if self.h2 is not None:
            self.h2.received(data)
            return
        if self.first:
            self.first = False
            if data.startswith(H2_PREFACE[:16]):
                assert self.transport is not None
                self.h2 = _Http2(self.transport, self.answers)
                self.h2.received(data)
                return
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
        self.transport.write(self.answers.choose(self.path).http1)


class _Http2:
    """One h2c connection: answers each stream once its request has ended."""

    def __init__(self, transport: asyncio.Transport, answers: _Answers) -> None:
        from h2.config import H2Configuration  # only when a client speaks h2
        from h2.connection import H2Connection

        self.transport = transport
        self.answers = answers
        self.paths: dict[int, str] = {}
        self.pending: dict[int, memoryview] = {}  # answer bytes waiting for flow control
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="latin-1"))
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(2**30)
        self.flush()

    def received(self, data: bytes) -> None:
        from h2 import events

        for event in self.conn.receive_data(data):
            if isinstance(event, events.RequestReceived):
                self.paths[event.stream_id] = dict(event.headers)[":path"]
            elif isinstance(event, events.DataReceived):
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, events.StreamEnded):
                self.answer(event.stream_id)
            elif isinstance(event, events.WindowUpdated):
                for stream_id in list(self.pending):
                    self.send_body(stream_id)
            elif isinstance(event, events.StreamReset):
                self.pending.pop(event.stream_id, None)
        self.flush()

    def answer(self, stream_id: int) -> None:
        answer = self.answers.choose(self.paths.pop(stream_id))
        self.conn.send_headers(stream_id, [(":status", str(answer.status)), *answer.headers()])
        self.pending[stream_id] = memoryview(answer.body)
        self.send_body(stream_id)

    def send_body(self, stream_id: int) -> None:
        rest = self.pending[stream_id]
        while rest:
            size = min(
                len(rest),
                self.conn.local_flow_control_window(stream_id),
                self.conn.max_outbound_frame_size,
            )
            if size <= 0:
                self.pending[stream_id] = rest
                return
            self.conn.send_data(stream_id, bytes(rest[:size]))
            rest = rest[size:]
        del self.pending[stream_id]
        self.conn.end_stream(stream_id)

    def flush(self) -> None:
        outgoing = self.conn.data_to_send()
        if outgoing:
            self.transport.write(outgoing)


async def _serve() -> None:
    answers = _answers()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(answers), "127.0.0.1", 0, backlog=4096)
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
