"""Sending one request the SDK makes: retries and each attempt's deadline, written once.

`attempts()` is the whole policy, a generator of actions in the manner of
httpx's auth flows: send the request, receive the answer's body into a sink
(one that drops it, for an answer that will be retried), wait. `drive()` and
`adrive()` perform those actions with an `httpx2.Client` or an
`httpx2.AsyncClient`. Any flow made of them (a download following redirects is
one) runs on both. Every body is read through `_reading.BodyReader`, bounded,
and every answer a flow was given is closed when the flow ends, however it ends,
so that no error can keep a pooled connection.

All attempts of one request carry the same headers (its Idempotency-Key among
them), but for RETRY_COUNT_HEADER, which counts the retries.

The client is used as it is: nothing is wrapped or replaced, so an application
sharing its `http_client` with the SDK keeps its own requests, streams and
proxies exactly as they were, and two SDK clients sharing one keep their own
policies.

Each attempt gets its own time budget, the read timeout of the call (timeout_ms):
- async: the attempt runs inside an asyncio timeout;
- sync: the budget is carried in the request's "timeout" extension as a
  `Deadline`, which httpcore reads at the start of each phase (waiting for a
  pooled connection, connecting, sending, waiting for the headers, reading the
  body), so each phase is bounded by what is left; the body streams both ways
  check it between chunks, so a server that trickles its answer or reads the
  upload slowly cannot stretch the attempt either. While an attempt runs it is
  also ATTEMPT_DEADLINE, which the sockets of the SDK's own clients obey on every
  wait (see _deadline_sockets), so even headers sent a byte at a time are cut off.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

import httpx2

from ._api_key import KEY_EXTENSION
from ._cookies import take_back
from ._exceptions import OrqError, incomplete
from ._httpx2_internals import body_in_hand, set_body
from ._reading import BodyReader
from ._retry import RETRY_COUNT_HEADER, RETRY_EXTENSION, RetryConfig, next_delay, succeeded

if TYPE_CHECKING:  # protocols for type checkers only: they would cost milliseconds at import

    class Sink(Protocol):
        """Where an answer's body goes, decoded, chunk by chunk; `write` may refuse with an
        OrqError.

        It takes at most `limit` bytes. `done` is called once the body is complete, or
        once reading stopped early because `refuse(problem)` returned None (the body is
        over the limit or does not decode): `refuse` gives the error to raise instead,
        or None to keep what arrived.
        """

        limit: int

        def write(self, chunk: bytes) -> None: ...

        def done(self) -> None: ...

        def refuse(self, problem: str) -> OrqError | None: ...

    class Body(Protocol):
        """What a flow does with final answers: `open` gives a fresh sink for each answer
        to read (it may refuse the answer by raising), or None to drop the body.
        `limit` is the client's max_response_bytes."""

        limit: int

        def open(self, response: httpx2.Response) -> Sink | None: ...

    class AsyncSender(Protocol):
        """What performs a flow's HTTP actions (Send, Receive) in place of httpx2."""

        def _perform(self, action: Send | Receive) -> Awaitable[Any]: ...


logger = logging.getLogger("orq_images")

# An answer that is not wanted is read up to this size before the retry, so that
# its connection goes back to the pool and the retry does not pay for a new
# connection (and TLS); a larger one is cut off, and its connection closed. An
# error answer keeps as much for its message.
_DRAIN_LIMIT = 64 * 1024
# Methods whose request does nothing more when sent twice: re-sent after any failure.
_IDEMPOTENT = frozenset({"GET", "HEAD"})
# A socket timeout of 0 means "do not wait at all" (and fails differently); an
# attempt whose budget is spent gets this instead, and times out at once.
_SPENT = 0.001
Chunk = bytes | memoryview  # a piece of an upload: slices of a caller's buffer are not copied

# The most of an upload written before the attempt's deadline is looked at again,
# where nothing else watches it (a caller's own sync client): a reader taking 320 KB/s
# stretches an attempt by 0.4 s at most.
WRITE_SIZE = 128 * 1024


