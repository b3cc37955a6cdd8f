"""Child process of the memory cases: how much memory one upload, or one burst of calls, added.

    python -m benchmarks.memory_probe CONTENDER SOURCE URL IMAGE_PATH
    python -m benchmarks.memory_probe CONTENDER inflight URL CALLS

An upload:
SOURCE is `path`, `file` (an open binary file) or `bytes` (read before measuring,
so the caller's own copy is not counted). After a warm-up call with a small
image, it prints the upload's extra peak memory as JSON, measured two ways:
Python allocations (tracemalloc) and the process's peak resident set (VmHWM,
reset just before the call through /proc/self/clear_refs).

A burst: CALLS async generations awaited at once on one client, after a first burst
that opened the connections; the same two figures, over the second burst.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from benchmarks import payloads
from benchmarks.contenders import BY_NAME, Contender


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} is not in /proc/self/status")


def _image(source: str, path: str) -> Any:
    if source == "bytes":
        return Path(path).read_bytes()
    if source == "file":
        return open(path, "rb")
    if source == "path":
        return path
    raise ValueError(f"unknown source {source!r}")


def _measured(action: Callable[[], object]) -> dict[str, float]:
    gc.collect()
    rss_before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak resident set
    tracemalloc.start()
    action()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = _status_kb("VmHWM")
    return {"traced_mb": traced_peak / 2**20, "rss_mb": (rss_peak - rss_before) / 1024}


def _burst(name: str, url: str, calls: int) -> dict[str, float]:
    # The loop is driven by hand, so that the measurement wraps one whole burst.
    loop = asyncio.new_event_loop()
    try:
        contender = loop.run_until_complete(_opened(name, url))
        burst = _burst_of(contender, calls)
        loop.run_until_complete(burst())  # opens the connections
        measured = _measured(lambda: loop.run_until_complete(burst()))
        loop.run_until_complete(contender.aclose())
        return measured
    finally:
        loop.close()


async def _opened(name: str, url: str) -> Contender:
    return BY_NAME[name](url, asynchronous=True)  # made inside the loop it belongs to


def _burst_of(contender: Contender, calls: int) -> Callable[[], Coroutine[Any, Any, object]]:
    async def burst() -> object:
        return await asyncio.gather(
            *(contender.agenerate(payloads.GENERATION) for _ in range(calls))
        )

    return burst


def main(argv: list[str]) -> None:
    name, source, url, path = argv
    if source == "inflight":
        print(json.dumps(_burst(name, url, int(path))))
        return
    contender = BY_NAME[name](url)
    contender.vary(payloads.png(1024))
    image = _image(source, path)
    print(json.dumps(_measured(lambda: contender.vary(image))))


if __name__ == "__main__":
    main(sys.argv[1:])
