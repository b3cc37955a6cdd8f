"""The cases measured in the runner's own process: CPU and throughput, large responses, retries.

The client process runs nothing but the client: the server is another process.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Callable

from benchmarks import payloads, timing
from benchmarks.contenders import (
    Contender,
    OpenAIAiohttp,
    OpenAISdk,
    OrqAiSdk,
    OrqImages,
    OrqImagesAiohttp,
    Params,
    RawAiohttp,
    RawHttpx,
)
from benchmarks.report import BASELINE, Row, ratio_target
from benchmarks.server import FLAKY_PREFIX

SYNC_TARGET = 1.10
ASYNC_TARGET = 1.15
UPLOAD_TARGET = 1.10
AIOHTTP_TARGET = 2.0  # the aiohttp path, against raw aiohttp
IN_FLIGHT = (1, 32, 256, 1024)
AIOHTTP_TARGETED = (32, 256, 1024)
# Past this many in flight a round is at least one call per task: the SDKs on httpx2
# that are not targets (openai, orq-ai-sdk) would take seconds a round, and are left
# out, and fewer rounds are run.
SLOW_ABOVE = 32
ROUNDS_ABOVE = 5
THREADS = 8


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
    return {cls.name: cls(url) for cls in contenders if cls.sync}


def _close(opened: dict[str, Contender]) -> None:
    for contender in opened.values():
        contender.close()


def _bind_generate(contender: Contender, params: Params) -> Callable[[], object]:
    return lambda: contender.generate(params)


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
    """One sync client shared by THREADS threads."""
    opened = _open(contenders, url)
    try:
        generations = timing.compare_sync(
            {name: _bind_generate(c, payloads.GENERATION) for name, c in opened.items()},
            rounds=rounds,
            budget_s=budget_s,
            threads=THREADS,
        )
    finally:
        _close(opened)
    return _cpu_rows(f"generations, sync, {THREADS} threads", generations, SYNC_TARGET)


def uploads_cpu(url: str, *, rounds: int, budget_s: float) -> list[Row]:
    """Variations and edits of 1 MB and 10 MB images, from 1 thread and from THREADS.

    The floor is raw httpx2 posting the same bytes with `files=`, on the same pool.
    """
    sdk, raw = OrqImages(url), RawHttpx(url)
    rows = []
    try:
        for megabytes in payloads.UPLOAD_SIZES_MB:
            image = payloads.png(megabytes * 2**20)
            for endpoint in ("variations", "edits"):
                calls: dict[str, Callable[[], object]] = {
                    BASELINE: _bind_upload(raw, endpoint, image),
                    OrqImages.name: _bind_upload(sdk, endpoint, image),
                }
                for threads in (1, THREADS):
                    results = timing.compare_sync(
                        calls, rounds=rounds, budget_s=budget_s, threads=threads
                    )
                    where = "1 thread" if threads == 1 else f"{threads} threads"
                    case = f"{endpoint}, {megabytes} MB PNG from bytes, sync, {where}"
                    rows += _cpu_rows(case, results, UPLOAD_TARGET)
    finally:
        sdk.close()
        raw.close()
    return rows


def _bind_upload(contender: Contender, endpoint: str, image: bytes) -> Callable[[], object]:
    if endpoint == "variations":
        return lambda: contender.vary(image)
    return lambda: contender.vary_edit(image)


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
    """Generations on one async client with 1, 32, 256 and 1024 calls in flight.

    The aiohttp path is held to raw aiohttp and to openai on aiohttp; everything
    else to raw httpx2. Past SLOW_ABOVE in flight each round is at least one call per
    task, so fewer rounds and contenders keep the case short.
    """
    rows = []
    for in_flight in IN_FLIGHT:

        def open_all(in_flight: int = in_flight) -> dict[str, Contender]:
            return {
                cls.name: cls(url, asynchronous=True)
                for cls in contenders
                if cls.has_async and not (cls in (OrqAiSdk, OpenAISdk) and in_flight > SLOW_ABOVE)
            }

        these = rounds if in_flight <= SLOW_ABOVE else min(rounds, ROUNDS_ABOVE)
        results = _compare_async(open_all, rounds=these, budget_s=budget_s, in_flight=in_flight)
        case = f"generations, async, {in_flight} in flight"
        case_rows = _cpu_rows(case, results, ASYNC_TARGET)
        if OrqImagesAiohttp.name in results and RawAiohttp.name in results:
            _aiohttp_target(case_rows, results, in_flight)
        rows += case_rows
    return rows


def _aiohttp_target(rows: list[Row], results: dict[str, timing.Rounds], in_flight: int) -> None:
    """The aiohttp path: its ratio is to raw aiohttp, and it must beat openai on aiohttp."""
    mine = results[OrqImagesAiohttp.name].cpu_ms
    row = next(row for row in rows if row.client == OrqImagesAiohttp.name)
    row.ratio = timing.paired_ratio(mine, results[RawAiohttp.name].cpu_ms)
    row.detail += ", ratio to raw aiohttp"
    openai = results.get(OpenAIAiohttp.name)
    versus = None if openai is None else timing.paired_ratio(mine, openai.cpu_ms)
    if versus is not None:
        row.detail += f"; {versus:.2f}x openai, aiohttp"
    if in_flight in AIOHTTP_TARGETED:
        row.target = f"<= {AIOHTTP_TARGET:g}x raw aiohttp" + (
            "" if versus is None else ", < openai, aiohttp"
        )
        row.passed = row.ratio <= AIOHTTP_TARGET and (versus is None or versus < 1.0)


def http2_available() -> bool:
    """httpx2 speaks HTTP/2, and the benchmark server serves it, only with `h2` installed."""
    return importlib.util.find_spec("h2") is not None


def http2_cpu(
    contenders: list[type[Contender]], url: str, *, rounds: int, budget_s: float
) -> list[Row]:
    """Async generations, 32 in flight, over HTTP/1.1 and over HTTP/2 (h2c, one connection)."""
    in_flight = 32

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


def _raw_with_one_retry(raw: RawHttpx, attempts: list[int]) -> Callable[[], object]:
    """What a raw httpx2 user writes for the same outcome: post again after a 503."""

    def call() -> object:
        url = raw.url + payloads.GENERATIONS_PATH
        response = raw.http.post(url, json=payloads.GENERATION, headers=raw.headers)
        attempts.append(1)
        if response.status_code == 503:
            response = raw.http.post(url, json=payloads.GENERATION, headers=raw.headers)
            attempts.append(1)
        return response.json()

    return call


class _Retries(logging.Handler):
    """Counts the retries orq_images logs (one INFO record each)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Retrying"):
            self.count += 1


