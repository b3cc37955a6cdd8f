"""Fork rounds with threads mid-call: `main(METHOD, URL, ROUNDS)`, in a process of its own.

A process holds an Orq and an AsyncOrq whose pools are busy: threads call through
them without pause, sync, `create_async` and AsyncOrq, each on its own event loop.
It then starts ROUNDS child processes with the multiprocessing start METHOD while
those calls are in flight. With "fork" that process is this one; with
"forkserver" it is the fork server, which builds the same busy clients as it
preloads tests.support.fork_preload.

Each child calls through the clients it inherited, sync, `create_async` and
AsyncOrq. Every call sends its own token as the prompt, which the server at URL
echoes as the image's revised_prompt, so an answer meant for another process or
thread is seen at once. A child exits 0 if every answer was its own and every call
took less than the timeout; anything else is printed on stderr with the marker
FAILED, where the busy threads print theirs too. It runs in its own process
because forking a test runner, its threads and servers included, is a hazard of
its own.
"""

from __future__ import annotations

import asyncio
import faulthandler
import itertools
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from orq_images import AsyncOrq, Orq

TIMEOUT_MS = 4000
# A child makes three calls of at most TIMEOUT_MS each: longer means it is stuck.
STUCK_AFTER = 3 * TIMEOUT_MS / 1000 + 2
# Calls each process makes at once, so that every pool holds several connections.
SYNC_THREADS = 3
MODEL = "openai/gpt-image-1"

_tokens = itertools.count()
shared: dict[str, Any] = {}


def _token() -> str:
    return f"{os.getpid()}-{threading.get_ident()}-{next(_tokens)}"


def _check(token: str, result: Any) -> None:
    echoed = result.data[0].revised_prompt
    if echoed != token:
        raise AssertionError(f"sent {token!r}, got the answer to {echoed!r}")


def _fail(what: str) -> None:
    print(f"FAILED in {os.getpid()}: {what}", file=sys.stderr, flush=True)


def sync_call(orq: Orq) -> None:
    token = _token()
    _check(token, orq.router.images.generations.create(prompt=token, model=MODEL))


async def create_async_call(orq: Orq) -> None:
    token = _token()
    _check(token, await orq.router.images.generations.create_async(prompt=token, model=MODEL))


async def async_call(orq: AsyncOrq) -> None:
    token = _token()
    _check(token, await orq.router.images.generations.create(prompt=token, model=MODEL))


def make_clients(url: str) -> None:
    shared["orq"] = Orq(server_url=url, timeout_ms=TIMEOUT_MS)
    shared["aorq"] = AsyncOrq(server_url=url, timeout_ms=TIMEOUT_MS)


def _forever(call: Callable[[], None]) -> None:
    while True:
        try:
            call()
        except Exception:
            _fail(traceback.format_exc())
            time.sleep(0.5)


def start_busy_threads() -> None:
    """Threads that call through the shared clients until the process ends.

    Returns once each has made a call: forking while a thread is in its process's
    first call, importing what calls need, would test CPython's import locks (a
    child blocks on a module that a thread gone with the fork was importing).
    """
    orq, aorq = shared["orq"], shared["aorq"]
    warm = threading.Barrier(SYNC_THREADS + 2)

    async def async_calls() -> None:
        await asyncio.gather(async_call(aorq), create_async_call(orq))
        warm.wait()
        while True:
            try:
                await asyncio.gather(async_call(aorq), create_async_call(orq))
            except Exception:
                _fail(traceback.format_exc())
                await asyncio.sleep(0.5)

    def sync_calls() -> None:
        sync_call(orq)
        warm.wait()
        _forever(lambda: sync_call(orq))

    for target in [sync_calls] * SYNC_THREADS + [lambda: asyncio.run(async_calls())]:
        threading.Thread(target=target, daemon=True).start()
    warm.wait()


def child() -> None:
    """In a child: one call of each kind through the inherited clients, each timed."""
    orq, aorq = shared["orq"], shared["aorq"]
    limit = TIMEOUT_MS / 1000
    # A stuck child shows where, on stderr, and ends: its parent counts it as stuck.
    faulthandler.dump_traceback_later(STUCK_AFTER, exit=True)

    def timed(name: str, call: Callable[[], None]) -> None:
        started = time.monotonic()
        try:
            call()
        except Exception:
            _fail(f"{name}: {traceback.format_exc()}")
            os._exit(1)
        took = time.monotonic() - started
        if took >= limit:
            _fail(f"{name} took {took:.1f} s, more than timeout_ms")
            os._exit(1)

    async def both_async() -> None:
        await asyncio.gather(async_call(aorq), create_async_call(orq))

    timed("sync call", lambda: sync_call(orq))
    timed("async calls", lambda: asyncio.run(both_async()))
    timed("sync call again", lambda: sync_call(orq))
    os._exit(0)


def main(method: str, url: str, rounds_given: str) -> int:
    rounds = int(rounds_given)
    os.environ["FORK_ROUNDS_URL"] = url
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["tests.support.fork_preload"])
    else:
        make_clients(url)
        start_busy_threads()
    # Join a few rounds behind, so that children overlap as they would in a pool.
    running: list[multiprocessing.process.BaseProcess] = []
    failures = 0
    for _ in range(rounds):
        process = context.Process(target=child)
        process.start()
        running.append(process)
        if len(running) > 3:
            failures += _joined(running.pop(0))
    for process in running:
        failures += _joined(process)
    print(f"{rounds - failures} of {rounds} children got their own answers in time")
    return 1 if failures else 0


def _joined(process: multiprocessing.process.BaseProcess) -> int:
    process.join(STUCK_AFTER + 3)
    if process.is_alive():
        _fail(f"child {process.pid} still running: stuck")
        process.kill()
        process.join()
        return 1
    if process.exitcode != 0:
        _fail(f"child {process.pid} exited with {process.exitcode}")
        return 1
    return 0
