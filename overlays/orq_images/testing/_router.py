"""LocalRouter: every operation of the API spec (openapi.yaml), served from this process."""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .._spec import Operation, operations
from ._answers import Answer, ImageService, error_answer
from ._faults import Fault, FaultQueue
from ._handler import Handled, Received, RouterServer
from ._log import LoggedRequest, RequestLog, UploadedFile
from ._multipart import FormPart
from ._requests import RequestError, check, parse
from ._routing import ModelBoard, ModelFailure

_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_FILES = "/files/"


def _uploads(files: Mapping[str, FormPart | list[FormPart]]) -> tuple[UploadedFile, ...]:
    return tuple(
        UploadedFile(name, part.filename or "", part.content_type, len(part.value))
        for name, given in files.items()
        for part in (given if isinstance(given, list) else [given])
    )


class LocalRouter:
    """A real HTTP server on 127.0.0.1 that answers like orq's image router.

    It serves every operation of the API spec (generations, variations, edits),
    checks each request against the spec, and answers with real PNGs, as base64
    or as URLs it serves itself under /files/. Errors come in orq's shape,
    `{"error": {"message", "type", "code", "param"}}`, which orq-ai-sdk reads too.

    `with LocalRouter() as router:` serves on an ephemeral port from a
    background thread; give `router.url` to a client as its server_url. Any
    bearer token is accepted, unless `api_key` is given: then any other token
    gets a 401.

    `failing_models` makes models fail, to exercise fallbacks, load balancing
    and retries: model names (failing with 503), or a mapping of name to a
    status code or a ModelFailure. `latency` is the time each model call takes,
    in seconds; a request's `timeout.call_timeout` below it fails that call
    with 504.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        failing_models: Iterable[str] | Mapping[str, int | ModelFailure] | None = None,
        latency: float = 0.0,
        api_key: str | None = None,
    ) -> None:
        self._port = port
        self._api_key = api_key
        self._board = ModelBoard()
        if isinstance(failing_models, Mapping):
            for model, how in failing_models.items():
                self.fail_model(model, how if isinstance(how, ModelFailure) else ModelFailure(how))
        else:
            for model in failing_models or ():
                self.fail_model(model)
        self._faults = FaultQueue()
        self._log = RequestLog()
        self._stopping = threading.Event()
        self._service = ImageService(self._board, latency, self._stopping)
        self._operations = {op.path: op for op in operations().values()}
        self._server: RouterServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> LocalRouter:
        if self._server is not None:
            raise RuntimeError("this LocalRouter is already running")
        self._stopping.clear()
        server = RouterServer(
            ("127.0.0.1", self._port),
            dispatch=self._dispatch,
            describe=self._describe,
            faults=self._faults,
            log=self._log,
            stopping=self._stopping,
        )
        self._server = server
        # A short poll interval lets stop() return within a few milliseconds.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"LocalRouter {self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> LocalRouter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("start the LocalRouter first (or use it in a `with` block)")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give a client as its server_url."""
        return f"http://127.0.0.1:{self.port}"

    # What tests steer and inspect

    def queue_fault(
        self,
        status: int = 500,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
        delay: float = 0.0,
        drop_connection: bool = False,
    ) -> None:
        """Answer the next request (not yet answered by an earlier fault) with this instead.

        `headers` such as Retry-After are sent as given; `body` defaults to the
        error schema; `delay` waits first; `drop_connection` resets the
        connection without answering.
        """
        self._faults.put(Fault(status, dict(headers or {}), body, delay, drop_connection))

    @property
    def pending_faults(self) -> int:
        return len(self._faults)

    def fail_model(self, model: str, failure: ModelFailure | None = None) -> None:
        """Make calls to `model` fail (with 503 unless `failure` says otherwise)."""
        self._board.fail(model, failure or ModelFailure())

    def heal_model(self, model: str) -> None:
        self._board.heal(model)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request answered so far, oldest first (a copy)."""
        return self._log.snapshot()

    def clear_requests(self) -> None:
        self._log.clear()

    # Request handling, called from the server's threads

    def _authorized(self, header: str | None) -> bool:
        match = _BEARER.match(header or "")
        if match is None:
            return False
        return self._api_key is None or hmac.compare_digest(match[1], self._api_key)

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Handled:
        path = urlsplit(target).path
        if path.startswith(_FILES):
            return Handled(self._file(method, path.removeprefix(_FILES)))
        operation = self._operations.get(path)
        if operation is None:
            return Handled(error_answer(404, f"no such path: {path}", "not_found"))
        if method != operation.method:
            return Handled(
                error_answer(
                    405,
                    f"{method} is not allowed on {path}; use {operation.method}",
                    "method_not_allowed",
                    {"Allow": operation.method},
                )
            )
        if not self._authorized(headers.get("authorization")):
            return Handled(
                error_answer(
                    401,
                    "authorization: send `Authorization: Bearer <your orq API key>`",
                    "unauthorized",
                    {"WWW-Authenticate": "Bearer"},
                )
            )
        return self._image_request(operation, headers, body)

    def _image_request(self, operation: Operation, headers: dict[str, str], body: bytes) -> Handled:
        try:
            parsed = parse(operation, headers.get("content-type", ""), body)
        except RequestError as exc:
            return Handled(error_answer(exc.status, exc.message, exc.code, param=exc.param))
        received = Received(parsed.fields, _uploads(parsed.files))
        try:
            request = check(operation, parsed)
        except RequestError as exc:
            refused = error_answer(exc.status, exc.message, exc.code, param=exc.param)
            return Handled(refused, received)
        return Handled(self._service.answer(operation, request, self.url), received)

    def _describe(self, target: str, headers: dict[str, str], body: bytes) -> Received:
        operation = self._operations.get(urlsplit(target).path)
        if operation is None:
            return Received()
        try:
            parsed = parse(operation, headers.get("content-type", ""), body)
        except RequestError:
            return Received()
        return Received(parsed.fields, _uploads(parsed.files))

    def _file(self, method: str, name: str) -> Answer:
        if method not in ("GET", "HEAD"):
            return error_answer(
                405,
                f"{method} is not allowed on files; use GET",
                "method_not_allowed",
                {"Allow": "GET, HEAD"},
            )
        content = self._service.files.get(name)
        if content is None:
            return error_answer(
                404, f"no such file: {name} (files expire after an hour)", "not_found"
            )
        return Answer(200, content, {"Content-Type": "image/png"})
