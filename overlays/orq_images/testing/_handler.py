"""The HTTP side of LocalRouter: read a request, apply a queued fault or answer it, log it.

Bodies may come with Content-Length or chunked; anything over the size limit
is refused with 413 before it is read, and the connection closed.
"""

from __future__ import annotations

import logging
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._answers import Answer, error_answer
from ._faults import Fault, FaultQueue
from ._log import LoggedRequest, RequestLog, UploadedFile, redact

logger = logging.getLogger("orq_images.testing")

# The largest upload the API takes, plus room for the other fields of the form.
MAX_BODY = 51 * 1024 * 1024
_LINE_LIMIT = 65536


@dataclass(frozen=True)
class Received:
    """What the log records of a request's body: its parsed fields and uploaded files."""

    body: Any = None
    files: tuple[UploadedFile, ...] = ()


@dataclass(frozen=True)
class Handled:
    answer: Answer
    received: Received = Received()


Dispatch = Callable[[str, str, dict[str, str], bytes], Handled]
Describe = Callable[[str, dict[str, str], bytes], Received]


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RouterServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of clients connecting at once
    # overflows it, and the kernel resets connections a client already wrote to.
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        *,
        dispatch: Dispatch,
        describe: Describe,
        faults: FaultQueue,
        log: RequestLog,
        stopping: threading.Event,
    ) -> None:
        super().__init__(address, RouterHandler)
        self.dispatch = dispatch
        self.describe = describe
        self.faults = faults
        self.log = log
        self.stopping = stopping
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def track(self, sock: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            if is_open:
                self._open.add(sock)
            else:
                self._open.discard(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone mid-request or mid-answer is routine (a cancelled call, a killed
        test): logged at DEBUG, where socketserver would print a traceback on stderr.
        Anything else is a fault of the router's, logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            logger.debug("client %s went away: %r", client_address, error)
        else:
            logger.exception("LocalRouter failed while serving %s", client_address)

    def close_connections(self) -> None:
        """End idle keep-alive connections, whose threads would otherwise wait for a request."""
        with self._open_lock:
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    continue


class RouterHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "orq-images-LocalRouter"
    sys_version = ""
    server: RouterServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK hold the body back for ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler looks up `do_<METHOD>`; every method, TRACE or made-up ones
        # included, goes to _handle, which answers 405 with the error body where it does not fit.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _handle(self) -> None:
        started = time.monotonic()
        self._request_id = "req_" + secrets.token_hex(12)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            body = self._read_body()
        except BodyError as exc:
            self.close_connection = True
            self._finish(
                headers, started, Handled(error_answer(exc.status, exc.message, "bad_body"))
            )
            return
        fault = self.server.faults.take()
        if fault is not None:
            self._answer_fault(fault, headers, body, started)
            return
        try:
            handled = self.server.dispatch(self.command, self.path, headers, body)
        except Exception as exc:
            logger.exception("LocalRouter failed on %s %s", self.command, self.path)
            handled = Handled(error_answer(500, f"LocalRouter failed: {exc!r}", "router_error"))
        self._finish(headers, started, handled)

    def _answer_fault(
        self, fault: Fault, headers: dict[str, str], body: bytes, started: float
    ) -> None:
        described = self.server.describe(self.path, headers, body)
        stopped = bool(fault.delay) and self.server.stopping.wait(fault.delay)
        if fault.drop_connection or stopped:
            self._log(headers, started, described, None, fault=True)
            # A zero linger time makes close() send RST: the client sees a reset, not an answer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        payload, extra = fault.payload()
        answer = Answer(fault.status, payload, extra)
        self._log(headers, started, described, answer, fault=True)
        self._send(answer)

    def _finish(self, headers: dict[str, str], started: float, handled: Handled) -> None:
        self._log(headers, started, handled.received, handled.answer, fault=False)
        self._send(handled.answer)

    def _log(
        self,
        headers: dict[str, str],
        started: float,
        received: Received,
        answer: Answer | None,
        *,
        fault: bool,
    ) -> None:
        status = answer.status if answer else None
        response_headers = {k.lower(): v for k, v in answer.headers.items()} if answer else {}
        if answer:
            response_headers["x-request-id"] = self._request_id
        self.server.log.add(
            LoggedRequest(
                method=self.command,
                path=self.path,
                headers=redact(headers),
                body=received.body,
                files=received.files,
                status=status,
                response_headers=response_headers,
                duration=time.monotonic() - started,
                fault=fault,
            )
        )
        logger.info("%s %s -> %s", self.command, self.path, status or "connection dropped")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise BodyError(400, "content-length: not a number") from None
        if length > MAX_BODY:
            raise BodyError(413, f"body: {length} bytes is above the limit of {MAX_BODY}")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_LINE_LIMIT)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BodyError(400, "body: malformed chunked encoding") from None
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise BodyError(413, f"body: more than the limit of {MAX_BODY} bytes")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(_LINE_LIMIT)
        # Trailer fields, if any, end with an empty line.
        while self.rfile.readline(_LINE_LIMIT) not in (b"\r\n", b"\n", b""):
            continue
        return b"".join(chunks)

    def _send(self, answer: Answer) -> None:
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("x-request-id", self._request_id)
            self.send_header("Content-Length", str(len(answer.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
