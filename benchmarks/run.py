"""Run every benchmark case and write benchmarks/results/latest.{json,md}.

    .venv/bin/python -m benchmarks            # the full run, about 8 minutes
    .venv/bin/python -m benchmarks --quick    # one short round of each, to try changes
    .venv/bin/python -m benchmarks --case async --case sync   # some cases only, not saved

orq_images is compared with raw httpx2 doing the same requests in the same run, on
the same pool; its aiohttp path with raw aiohttp. Raw pyreqwest and urllib3 are
floors for reference, orq-ai-sdk and openai (on httpx2 and on aiohttp) other SDKs,
each shown when it is importable.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import cases, memory, parse, report, startup
from benchmarks.contenders import ALL, Contender, available
from benchmarks.server import BenchServer

RESULTS = Path(__file__).resolve().parent / "results"
README = RESULTS.parent.parent / "README.md"  # its performance table is rewritten too
CASES = (
    "sync",
    "threads",
    "async",
    "http2",
    "upload",
    "cold",
    "parse",
    "memory",
    "retry",
)


@dataclass(frozen=True)
class Effort:
    rounds: int
    budget_s: float  # wall time of one contender in one round
    cold_starts: int
    parses: int
    uploads: int


FULL = Effort(rounds=15, budget_s=0.15, cold_starts=10, parses=41, uploads=3)
QUICK = Effort(rounds=1, budget_s=0.1, cold_starts=2, parses=3, uploads=1)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cases(
    contenders: list[type[Contender]], url: str, effort: Effort
) -> dict[str, Callable[[], list[report.Row]]]:
    rounds, budget_s = effort.rounds, effort.budget_s
    return {
        "sync": lambda: cases.sync_cpu(contenders, url, rounds=rounds, budget_s=budget_s),
        "threads": lambda: cases.threads_cpu(contenders, url, rounds=rounds, budget_s=budget_s),
        "async": lambda: cases.async_cpu(contenders, url, rounds=rounds, budget_s=budget_s),
        "http2": lambda: cases.http2_cpu(contenders, url, rounds=rounds, budget_s=budget_s),
        # Uploads move megabytes per call: fewer, equally interleaved rounds.
        "upload": lambda: cases.uploads_cpu(url, rounds=max(rounds * 2 // 3, 1), budget_s=budget_s),
        "cold": lambda: startup.cold_start(contenders, url, repeats=effort.cold_starts),
        "parse": lambda: parse.large_response(contenders, rounds=effort.parses),
        "memory": lambda: [
            *memory.upload_memory(contenders, url, repeats=effort.uploads),
            *memory.inflight_memory(contenders, url, repeats=effort.uploads),
        ],
        "retry": lambda: cases.retry_cost(url, rounds=rounds, budget_s=budget_s),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round; results not saved")
    parser.add_argument(
        "--case", action="append", choices=CASES, help="run only this case (repeatable); not saved"
    )
    args = parser.parse_args(argv)
    effort = QUICK if args.quick else FULL
    contenders = available()
    skipped = [cls.name for cls in ALL if cls not in contenders]
    notes = [f"{name} is not installed: skipped" for name in skipped]
    started = time.perf_counter()
    load_before = report.load_average()
    rows: list[report.Row] = []
    with BenchServer() as server:
        measure = _cases(contenders, server.url, effort)
        for case in args.case or CASES:
            if case == "http2" and not cases.http2_available():
                notes.append("h2 is not installed: the HTTP/2 case is skipped")
                continue
            _progress(f"{case} ...")
            rows += measure[case]()
    seconds = time.perf_counter() - started
    notes += [
        "CPU: process CPU time of the client process / calls (every thread counted); the "
        "server runs in its own process. Figures are medians of interleaved rounds; ratios "
        "are medians of per-round ratios to raw httpx2 (post + .json()) in the same round, "
        "except the aiohttp path's: to raw aiohttp.",
        "Pools: every client gets the SDK's 100 connections, all kept alive (urllib3: 100 "
        "per host; orq-ai-sdk: httpx's default), so none reconnects where another would not.",
        "Generations send the routing fields an orq user sends (fallbacks, retry, cache, "
        "orq.identity) unless the case says prompt and model only; openai gets them through "
        "extra_body.",
        f"Threads: {cases.THREADS} threads share one sync client.",
        "Uploads: the same PNG bytes, posted by raw httpx2 with files= and by orq_images.",
        "Async: one async client, the given number of calls awaited at once; past "
        f"{cases.SLOW_ABOVE} in flight each task makes at least one call a round, in "
        f"{cases.ROUNDS_ABOVE} rounds, and openai on httpx2 and orq-ai-sdk (seconds a "
        "round, and no target) are left out.",
        "HTTP/2: prior knowledge over plain TCP (h2c), all calls multiplexed on one "
        "connection; ratios to raw httpx2 over HTTP/1.1.",
        "Cold start: CPU time of a fresh `python -c` doing the import and one call, "
        "interpreter start-up included, in interleaved rounds.",
        "Large response: CPU of the whole call with the HTTP client answering from memory, "
        "against json.loads of the same bytes, alternating, in a child process per client "
        "with fixed allocator settings ("
        + ", ".join(f"{k}={v}" for k, v in parse.ALLOCATOR.items())
        + "); the self-check row is json.loads against itself: the method's noise.",
        "Memory: a fresh process per case; extra peak over the moment before the upload or "
        "the burst, as Python allocations (tracemalloc, the figure) and as resident set "
        "(VmHWM); an upload's target holds both under 2 MB.",
        "Retry: a call answered 503 then 200; attempts per call, and the wall time it adds "
        "to a plain call; raw httpx2 posts again by hand.",
    ]
    info = report.machine(load_before)
    report.show(rows, notes, info)
    if not args.quick and not args.case:
        report.write(rows, notes, info, RESULTS, seconds)
        written = [RESULTS / "latest.json", RESULTS / "latest.md"]
        if report.update_readme(README, rows, info):
            written.append(README)
        _progress(f"\nwritten: {', '.join(map(str, written))} ({seconds:.0f} s)")
    failed = [row for row in rows if row.passed is False]
    return 1 if failed else 0
