"""A scriptable HTTP server on 127.0.0.1 for wire and fault tests.

It records every request exactly as received (headers and raw body bytes) and
answers from a queue of scripted replies, falling back to a default reply.
Multipart bodies are read with the `multipart` library, a parser independent
of the SDK. Nothing here imports orq_images.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any, Literal

import multipart

Action = Literal[
    "reply", "reset", "reset_mid_body", "reset_mid_response", "hang", "drip", "endless"
]


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    value: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.value.decode("utf-8")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    received_at: float
    client_port: int  # tells the client's connections apart
    header_names: list[str]  # as sent, repeats included

    def json(self) -> Any:
        return json.loads(self.body)

    def parts(self) -> list[Part]:
        """The multipart/form-data parts, parsed by the independent `multipart` library."""
        content_type = self.headers["content-type"]
        _, options = multipart.parse_options_header(content_type)
        parser = multipart.MultipartParser(
            BytesIO(self.body),
            options["boundary"],
            strict=True,
            memory_limit=2**31,
            spool_limit=2**31,
        )
        found = []
        for part in parser:
            found.append(
                Part(
                    name=part.name,
                    filename=part.filename or None,
                    content_type=part.headers.get("Content-Type"),
                    value=part.raw,
                    headers={k.lower(): v for k, v in part.headers.items()},
                )
            )
        return found

    def form(self) -> dict[str, Part]:
        """Parts by name; fails on a repeated name, which a well-formed request never has."""
        parts = self.parts()
        names = [p.name for p in parts]
        assert len(names) == len(set(names)), f"repeated parts: {names}"
        return {p.name: p for p in parts}


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    action: Action = "reply"
    # Headers sent after `headers`, repeats allowed (Set-Cookie, say).
    more_headers: list[tuple[str, str]] = field(default_factory=list)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        return self.body, headers


def _reset(handler: BaseHTTPRequestHandler) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN. The handler's
    # rfile holds a reference that keeps the socket open through close(), so it goes
    # first; and the handler must not wait for another request on the dead connection.
    handler.close_connection = True
    handler.rfile.close()
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _HTTPServer(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: many clients connecting at once would
    # overflow it and get their connections reset.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are what many tests do on purpose;
        # socketserver would print a traceback for each, after the test, into the run's
        # output. Any other failure still prints one.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """`with LoopbackServer() as server:` then point a client at `server.url`.

    It listens on 127.0.0.1 and a free port, or on the `host` and `port` given.
    `respond`, if given, makes the reply to each request the queue does not answer,
    from the request as received (a reply that echoes what was sent, say).
    """

    def __init__(
        self,
        default: Reply | None = None,
        respond: Callable[[RecordedRequest], Reply] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.default = default or Reply(200, {"created": 1, "data": []})
        self.respond = respond
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0  # requests received and not yet answered
        self.peak_in_flight = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _HTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def _read_body(self, reply: Reply) -> bytes | None:
                length = int(self.headers.get("Content-Length") or 0)
                if reply.action == "reset_mid_body":
                    self.rfile.read(min(length, 1024))
                    _reset(self)
                    return None
                return self.rfile.read(length)

            def _handle(self) -> None:
                reply = server._next_reply()
                body = self._read_body(reply)
                if body is None:
                    return
                recorded = RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    received_at=time.monotonic(),
                    client_port=self.client_address[1],
                    header_names=list(self.headers.keys()),
                )
                if reply is server.default and server.respond is not None:
                    reply = server.respond(recorded)
                with server._lock:
                    server.requests.append(recorded)
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    self._answer(reply)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, reply: Reply) -> None:
                if reply.action == "reset":
                    _reset(self)
                    return
                if reply.action == "hang":
                    server._stop.wait(60)
                    self.close_connection = True
                    return
                if reply.delay:
                    server._stop.wait(reply.delay)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                payload, headers = reply.encoded()
                if reply.action == "endless":
                    self._send_endless(reply.status, headers, payload or b"x" * 65536)
                    return
                self.send_response(reply.status)
                for name, value in [*headers.items(), *reply.more_headers]:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if reply.action == "reset_mid_response":
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    _reset(self)
                    return
                if reply.action == "drip":
                    for chunk in _chunks(payload, 16):
                        if server._stop.wait(0.2):
                            return
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    return
                self.wfile.write(payload)

            def _send_endless(self, status: int, headers: dict[str, str], chunk: bytes) -> None:
                # A chunked body that never ends: `chunk` again and again, until the
                # client goes away or the server stops.
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.close_connection = True
                framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
                while not server._stop.is_set():
                    try:
                        self.wfile.write(framed)
                    except OSError:
                        return

        return Handler


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
