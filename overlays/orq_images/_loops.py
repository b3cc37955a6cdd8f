"""The SDK's own async http client for each event loop it is used in.

An asyncio connection belongs to the loop that opened it: used from another loop
it fails, with a RuntimeError once that loop is closed. So each loop gets its own
client, made on its first call there, and closed:
- when the loop shuts down: the client is held by an async generator, which
  `asyncio.run()` (or `loop.shutdown_asyncgens()`) finalizes on the loop itself;
- or by `close()`, from any thread, inside or outside any loop.

The map of clients never keeps a loop alive once it is done with: an entry leaves
as its loop shuts down, and entries of loops closed without shutting down leave
when a call comes from a new loop. After os.fork() the child starts with no
clients; the inherited ones are left untouched (see _fork.py).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncGenerator, Callable

import httpx2

from ._fork import leave_untouched, renewal_lock

Holder = AsyncGenerator[None, None]


class LoopClients:
    """`await get()` gives the running loop's client, made by `make` on first use."""

    def __init__(self, make: Callable[[], httpx2.AsyncClient]) -> None:
        self._make = make
        self._clients: dict[asyncio.AbstractEventLoop, tuple[httpx2.AsyncClient, Holder]] = {}
        self._pid = os.getpid()

    def __bool__(self) -> bool:
        return bool(self._clients)

    async def get(self) -> httpx2.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._pid != os.getpid():
            self._forget_inherited()
        known = self._clients.get(loop)
        if known is not None:
            return known[0]
        # A new loop: entries of loops closed without shutting down are of no more use.
        for old in [old for old in self._clients if old.is_closed()]:
            del self._clients[old]
        http = self._make()
        holder = self._hold(http)
        await anext(holder)  # from now on, the loop's shutdown finalizes it
        self._clients[loop] = (http, holder)
        return http

    async def _hold(self, http: httpx2.AsyncClient) -> Holder:
        try:
            yield
        finally:
            self._clients.pop(asyncio.get_running_loop(), None)
            await http.aclose()

    def _forget_inherited(self) -> None:
        with renewal_lock():
            if self._pid != os.getpid():
                leave_untouched(self._clients)
                self._clients = {}
                self._pid = os.getpid()

    async def aclose(self) -> None:
        """Close the running loop's client now, and every other one as `close()` does."""
        known = self._clients.pop(asyncio.get_running_loop(), None)
        if known is not None and self._pid == os.getpid():
            await known[1].aclose()
        self.close()

    def close(self) -> None:
        """Close every client, each on its own loop; never raises, from any thread or loop.

        A client whose loop is idle is closed now, on its loop (run from a helper
        thread if this one is running another loop). One whose loop is running is
        closed by that loop at once (asyncio finalizes a dropped holder on its own
        loop); one whose loop is closed went with it.
        """
        clients, self._clients = self._clients, {}
        if self._pid != os.getpid():
            leave_untouched(clients)
            return
        idle = [
            (loop, holder)
            for loop, (_, holder) in clients.items()
            if not (loop.is_closed() or loop.is_running())
        ]
        if not idle:
            return
        if asyncio._get_running_loop() is None:
            _finalize(idle)
        else:  # a thread runs one loop at a time
            helper = threading.Thread(target=_finalize, args=(idle,), name="orq-images-close")
            helper.start()
            helper.join()


def _finalize(idle: list[tuple[asyncio.AbstractEventLoop, Holder]]) -> None:
    for loop, holder in idle:
        closing = holder.aclose()
        try:
            loop.run_until_complete(closing)
        except RuntimeError:  # another thread started running it meanwhile: it closes the client
            closing.close()
