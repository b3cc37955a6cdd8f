"""The cases measured in the runner's own process: CPU and throughput, large responses, retries.

The client process runs nothing but the client: the server is another process.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from benchmarks import payloads, timing
from benchmarks.contenders import Contender, OrqImages, RawHttpx
from benchmarks.report import BASELINE, Row, ratio_target
from benchmarks.server import FLAKY_PREFIX

CPU_TARGET = 1.25
PARSE_TARGET = 1.15
IN_FLIGHT = 32


def _cpu_rows(case: str, results: dict[str, timing.Rounds], target: float | None) -> list[Row]:
    base = results[BASELINE]
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


def sync_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    image = payloads.png(payloads.SMALL_IMAGE_BYTES)
    opened = _open(contenders, url)
    try:
        generations = timing.compare_sync(
            {name: c.generate for name, c in opened.items()}, rounds=rounds, budget_s=budget_s
        )
        variations = timing.compare_sync(
            {name: _bind_vary(c, image) for name, c in opened.items()},
            rounds=rounds,
            budget_s=budget_s,
        )
    finally:
        for contender in opened.values():
            contender.close()
    kb = len(image) // 1024
    return [
        *_cpu_rows("generations, sync", generations, CPU_TARGET),
        *_cpu_rows(f"variation {kb} KB PNG, sync", variations, CPU_TARGET),
    ]


def _bind_vary(contender: Contender, image: bytes) -> Callable[[], object]:
    return lambda: contender.vary(image)


def async_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    async def run() -> dict[str, timing.Rounds]:
        opened = {cls.name: cls(url, asynchronous=True) for cls in contenders}
        try:
            return await timing.compare_async(
                {name: c.agenerate for name, c in opened.items()},
                rounds=rounds,
                budget_s=budget_s,
                in_flight=IN_FLIGHT,
            )
        finally:
            for contender in opened.values():
                await contender.aclose()

    return _cpu_rows(f"generations, async, {IN_FLIGHT} in flight", asyncio.run(run()), None)


def large_response(contenders: list[type[Contender]], *, repeats: int) -> list[Row]:
    """Each client's whole call answered from memory with a 15 MB body, vs json.loads of it."""
    body = payloads.large_generation_response()
    case = f"parse a {len(body) / 2**20:.0f} MB b64_json response"
    floor = timing.median(timing.time_repeated(lambda: json.loads(body), repeats))
    rows = [Row(case, "json.loads", floor, "ms", detail="the floor", ratio=1.0)]
    for cls in contenders:
        contender = cls("http://bench.invalid", mock_body=body)
        try:
            value = timing.median(timing.time_repeated(contender.generate, repeats))
        finally:
            contender.close()
        row = Row(case, cls.name, value, "ms", detail="whole call, in memory", ratio=value / floor)
        if cls is OrqImages:
            ratio_target(row, PARSE_TARGET)
        rows.append(row)
    return rows


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
                "orq_images": opened["orq_images"].generate,
                "orq_images retried": opened["orq_images retried"].generate,
                "raw httpx2": opened["raw httpx2"].generate,
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
            "retried in the transport",
            timing.median(sdk_added) / timing.median(raw_added),
        ),
    ]