def sliced(chunks: Iterable[Chunk], size: int) -> Iterator[Chunk]:
    """The chunks, any longer than `size` bytes cut into memoryview slices (not copied)."""
    for chunk in chunks:
        if len(chunk) <= size:
            yield chunk
        else:
            view = memoryview(chunk)
            for start in range(0, len(view), size):
                yield view[start : start + size]


class Deadline(Mapping[str, float | None]):
    """One attempt's timeouts, as httpcore reads them: each phase's own, capped by the time left.

    `limits` is httpx's timeout dict (connect, read, write, pool); `total`
    seconds bound the attempt as a whole, or None for no bound.
    """

    __slots__ = ("_limits", "at")

    def __init__(self, limits: Mapping[str, float | None], total: float | None) -> None:
        self._limits = limits
        self.at = None if total is None else time.monotonic() + total

    def remaining(self) -> float | None:
        return None if self.at is None else max(self.at - time.monotonic(), _SPENT)

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def get(self, phase: str, default: float | None = None) -> float | None:  # type: ignore[override]
        # What httpcore calls, once per phase of every request: Mapping.get would
        # go through __getitem__ and a KeyError handler.
        limits = self._limits
        if phase not in limits:
            return default
        limit = limits[phase]
        left = self.remaining()
        if left is None:
            return limit
        return left if limit is None or limit > left else limit

    def __getitem__(self, phase: str) -> float | None:
        if phase not in self._limits:
            raise KeyError(phase)
        return self.get(phase)

    def __iter__(self) -> Iterator[str]:
        return iter(self._limits)

    def __len__(self) -> int:
        return len(self._limits)


# The deadline of the attempt `drive` is running in this thread, if any.
ATTEMPT_DEADLINE: ContextVar[Deadline | None] = ContextVar("ATTEMPT_DEADLINE", default=None)


def _timeout(
    error: type[httpx2.TimeoutException], request: httpx2.Request
) -> httpx2.TimeoutException:
    return error("the attempt took longer than its timeout", request=request)


