"""Child process of the upload-memory case: one variation upload, and how much memory it added.

    python -m benchmarks.memory_probe CONTENDER SOURCE URL IMAGE_PATH

SOURCE is `path`, `file` (an open binary file) or `bytes` (read before measuring,
so the caller's own copy is not counted). After a warm-up call with a small
image, it prints the upload's extra peak memory as JSON, measured two ways:
Python allocations (tracemalloc) and the process's peak resident set (VmHWM,
reset just before the call through /proc/self/clear_refs).
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks import payloads
from benchmarks.contenders import BY_NAME


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


def main(argv: list[str]) -> None:
    name, source, url, path = argv
    contender = BY_NAME[name](url)
    contender.vary(payloads.png(1024))
    image = _image(source, path)
    gc.collect()
    rss_before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak resident set
    tracemalloc.start()
    contender.vary(image)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = _status_kb("VmHWM")
    print(json.dumps({"traced_mb": traced_peak / 2**20, "rss_mb": (rss_peak - rss_before) / 1024}))


if __name__ == "__main__":
    main(sys.argv[1:])
