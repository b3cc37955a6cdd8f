"""Run every benchmark case and write benchmarks/results/latest.{json,md}.

    .venv/bin/python -m benchmarks            # the full run, about 2-3 minutes
    .venv/bin/python -m benchmarks --quick    # one short round of each, to try changes

orq_images is compared with raw httpx doing the same requests in the same run,
and with orq-ai-sdk and openai when they are importable.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import cases, memory, report, startup
from benchmarks.contenders import ALL, available
from benchmarks.server import BenchServer

RESULTS = Path(__file__).resolve().parent / "results"
CASES = ("cpu", "async", "cold", "parse", "upload", "retry")


@dataclass(frozen=True)
class Effort:
    rounds: int
    budget_s: float  # wall time of one contender in one round
    cold_starts: int
    parses: int
    uploads: int


FULL = Effort(rounds=7, budget_s=0.3, cold_starts=10, parses=15, uploads=3)
QUICK = Effort(rounds=1, budget_s=0.1, cold_starts=2, parses=3, uploads=1)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
    rows: list[report.Row] = []
    heavy: dict[str, list[str]] = {}
    with BenchServer() as server:
        url = server.url
        for case in args.case or CASES:
            _progress(f"{case} ...")
            if case == "cpu":
                rows += cases.sync_cpu(
                    contenders, url, rounds=effort.rounds, budget_s=effort.budget_s
                )
            elif case == "async":
                rows += cases.async_cpu(
                    contenders, url, rounds=effort.rounds, budget_s=effort.budget_s
                )
            elif case == "cold":
                cold, heavy = startup.cold_start(contenders, url, repeats=effort.cold_starts)
                rows += cold
            elif case == "parse":
                rows += cases.large_response(contenders, repeats=effort.parses)
            elif case == "upload":
                rows += memory.upload_memory(contenders, url, repeats=effort.uploads)
            elif case == "retry":
                rows += cases.retry_cost(url, rounds=effort.rounds, budget_s=effort.budget_s)
    seconds = time.perf_counter() - started
    loaded = [f"{when}: {', '.join(mods) or 'neither'}" for when, mods in heavy.items()]
    if loaded:
        notes.append("orq_images.cli / orq_images.testing loaded - " + "; ".join(loaded))
    notes += [
        "CPU: process CPU time of the client process / calls; the server runs in its own "
        "process. Figures are medians of interleaved rounds; ratios are medians of "
        "per-round ratios to raw httpx (post + .json()).",
        "Cold start: wall time of a fresh `python -c` doing the import and one call, "
        "interpreter start-up included.",
        "Large response: the whole call with the HTTP client answering from memory, "
        "against json.loads of the same bytes.",
    ]
    info = report.machine()
    report.show(rows, notes, info)
    if not args.quick and not args.case:
        report.write(rows, notes, info, RESULTS, seconds)
        _progress(
            f"\nwritten: {RESULTS / 'latest.json'}, {RESULTS / 'latest.md'} ({seconds:.0f} s)"
        )
    failed = [row for row in rows if row.passed is False]
    return 1 if failed else 0