def _counted(call: Callable[[], object], calls: list[int]) -> Callable[[], object]:
    def counting() -> object:
        calls.append(1)
        return call()

    return counting


def retry_cost(url: str, *, rounds: int, budget_s: float) -> list[Row]:
    """A call answered 503 (retry-after-ms: 0) then 200: attempts per call, and added wall time.

    A retry's cost is a second request: a CPU ratio would only restate that. What a
    caller sees is how many attempts a call took and how much longer it waited.
    """
    flaky_url = url + FLAKY_PREFIX
    sdk, sdk_flaky, raw, raw_flaky = (
        OrqImages(url),
        OrqImages(flaky_url),
        RawHttpx(url),
        RawHttpx(flaky_url),
    )
    raw_attempts: list[int] = []
    sdk_calls: list[int] = []
    raw_calls: list[int] = []
    retries = _Retries()
    logger = logging.getLogger("orq_images")
    level = logger.level
    logger.addHandler(retries)
    logger.setLevel(logging.INFO)
    try:
        results = timing.compare_sync(
            {
                "orq_images": _bind_generate(sdk, payloads.GENERATION),
                "orq_images retried": _counted(
                    _bind_generate(sdk_flaky, payloads.GENERATION), sdk_calls
                ),
                "raw httpx2": _bind_generate(raw, payloads.GENERATION),
                "raw httpx2 retried": _counted(
                    _raw_with_one_retry(raw_flaky, raw_attempts), raw_calls
                ),
            },
            rounds=rounds,
            budget_s=budget_s,
        )
    finally:
        logger.removeHandler(retries)
        logger.setLevel(level)
        for contender in (sdk, sdk_flaky, raw, raw_flaky):
            contender.close()

    def added_ms(name: str) -> float:
        plain, retried = results[name].calls_per_s, results[f"{name} retried"].calls_per_s
        return timing.median([1000 / r - 1000 / p for p, r in zip(plain, retried, strict=True)])

    case = "one retry (503 with retry-after-ms: 0, then 200)"
    sdk_attempts = (len(sdk_calls) + retries.count) / len(sdk_calls)
    return [
        Row(
            case,
            BASELINE,
            added_ms("raw httpx2"),
            "ms added wall time",
            f"{len(raw_attempts) / len(raw_calls):.2f} attempts per call, posted again by hand",
        ),
        Row(
            case,
            OrqImages.name,
            added_ms("orq_images"),
            "ms added wall time",
            f"{sdk_attempts:.2f} attempts per call, retried by the client",
        ),
    ]