class _UploadWithDeadline(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A request body that stops with WriteTimeout once its attempt's deadline has passed.

    Its chunks go out as they are on the SDK's own sync connections, whose every socket
    wait stops at the deadline (`drive` sets `capped_sockets`); elsewhere they are cut to
    WRITE_SIZE, so that the deadline is looked at between writes.

    `whole` tells whether the transport took all of it: if not, the server cannot have
    received the whole request, whatever error the transport reports (httpcore reports
    a reset mid-upload as a ReadError, after looking for an answer).
    """

    capped_sockets = False

    def __init__(self, stream: Any, deadline: Deadline, request: httpx2.Request) -> None:
        self._stream = stream
        self._deadline = deadline
        self._request = request
        self.whole = False

    def __iter__(self) -> Iterator[bytes]:
        # Chunks may be memoryview slices: see MultipartStream.__iter__.
        chunks = self._stream if self.capped_sockets else sliced(self._stream, WRITE_SIZE)
        for chunk in chunks:
            if self._deadline.expired():
                raise _timeout(httpx2.WriteTimeout, self._request)
            yield chunk  # type: ignore[misc]
        self.whole = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # The asyncio timeout around the attempt bounds the async upload.
        async for chunk in self._stream:
            yield chunk
        self.whole = True


# The actions are plain classes: dataclasses would cost milliseconds at import.


class Send:
    """Send the request; the outcome is the answer, headers read, body not yet."""

    __slots__ = ("deadline", "request")

    def __init__(self, request: httpx2.Request, deadline: Deadline) -> None:
        self.request = request
        self.deadline = deadline


class Receive:
    """Read the answer's body into the sink, then close the answer."""

    __slots__ = ("deadline", "response", "sink")

    def __init__(self, response: httpx2.Response, sink: Sink, deadline: Deadline) -> None:
        self.response = response
        self.sink = sink
        self.deadline = deadline


class Wait:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Resolve:
    """Look a host name up within `seconds`; the outcome is the list of its addresses,
    or the OSError that says why there is none (TimeoutError past `seconds`)."""

    __slots__ = ("host", "port", "seconds")

    def __init__(self, host: str, port: int, seconds: float | None) -> None:
        self.host = host
        self.port = port
        self.seconds = seconds


class Pin:
    """The addresses `host` was checked at, which its connection must use (_pinned_addresses).

    `host` is as the connection gets it: IDNA, no brackets.
    """

    __slots__ = ("addresses", "host", "port")

    def __init__(self, host: str, port: int, addresses: tuple[str, ...]) -> None:
        self.host = host
        self.port = port
        self.addresses = addresses

    def applies(self, host: str, port: int) -> bool:
        return port == self.port and host.lower() == self.host.lower()


# A request's Pin, set by the flow that checked its host (a download).
PIN_EXTENSION = "orq_images.pin"
# The pin of the attempt being sent in this thread or task, if any.
PINNED: ContextVar[Pin | None] = ContextVar("PINNED", default=None)


Action = Send | Receive | Wait | Resolve
Flow = Generator[Action, Any, httpx2.Response]


def _log_retry(request: httpx2.Request, retry_number: int, delay: float, why: str) -> None:
    logger.info(
        "Retrying %s %s in %.2f s (retry %d): %s",
        request.method,
        request.url.path,
        delay,
        retry_number + 1,
        why,
    )


def attempts(request: httpx2.Request, default_retry: RetryConfig, body: Body) -> Flow:
    """Send `request` until an answer is final, and receive that answer's body.

    The retry policy is the request's RETRY_EXTENSION or `default_retry`; the
    attempt budget is the read timeout of its "timeout" extension. A success is
    never sent again: if its body breaks off, IncompleteResponseError is raised
    (unless the method is idempotent: a download's GET is fetched again).
    """
    extension = request.extensions.get(RETRY_EXTENSION)
    config = extension if isinstance(extension, RetryConfig) else default_retry
    limits: Mapping[str, float | None] = request.extensions.get("timeout") or {}
    upload = request.stream
    drain_limit = min(_DRAIN_LIMIT, body.limit)
    idempotent = request.method in _IDEMPOTENT
    retry_number = 0
    while True:
        deadline = Deadline(limits, limits.get("read"))
        request.extensions["timeout"] = deadline
        streamed = None
        if not isinstance(upload, httpx2.ByteStream):  # a one-chunk body needs no checks
            request.stream = streamed = _UploadWithDeadline(upload, deadline, request)
        if retry_number:
            request.headers[RETRY_COUNT_HEADER] = str(retry_number)
        try:
            response: httpx2.Response = yield Send(request, deadline)
        except httpx2.TransportError as exc:
            # An upload cut off before its end never reached the server whole.
            unsent = streamed is not None and not streamed.whole
            delay = next_delay(
                config, retry_number, error=exc, idempotent=idempotent, unsent=unsent
            )
            if delay is None:
                raise
            why = type(exc).__name__
        else:
            delay = next_delay(config, retry_number, response=response)
            if delay is not None:
                why = f"status {response.status_code}"
                yield from _drain(response, drain_limit, deadline)
            else:
                broken = yield from _final(response, body, deadline, drain_limit)
                if broken is None:
                    return response
                if not idempotent:
                    raise incomplete(response, broken) from broken
                delay = next_delay(config, retry_number, error=broken, idempotent=True)
                if delay is None:
                    raise broken
                why = type(broken).__name__
        _log_retry(request, retry_number, delay, why)
        yield Wait(delay)
        retry_number += 1


def _final(
    response: httpx2.Response, body: Body, deadline: Deadline, drain_limit: int
) -> Generator[Action, Any, httpx2.TransportError | None]:
    """Receive a final answer's body; the error if a success's body broke off, else None."""
    try:
        sink = body.open(response)
    except BaseException:
        yield from _drain(response, drain_limit, deadline)
        raise
    if sink is None:
        yield from _drain(response, drain_limit, deadline)
        return None
    try:
        yield Receive(response, sink, deadline)
    except httpx2.TransportError as exc:
        if response.is_success:
            return exc
        # An error status says what happened; its body is what arrived of it.
    return None


def _drain(
    response: httpx2.Response, limit: int, deadline: Deadline
) -> Generator[Action, Any, None]:
    """Read an unwanted answer (up to `limit` bytes) so its connection can serve again."""
    # On a failure, what happens next is decided already; the connection closes with the answer.
    with contextlib.suppress(httpx2.TransportError):
        yield Receive(response, Dropped(limit), deadline)


class Dropped:
    """A sink that keeps nothing: up to `limit` bytes are read, then the answer is cut off."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def write(self, chunk: bytes) -> None:
        pass

    def done(self) -> None:
        pass

    def refuse(self, problem: str) -> None:
        return None


class ErrorBody:
    """An error answer's first bytes (at most `limit`, and 64 KiB), enough for its message.

    The rest is not read.
    """

    __slots__ = ("_kept", "_response", "limit")

    def __init__(self, response: httpx2.Response, limit: int) -> None:
        self._response = response
        self._kept = bytearray()
        self.limit = min(limit, _DRAIN_LIMIT)

    def write(self, chunk: bytes) -> None:
        self._kept += chunk

    def done(self) -> None:
        set_body(self._response, bytes(self._kept))

    def refuse(self, problem: str) -> None:
        return None  # what arrived is the message


def _lookup(action: Resolve) -> list[str]:
    try:
        found = socket.getaddrinfo(action.host, action.port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise OSError(f"not a name that can be looked up ({exc})") from None
    return [str(info[4][0]) for info in found]


def _look_up_in_thread(action: Resolve, done: Callable[[list[str] | OSError], None]) -> None:
    """Runs the look-up in a daemon thread of its own, which hands `done` its outcome.

    getaddrinfo cannot be interrupted: one that never answers is left behind and
    counts as failed once the budget is spent. Not the loop's executor, which
    asyncio.run waits for on its way out: a hung look-up would hang the program.
    """

    def look_up() -> None:
        try:
            outcome: list[str] | OSError = _lookup(action)
        except OSError as exc:
            outcome = exc
        done(outcome)

    threading.Thread(target=look_up, name="orq-images look-up", daemon=True).start()


def _lookup_within(action: Resolve) -> list[str] | OSError:
    """The look-up, waited for at most `action.seconds`."""
    outcome: list[list[str] | OSError] = []
    answered = threading.Event()

    def done(result: list[str] | OSError) -> None:
        outcome.append(result)
        answered.set()

    _look_up_in_thread(action, done)
    answered.wait(action.seconds)
    return outcome[0] if outcome else _lookup_timeout(action)


def _lookup_timeout(action: Resolve) -> TimeoutError:
    return TimeoutError(f"no answer within the {action.seconds:.3g} s timeout")


class MemoryBody:
    """Answers read into memory, at most `limit` bytes once decoded; then `response.content`.

    An error answer keeps its first bytes only (ErrorBody). The body is held once:
    BytesIO hands its buffer over as the bytes without a copy. `refused(response,
    problem)` makes the error for a success answer that is too large or does not
    decode.
    """

    def __init__(self, limit: int, refused: Callable[[httpx2.Response, str], OrqError]) -> None:
        self.limit = limit
        self.refused = refused

    def open(self, response: httpx2.Response) -> Sink:
        if not succeeded(response):
            return ErrorBody(response, self.limit)
        return _MemorySink(response, self.limit, self.refused)


class _MemorySink:
    def __init__(
        self,
        response: httpx2.Response,
        limit: int,
        refused: Callable[[httpx2.Response, str], OrqError],
    ) -> None:
        self._response = response
        self.limit = limit
        self._refused = refused
        # A body that comes in one chunk is kept as it is; a longer one goes into a BytesIO.
        self._first = b""
        self._buffer: io.BytesIO | None = None

    def write(self, chunk: bytes) -> None:
        if self._buffer is not None:
            self._buffer.write(chunk)
        elif not self._first:
            self._first = chunk
        else:
            self._buffer = io.BytesIO()
            self._buffer.write(self._first)
            self._buffer.write(chunk)

    def done(self) -> None:
        # What Response.read() does, bounded: the body is then `content` as usual.
        buffer = self._buffer
        set_body(self._response, self._first if buffer is None else buffer.getvalue())

    def refuse(self, problem: str) -> OrqError:
        return self._refused(self._response, problem)


class _Failed:
    """An action's transport error, handed back into the flow to decide on."""

    __slots__ = ("error",)

    def __init__(self, error: httpx2.TransportError) -> None:
        self.error = error


class _Steps:
    """A flow, stepped: `action` is the next thing to do, None once `answer` is in."""

    def __init__(self, flow: Flow) -> None:
        self._flow = flow
        self.action: Action | None = None
        self.answer: httpx2.Response | None = None
        self.resume(None)

    def resume(self, outcome: Any) -> None:
        """Hand the flow the last action's outcome; it answers with the next action."""
        try:
            if isinstance(outcome, _Failed):
                self.action = self._flow.throw(outcome.error)
            else:
                self.action = self._flow.send(outcome)
        except StopIteration as done:
            self.action = None
            self.answer = done.value

    def close(self) -> None:
        self._flow.close()


def drive(client: httpx2.Client, flow: Flow) -> httpx2.Response:
    """Run `flow` with a sync client; returns its final answer, body received."""
    answered: list[httpx2.Response] = []

    def perform(action: Action) -> Any:
        if isinstance(action, Wait):
            time.sleep(action.seconds)
            return None
        if isinstance(action, Resolve):
            return _lookup_within(action)
        within = ATTEMPT_DEADLINE.set(action.deadline)
        try:
            if isinstance(action, Send):
                _authorize(action.request)
                upload = action.request.stream
                if isinstance(upload, _UploadWithDeadline):
                    upload.capped_sockets = capped_sockets
                pinned = PINNED.set(action.request.extensions.get(PIN_EXTENSION))
                try:
                    answer = client.send(
                        action.request, stream=True, auth=None, follow_redirects=False
                    )
                finally:
                    PINNED.reset(pinned)
                answered.append(answer)
                take_back(client.cookies, answer)
                return answer
            _receive(action)
        except httpx2.TransportError as exc:
            return _Failed(exc)
        finally:
            ATTEMPT_DEADLINE.reset(within)
        return None

    capped_sockets = bool(getattr(client, "caps_every_socket_wait", False))
    steps = _Steps(flow)
    try:
        while steps.action is not None:
            steps.resume(perform(steps.action))
    finally:
        steps.close()
        for response in answered:  # a no-op for those already read; frees any other
            response.close()
    assert steps.answer is not None
    return steps.answer


def _authorize(request: httpx2.Request) -> None:
    """Give an API request the key's header, as this attempt is sent (see _api_key.py)."""
    key = request.extensions.get(KEY_EXTENSION)
    if key is not None:
        key.authorize(request)


def _receive(action: Receive) -> None:
    response = action.response
    try:
        reader = BodyReader(response, action.sink, action.deadline)
        if not _took_in_hand(reader, response) and not reader.stopped:
            for raw in response.iter_raw():
                if not reader.feed(raw):
                    break
            else:
                reader.end()
    finally:
        response.close()


def _request_of(action: Send | Receive) -> httpx2.Request:
    return action.request if isinstance(action, Send) else action.response.request


def _took_in_hand(reader: BodyReader, response: httpx2.Response) -> bool:
    """Feed `reader` a body httpx2 holds already (see body_in_hand); False if there is none."""
    in_hand = body_in_hand(response)
    if in_hand is None:
        return False
    if reader.feed_decoded(in_hand):
        reader.end()
    return True


async def adrive(client: httpx2.AsyncClient | AsyncSender, flow: Flow) -> httpx2.Response:
    """Run `flow` with an async client; each attempt runs inside its own asyncio timeout.

    `client` is an httpx2.AsyncClient, or another sender of the HTTP actions (the
    aiohttp one, _aiohttp_transport.py): waits, look-ups, deadlines and failures are
    handled here alike for both.
    """
    import asyncio  # noqa: PLC0415 - sync programs never pay for importing asyncio

    answered: list[httpx2.Response] = []
    steps = _Steps(flow)
    try:
        while (action := steps.action) is not None:
            if isinstance(action, Wait):
                await asyncio.sleep(action.seconds)
                steps.resume(None)
            elif isinstance(action, Resolve):
                steps.resume(await _alookup_within(action))
            else:
                await _attempt(client, steps, answered)
    finally:
        steps.close()
        for response in answered:  # a no-op for those already read; frees any other
            await response.aclose()
    assert steps.answer is not None
    return steps.answer


async def _attempt(
    client: httpx2.AsyncClient | AsyncSender,
    steps: _Steps,
    answered: list[httpx2.Response],
) -> None:
    """Perform one attempt's HTTP actions, its Send and the Receives of its answer,
    under one asyncio timeout: the attempt's deadline, which they all share.

    One timer an attempt, not one an action: at a thousand calls in flight every
    object a waiting call holds is work for the garbage collector.
    """
    import asyncio  # noqa: PLC0415

    current = steps.action
    assert isinstance(current, Send | Receive)
    deadline = current.deadline
    # PINNED is set only where it changes: setting a context variable copies the context.
    pin = _request_of(current).extensions.get(PIN_EXTENSION)
    pinned = PINNED.set(pin) if pin is not PINNED.get() else None
    timer = asyncio.timeout(deadline.remaining())
    try:
        async with timer:
            while True:
                if isinstance(current, Send):
                    _authorize(current.request)
                try:
                    outcome = await _perform(client, current)
                except httpx2.TransportError as exc:
                    outcome = _Failed(exc)
                if isinstance(outcome, httpx2.Response):
                    answered.append(outcome)
                steps.resume(outcome)
                following = steps.action
                if not isinstance(following, Send | Receive) or following.deadline is not deadline:
                    return
                current = following
    except TimeoutError:
        if not timer.expired():
            raise
        # The action being awaited when the time ran out fails with it.
        steps.resume(_Failed(_timeout(httpx2.ReadTimeout, _request_of(current))))
    finally:
        if pinned is not None:
            PINNED.reset(pinned)


async def _alookup_within(action: Resolve) -> list[str] | OSError:
    """The look-up, awaited for at most `action.seconds`."""
    import asyncio  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    answer: asyncio.Future[list[str] | OSError] = loop.create_future()

    def settle(result: list[str] | OSError) -> None:
        if not answer.done():
            answer.set_result(result)

    def done(result: list[str] | OSError) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while it looked up
            loop.call_soon_threadsafe(settle, result)

    _look_up_in_thread(action, done)
    try:
        async with asyncio.timeout(action.seconds):
            return await answer
    except TimeoutError:
        return _lookup_timeout(action)


def _perform(client: httpx2.AsyncClient | AsyncSender, action: Send | Receive) -> Awaitable[Any]:
    if not isinstance(client, httpx2.AsyncClient):
        return client._perform(action)
    if isinstance(action, Send):
        return _send_async(client, action.request)
    return _areceive(action)


async def _send_async(client: httpx2.AsyncClient, request: httpx2.Request) -> httpx2.Response:
    answer = await client.send(request, stream=True, auth=None, follow_redirects=False)
    take_back(client.cookies, answer)
    return answer


async def _areceive(action: Receive) -> None:
    response = action.response
    chunks = response.aiter_raw()
    try:
        reader = BodyReader(response, action.sink, action.deadline)
        if not _took_in_hand(reader, response) and not reader.stopped:
            async for raw in chunks:
                if not reader.feed(raw):
                    break
            else:
                reader.end()
    finally:
        await chunks.aclose()
        await response.aclose()
