"""The cases measured in the runner's own process: CPU and throughput, large responses, retries.

The client process runs nothing but the client: the server is another process.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Callable
from typing import Any

from benchmarks import payloads, timing
from benchmarks.contenders import Contender, OrqImages, Params, RawHttpx
from benchmarks.report import BASELINE, Row, ratio_target
from benchmarks.server import FLAKY_PREFIX

SYNC_TARGET = 1.10
ASYNC_TARGET = 1.15
UPLOAD_CPU_TARGET = 1.25
PARSE_TARGET = 1.10
IN_FLIGHT = (1, 8, 32)
THREADS = 8
ENCODED_ONCE = f"{BASELINE}, encoded once"


def _cpu_rows(
    case: str, results: dict[str, timing.Rounds], target: float | None, baseline: str = BASELINE
) -> list[Row]:
    base = results[baseline]
    rows = []
    for name, rounds in results.items():
        row = Row(
            case=case,
            client=name,
            value=timing.median(rounds.cpu_ms),
            unit="ms CPU/call",
            detail=f"{timing.median(rounds.calls_per_s):.0f} calls/s",
            ratio=timing.paired_ratio(rounds.cpu_ms, base.cpu_ms),
        )
        if target is not None and name == OrqImages.name:
            ratio_target(row, target)
        rows.append(row)
    return rows


def _open(contenders: list[type[Contender]], url: str) -> dict[str, Contender]:
    return {cls.name: cls(url) for cls in contenders}


def _close(opened: dict[str, Contender]) -> None:
    for contender in opened.values():
        contender.close()


def _bind_generate(contender: Contender, params: Params) -> Callable[[], object]:
    return lambda: contender.generate(params)


def _bind_vary(contender: Contender, image: bytes) -> Callable[[], object]:
    return lambda: contender.vary(image)


def sync_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    """One call at a time on a sync client, with and without the routing fields."""
    opened = _open(contenders, url)
    rows = []
    try:
        for params, words in (
            (payloads.GENERATION, "with routing fields"),
            (payloads.GENERATION_PLAIN, "prompt and model only"),
        ):
            results = timing.compare_sync(
                {name: _bind_generate(c, params) for name, c in opened.items()},
                rounds=rounds,
                budget_s=budget_s,
            )
            rows += _cpu_rows(f"generations, sync, {words}", results, SYNC_TARGET)
    finally:
        _close(opened)
    return rows


def threads_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    """One sync client shared by THREADS threads: generations, then variation uploads.

    The upload floor is raw httpx2 posting a multipart body it encoded once,
    before timing (`content=`): the least any client can do per call.
    """
    image = payloads.png(payloads.SMALL_IMAGE_BYTES)
    opened = _open(contenders, url)
    floor = RawHttpx(url)
    try:
        generations = timing.compare_sync(
            {name: _bind_generate(c, payloads.GENERATION) for name, c in opened.items()},
            rounds=rounds,
            budget_s=budget_s,
            threads=THREADS,
        )
        uploads = {ENCODED_ONCE: floor.vary_encoded_once(image)}
        uploads |= {name: _bind_vary(c, image) for name, c in opened.items()}
        variations = timing.compare_sync(uploads, rounds=rounds, budget_s=budget_s, threads=THREADS)
    finally:
        _close(opened)
        floor.close()
    kb = len(image) // 1024
    return [
        *_cpu_rows(f"generations, sync, {THREADS} threads", generations, SYNC_TARGET),
        *_cpu_rows(
            f"variation {kb} KB PNG, sync, {THREADS} threads",
            variations,
            UPLOAD_CPU_TARGET,
            baseline=ENCODED_ONCE,
        ),
    ]


def _bind_agenerate(contender: Contender) -> timing.AsyncCall:
    return lambda: contender.agenerate(payloads.GENERATION)


def _compare_async(
    open_all: Callable[[], dict[str, Contender]], *, rounds: int, budget_s: float, in_flight: int
) -> dict[str, timing.Rounds]:
    """compare_async on the async contenders `open_all` makes, in an event loop of its own."""

    async def run() -> dict[str, timing.Rounds]:
        opened = open_all()  # inside the loop: async clients belong to the loop they run on
        try:
            return await timing.compare_async(
                {name: _bind_agenerate(c) for name, c in opened.items()},
                rounds=rounds,
                budget_s=budget_s,
                in_flight=in_flight,
            )
        finally:
            for contender in opened.values():
                await contender.aclose()

    return asyncio.run(run())


def async_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    """Generations on one async client with 1, 8 and 32 calls in flight."""

    def open_all() -> dict[str, Contender]:
        return {cls.name: cls(url, asynchronous=True) for cls in contenders}

    rows = []
    for in_flight in IN_FLIGHT:
        results = _compare_async(open_all, rounds=rounds, budget_s=budget_s, in_flight=in_flight)
        rows += _cpu_rows(f"generations, async, {in_flight} in flight", results, ASYNC_TARGET)
    return rows


def http2_available() -> bool:
    """httpx2 speaks HTTP/2, and the benchmark server serves it, only with `h2` installed."""
    return importlib.util.find_spec("h2") is not None


def http2_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    """Async generations, 32 in flight, over HTTP/1.1 and over HTTP/2 (h2c, one connection)."""
    in_flight = IN_FLIGHT[-1]

    def open_all() -> dict[str, Contender]:
        opened = {}
        for cls in contenders:
            if cls.speaks_http2:
                opened[f"{cls.name}, HTTP/1.1"] = cls(url, asynchronous=True)
                opened[f"{cls.name}, HTTP/2"] = cls(url, asynchronous=True, http2=True)
        return opened

    results = _compare_async(open_all, rounds=rounds, budget_s=budget_s, in_flight=in_flight)
    case = f"generations, async, {in_flight} in flight, by protocol"
    return _cpu_rows(case, results, None, baseline=f"{BASELINE}, HTTP/1.1")


def large_response(contenders: list[type[Contender]], *, repeats: int) -> list[Row]:
    """Each client's whole call answered from memory with a 15 MB body, vs json.loads of it.

    Each client alternates with json.loads alone: a client that copies the body leaves
    the allocator and caches in a state that would slow whichever call came next.
    """
    body = payloads.large_generation_response()
    case = f"parse a {len(body) / 2**20:.0f} MB b64_json response"
    opened = {cls.name: cls("http://bench.invalid", mock_body=body) for cls in contenders}
    floors: list[float] = []
    rows = []
    try:
        for name, contender in opened.items():
            call = _bind_generate(contender, payloads.GENERATION)
            times = timing.time_each({"json.loads": lambda: json.loads(body), name: call}, repeats)
            floors += times["json.loads"]
            row = Row(
                case,
                name,
                timing.median(times[name]),
                "ms CPU",
                "whole call, in memory",
                timing.paired_ratio(times[name], times["json.loads"]),
            )
            if name == OrqImages.name:
                ratio_target(row, PARSE_TARGET)
            rows.append(row)
    finally:
        _close(opened)
    floor = Row(case, "json.loads", timing.median(floors), "ms CPU", "the floor", 1.0)
    return [floor, *rows]


def _raw_with_one_retry(raw: RawHttpx) -> Callable[[], object]:
    """What a raw httpx2 user writes for the same outcome: post again after a 503."""

    def call() -> object:
        url = raw.url + payloads.GENERATIONS_PATH
        response = raw.http.post(url, json=payloads.GENERATION, headers=raw.headers)
        if response.status_code == 503:
            response = raw.http.post(url, json=payloads.GENERATION, headers=raw.headers)
        return response.json()

    return call


def retry_cost(url: str, *, rounds: int, budget_s: float) -> list[Row]:
    """CPU of a call that gets a 503 (retry-after-ms: 0) and then a 200, less a plain call's."""
    flaky_url = url + FLAKY_PREFIX
    opened: dict[str, Any] = {
        "orq_images": OrqImages(url),
        "orq_images retried": OrqImages(flaky_url),
        "raw httpx2": RawHttpx(url),
        "raw httpx2 retried": RawHttpx(flaky_url),
    }
    try:
        results = timing.compare_sync(
            {
                "orq_images": _bind_generate(opened["orq_images"], payloads.GENERATION),
                "orq_images retried": _bind_generate(
                    opened["orq_images retried"], payloads.GENERATION
                ),
                "raw httpx2": _bind_generate(opened["raw httpx2"], payloads.GENERATION),
                "raw httpx2 retried": _raw_with_one_retry(opened["raw httpx2 retried"]),
            },
            rounds=rounds,
            budget_s=budget_s,
        )
    finally:
        for contender in opened.values():
            contender.close()

    def added(name: str) -> list[float]:
        plain, retried = results[name].cpu_ms, results[f"{name} retried"].cpu_ms
        return [r - p for p, r in zip(plain, retried, strict=True)]

    raw_added, sdk_added = added("raw httpx2"), added("orq_images")
    case = "added CPU of one retry (503, retry-after-ms: 0)"
    return [
        Row(case, BASELINE, timing.median(raw_added), "ms CPU", "a second post", 1.0),
        Row(
            case,
            OrqImages.name,
            timing.median(sdk_added),
            "ms CPU",
            "retried by the client",
            timing.median(sdk_added) / timing.median(raw_added),
        ),
    ]
