"""Memory: a 40 MB upload from a path, a file or bytes; 1024 calls in flight. A process each.

The figure is the extra peak of Python allocations during the call (tracemalloc);
the detail gives the extra peak resident set too. orq_images must stay under
2 MB both ways from every source; raw httpx2 with `files=` is shown from bytes
and from a file object for reference.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import payloads, timing
from benchmarks.contenders import (
    Contender,
    OpenAISdk,
    OrqAiSdk,
    OrqImages,
    OrqImagesAiohttp,
    RawHttpx,
)
from benchmarks.report import Row
from benchmarks.server import REPO_ROOT

UPLOAD_TARGET_MB = 2.0

_SOURCES: dict[type[Contender], tuple[str, ...]] = {
    OrqImages: ("path", "file", "bytes"),
    RawHttpx: ("bytes", "file"),
    OrqAiSdk: ("bytes",),
    OpenAISdk: ("bytes",),
}
_SOURCE_WORDS = {"path": "from a path", "file": "from a file object", "bytes": "from bytes"}


def _probe(name: str, source: str, url: str, image: Path | int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory_probe", name, source, url, str(image)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"upload probe {name} {source} failed:\n{done.stderr}")
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def upload_memory(contenders: list[type[Contender]], url: str, *, repeats: int) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        image = payloads.write_png(Path(directory) / "large.png", payloads.UPLOAD_IMAGE_BYTES)
        megabytes = image.stat().st_size / 2**20
        for cls in contenders:
            for source in _SOURCES.get(cls, ()):
                runs = [_probe(cls.name, source, url, image) for _ in range(repeats)]
                traced = timing.median([run["traced_mb"] for run in runs])
                rss = timing.median([run["rss_mb"] for run in runs])
                row = Row(
                    f"{megabytes:.0f} MB upload {_SOURCE_WORDS[source]}: extra peak memory",
                    cls.name,
                    traced,
                    "MB",
                    detail=f"peak RSS {max(rss, 0.0):+.1f} MB",
                )
                if cls is OrqImages:
                    row.target = f"<= {UPLOAD_TARGET_MB:g} MB"
                    row.passed = max(traced, rss) <= UPLOAD_TARGET_MB
                rows.append(row)
    return rows


IN_FLIGHT = 1024


def inflight_memory(contenders: list[type[Contender]], url: str, *, repeats: int) -> list[Row]:
    """Extra peak memory of 1024 calls awaited at once, on the httpx2 and the aiohttp path.

    Each in a fresh process, after a first burst that opened the pool's connections.
    The aiohttp path must need no more than the httpx2 one.
    """
    case = f"generations, async, {IN_FLIGHT} in flight: extra peak memory"
    measured: dict[str, float] = {}
    rows = []
    for cls in (OrqImages, OrqImagesAiohttp):
        if cls not in contenders:
            continue
        runs = [_probe(cls.name, "inflight", url, IN_FLIGHT) for _ in range(repeats)]
        traced = timing.median([run["traced_mb"] for run in runs])
        rss = timing.median([run["rss_mb"] for run in runs])
        measured[cls.name] = traced
        rows.append(Row(case, cls.name, traced, "MB", detail=f"peak RSS {max(rss, 0.0):+.1f} MB"))
    if len(measured) == 2:
        aiohttp_row = rows[-1]
        limit = measured[OrqImages.name]
        aiohttp_row.ratio = aiohttp_row.value / limit
        aiohttp_row.target = "<= the httpx2 path"
        aiohttp_row.passed = aiohttp_row.value <= limit
    return rows
