"""Cold start: a fresh interpreter imports the client and makes one generations call.

The figure is the CPU time of the whole child process (interpreter start-up
included, which every contender pays alike): unlike its wall time, it does not
grow while the child waits for a busy machine. The detail gives the wall time and
how long the child's import and call took. The orq_images child says
which of orq_images.cli and orq_images.testing got loaded: neither should be.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from benchmarks import payloads, timing
from benchmarks.contenders import Contender, OrqImages, openai_kwargs
from benchmarks.report import BASELINE, Row, ratio_target
from benchmarks.server import REPO_ROOT

COLD_START_TARGET = 1.2
HEAVY_MODULES = ("orq_images.cli", "orq_images.testing")

_PRELUDE = "import time\n_t0 = time.perf_counter()\n"
_REPORT = """
_t2 = time.perf_counter()
import json, sys
print(json.dumps({{
    "import_ms": (_t1 - _t0) * 1000,
    "call_ms": (_t2 - _t1) * 1000,
    "heavy_after_call": sorted(m for m in sys.modules if m.startswith({heavy!r})),
}}))
"""


def _snippets(url: str) -> dict[str, tuple[str, str]]:
    """Per contender: (the import, the one call) as its users would write them."""
    key, params = payloads.API_KEY, payloads.GENERATION
    generations = url + payloads.GENERATIONS_PATH
    return {
        "raw httpx2": (
            "import httpx2",
            f"httpx2.post({generations!r}, json={params!r}, "
            f"headers={{'Authorization': 'Bearer {key}'}}).json()",
        ),
        "orq_images": (
            "from orq_images import Orq",
            f"with Orq(api_key={key!r}, server_url={url!r}) as orq:\n"
            f"    orq.router.images.generations.create(**{params!r})",
        ),
        "orq-ai-sdk": (
            "from orq_ai_sdk import Orq",
            f"with Orq(api_key={key!r}, server_url={url!r}) as orq:\n"
            f"    orq.router.images.generations.create(**{params!r})",
        ),
        "openai": (
            "from openai import OpenAI",
            f"OpenAI(api_key={key!r}, base_url={url + '/v2/router'!r})"
            f".images.generate(**{openai_kwargs(params)!r})",
        ),
    }


def _program(imports: str, call: str) -> str:
    return (
        _PRELUDE
        + imports
        + "\n_t1 = time.perf_counter()\n"
        + call
        + "\n"
        + _REPORT.format(heavy=HEAVY_MODULES)
    )


def _children_cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _child_env() -> dict[str, str]:
    """The environment with bytecode caching on, as for any installed package.

    pip writes every package's .pyc files when it installs it, so a user's program
    never compiles an SDK from source at start-up. A development shell that sets
    PYTHONDONTWRITEBYTECODE would make the SDK, run from this checkout, compile
    every module on every start while the packages it is compared with load
    their caches: the warm-up run below writes the SDK's caches instead.
    """
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _run(program: str) -> tuple[float, float, dict[str, object]]:
    """The child's CPU and wall milliseconds, and what it reported."""
    cpu, start = _children_cpu_ms(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        env=_child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    wall, cpu = (time.perf_counter() - start) * 1000, _children_cpu_ms() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed:\n{done.stderr}")
    return cpu, wall, json.loads(done.stdout.strip().splitlines()[-1])


def cold_start(contenders: list[type[Contender]], url: str, *, repeats: int) -> list[Row]:
    snippets = _snippets(url)
    programs = {
        cls.name: _program(*snippets[cls.name]) for cls in contenders if cls.name in snippets
    }
    for program in programs.values():
        _run(program)  # compile the bytecode caches, so every timed run starts alike
    cpus: dict[str, list[float]] = {name: [] for name in programs}
    walls: dict[str, list[float]] = {name: [] for name in programs}
    reports: dict[str, list[dict[str, object]]] = {name: [] for name in programs}
    for round_number in range(repeats):
        for name in timing.round_order(list(programs), round_number):
            cpu, wall, reported = _run(programs[name])
            cpus[name].append(cpu)
            walls[name].append(wall)
            reports[name].append(reported)
    rows = []
    for name in programs:
        imports = timing.median([float(r["import_ms"]) for r in reports[name]])  # type: ignore[arg-type]
        calls = timing.median([float(r["call_ms"]) for r in reports[name]])  # type: ignore[arg-type]
        wall = timing.median(walls[name])
        row = Row(
            "cold process: import + first call",
            name,
            timing.median(cpus[name]),
            "ms CPU",
            detail=f"wall {wall:.0f} ms: import {imports:.0f} ms, call {calls:.0f} ms",
            ratio=timing.paired_ratio(cpus[name], cpus[BASELINE]),
        )
        if name == OrqImages.name:
            ratio_target(row, COLD_START_TARGET)
        rows.append(row)
    if OrqImages.name in reports:
        rows.append(_heavy_row(reports[OrqImages.name]))
    return rows


def _heavy_row(reports: list[dict[str, object]]) -> Row:
    """Whether any orq_images child loaded the CLI or the local router; it must not."""
    loaded = sorted(
        {name for r in reports for name in r["heavy_after_call"]}  # type: ignore[attr-defined]
    )
    return Row(
        "cli or testing loaded by import + first call",
        OrqImages.name,
        len(loaded),
        "modules",
        detail=", ".join(loaded) or "neither",
        target="0 modules",
        passed=not loaded,
    )
