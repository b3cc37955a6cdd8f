"""The 15 MB parse: each client in a child process with fixed allocator settings.

How long a 15 MB allocation takes depends on the allocator's state: glibc moves its
mmap threshold as blocks are freed, and returns memory to the system or keeps it.
In one shared process that state is whatever the previous client left, and a repeat
run of identical code read several percent apart. Each client runs in a fresh child
with every allocation served from the heap and nothing trimmed, alternating with
json.loads of the same bytes; the ratio is the median of the per-round ratios. A
self-check row times json.loads against itself: it shows the noise of the method.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchmarks import payloads, timing
from benchmarks.contenders import Contender, OrqImages
from benchmarks.parse_probe import SELF_CHECK
from benchmarks.report import Row, ratio_target
from benchmarks.server import REPO_ROOT

PARSE_TARGET = 1.10
SELF_CHECK_TOLERANCE = 0.03
ALLOCATOR = {
    "MALLOC_ARENA_MAX": "1",  # one arena: the calls run on one thread
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),  # glibc's largest: 15 MB comes from the heap
    "MALLOC_TRIM_THRESHOLD_": str(2**30),  # freed memory stays for the next round
    "MALLOC_TOP_PAD_": str(64 * 2**20),
    "PYTHONMALLOC": "pymalloc",
    "PYTHONHASHSEED": "0",
}


def _probe(name: str, rounds: int) -> dict[str, list[float]]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.parse_probe", name, str(rounds)],
        cwd=REPO_ROOT,
        env=os.environ | ALLOCATOR,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"parse probe {name} failed:\n{done.stderr}")
    measured: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def large_response(contenders: list[type[Contender]], *, rounds: int) -> list[Row]:
    megabytes = len(payloads.large_generation_response()) / 2**20
    case = f"parse a {megabytes:.0f} MB b64_json response"
    names = [SELF_CHECK] + [cls.name for cls in contenders if cls.sync and not cls.floor]
    rows = []
    for name in names:
        times = _probe(name, rounds)
        ratio = timing.paired_ratio(times["client"], times["json.loads"])
        if name == SELF_CHECK:
            row = Row(
                case,
                "json.loads (self-check)",
                timing.median(times["client"]),
                "ms CPU",
                f"json.loads against itself: reads 1.00 +/- {SELF_CHECK_TOLERANCE:g}",
                ratio,
                target=f"1.00 +/- {SELF_CHECK_TOLERANCE:g}",
                passed=abs(ratio - 1.0) <= SELF_CHECK_TOLERANCE,
            )
        else:
            row = Row(case, name, timing.median(times["client"]), "ms CPU", "whole call", ratio)
            if name == OrqImages.name:
                ratio_target(row, PARSE_TARGET)
        rows.append(row)
    return rows
