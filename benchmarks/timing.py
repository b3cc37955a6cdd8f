"""Timing loops: CPU per call and calls per second, in interleaved rounds.

Every contender of a case runs once per round, in turn (the order reversed
every other round), so that a slow spell of the machine hits all of them alike;
figures are medians over rounds, and a ratio is the median of the per-round
ratios to the baseline of that round. Each contender gets about the same wall
time per round, whatever its speed. Calls overlap in one of two ways: `threads`
sync callers sharing one client, or `in_flight` tasks sharing one async client.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

SyncCall = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]

WARMUP_CALLS = 40
MIN_CALLS = 64
MAX_CALLS = 4000


@dataclass
class Rounds:
    """One contender's figures in one case, a value per round."""

    cpu_ms: list[float] = field(default_factory=list)
    calls_per_s: list[float] = field(default_factory=list)

    def add(self, cpu_seconds: float, wall_seconds: float, calls: int) -> None:
        self.cpu_ms.append(cpu_seconds / calls * 1000)
        self.calls_per_s.append(calls / wall_seconds)


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(values: list[float], baseline: list[float]) -> float:
    return median([value / base for value, base in zip(values, baseline, strict=True)])


def _calls_for(wall_per_call: float, budget_s: float, multiple: int = 1) -> int:
    calls = int(budget_s / max(wall_per_call, 1e-6))
    calls = min(max(calls, MIN_CALLS), MAX_CALLS)
    return max(multiple, calls // multiple * multiple)


def round_order(names: list[str], round_number: int) -> list[str]:
    """The order contenders run in: as given, reversed every other round."""
    return names if round_number % 2 == 0 else names[::-1]


def _run_sync(
    call: SyncCall, calls: int, threads: int, pool: ThreadPoolExecutor | None
) -> tuple[float, float]:
    def worker(count: int) -> None:
        for _ in range(count):
            call()

    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    if pool is None:
        worker(calls)
    else:
        for done in [pool.submit(worker, calls // threads) for _ in range(threads)]:
            done.result()
    return time.process_time() - cpu, time.perf_counter() - wall


def compare_sync(
    calls: dict[str, SyncCall], *, rounds: int, budget_s: float, threads: int = 1
) -> dict[str, Rounds]:
    """CPU per call of each sync call, made from `threads` threads at once."""
    with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
        sizes = {}
        for name, call in calls.items():
            warmup = max(WARMUP_CALLS, threads * 8)
            _, wall = _run_sync(call, warmup, threads, pool)
            sizes[name] = _calls_for(wall / warmup, budget_s, threads)
        results = {name: Rounds() for name in calls}
        for round_number in range(rounds):
            for name in round_order(list(calls), round_number):
                cpu, wall = _run_sync(calls[name], sizes[name], threads, pool)
                results[name].add(cpu, wall, sizes[name])
    return results


async def _run_async(call: AsyncCall, calls: int, in_flight: int) -> tuple[float, float]:
    async def worker() -> None:
        for _ in range(calls // in_flight):
            await call()

    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return time.process_time() - cpu, time.perf_counter() - wall


async def compare_async(
    calls: dict[str, AsyncCall], *, rounds: int, budget_s: float, in_flight: int
) -> dict[str, Rounds]:
    """CPU per call of each async call, with `in_flight` calls awaited at once."""
    sizes = {}
    for name, call in calls.items():
        warmup = max(WARMUP_CALLS, in_flight * 4 if in_flight <= 32 else in_flight)
        _, wall = await _run_async(call, warmup, in_flight)
        sizes[name] = _calls_for(wall / warmup, budget_s, in_flight)
    results = {name: Rounds() for name in calls}
    for round_number in range(rounds):
        for name in round_order(list(calls), round_number):
            cpu, wall = await _run_async(calls[name], sizes[name], in_flight)
            results[name].add(cpu, wall, sizes[name])
    return results


def time_each(calls: dict[str, SyncCall], repeats: int) -> dict[str, list[float]]:
    """CPU milliseconds of each call, once per round for `repeats` rounds, after one untimed."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for round_number in range(repeats):
        for name in round_order(list(calls), round_number):
            gc.collect()
            start = time.process_time()
            calls[name]()
            times[name].append((time.process_time() - start) * 1000)
    return times
