"""`orq-images demo`: the whole loop on a LocalRouter, with no account or network.

It generates an image, asks for it again (served from orq's cache), asks a
model that is down (served by its fallback), makes variations of the saved
image through a real multipart upload, then shows every request the router
saw and checks every file it saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from ._client import Orq
from ._response import RawResponse
from .testing import LocalRouter
from .testing._png import PNGError, chunks, read_header

if TYPE_CHECKING:
    from .types import CacheParam

PROMPT = "a lighthouse on a cliff at dusk"
DOWN_MODEL = "openai/unavailable"
T = TypeVar("T")


@dataclass(frozen=True)
class _Step:
    title: str
    headers: dict[str, str]
    seconds: float


def _timed(call: Callable[[], RawResponse[T]]) -> tuple[RawResponse[T], float]:
    started = time.perf_counter()
    raw = call()
    return raw, time.perf_counter() - started


def _routing(headers: dict[str, str]) -> str:
    parts = [f"served by {headers.get('x-orq-served-by', '?')}"]
    attempts = headers.get("x-orq-attempts")
    if attempts and attempts not in ("0", "1"):
        parts.append(f"after {attempts} model calls")
    if "x-orq-cache" in headers:
        parts.append(f"cache {headers['x-orq-cache']}")
    return ", ".join(parts)


def _describe_file(path: Path) -> str:
    data = path.read_bytes()
    try:
        chunks(data)  # every CRC, up to IEND
        header = read_header(data)
    except PNGError as exc:
        return f"{path}  NOT a valid PNG: {exc}"
    return f"{path}  {header.width}x{header.height} PNG, {len(data) / 1024:.0f} KiB, CRCs ok"


def run_demo(out: Path, stdout: TextIO) -> None:
    def say(line: str = "") -> None:
        print(line, file=stdout, flush=True)

    out.mkdir(parents=True, exist_ok=True)
    cache: CacheParam = {"type": "exact_match", "ttl": 600}
    steps: list[_Step] = []
    saved: list[Path] = []
    with (
        LocalRouter(failing_models={DOWN_MODEL}) as router,
        Orq(api_key="demo-key", server_url=router.url) as orq,
    ):
        say(f"LocalRouter: orq's image API on {router.url} (no account, no network)")
        say(f"Model {DOWN_MODEL} is set up to fail, to show a fallback.")
        say()
        generations = orq.router.images.generations

        first, seconds = _timed(
            lambda: generations.create_detailed(
                prompt=PROMPT, model="openai/gpt-image-1", size="512x512", cache=cache
            )
        )
        steps.append(_Step("1. generate an image (cache on)", dict(first.headers), seconds))
        saved.append(first.parse().data[0].save(out / "lighthouse.png"))

        again, seconds = _timed(
            lambda: generations.create_detailed(
                prompt=PROMPT, model="openai/gpt-image-1", size="512x512", cache=cache
            )
        )
        identical = again.http_response.content == first.http_response.content
        title = f"2. the same request again ({'identical' if identical else 'different'} body)"
        steps.append(_Step(title, dict(again.headers), seconds))

        fallback, seconds = _timed(
            lambda: generations.create_detailed(
                prompt=PROMPT,
                model=DOWN_MODEL,
                size="512x512",
                response_format="b64_json",
                retry={"count": 1, "on_codes": [503]},
                fallbacks=[{"model": "openai/dall-e-3"}],
            )
        )
        steps.append(_Step(f"3. ask {DOWN_MODEL}, falling back", dict(fallback.headers), seconds))
        saved.append(fallback.parse().data[0].save(out / "lighthouse-fallback.png"))

        varied, seconds = _timed(
            lambda: orq.router.images.variations.create_detailed(
                model="openai/dall-e-2",
                image=saved[0],
                n=2,
                size="256x256",
                response_format="b64_json",
            )
        )
        steps.append(_Step(f"4. two variations of {saved[0].name}", dict(varied.headers), seconds))
        for number, image in enumerate(varied.parse().data, start=1):
            saved.append(image.save(out / f"lighthouse-variation-{number}.png"))
        requests = router.requests

    say("What the client did")
    for step in steps:
        say(f"  {step.title:<52} {step.seconds * 1000:6.0f} ms  {_routing(step.headers)}")
    say()
    say("What the router saw")
    for entry in requests:
        notes = [_routing(dict(entry.response_headers))] if entry.method == "POST" else []
        if entry.file:
            notes.append(f"upload {entry.file.filename} ({entry.file.size} bytes)")
        say(
            f"  {entry.method:<4} {entry.path[:46]:<46} {entry.status}"
            f" {entry.duration * 1000:5.0f} ms  {'; '.join(notes)}".rstrip()
        )
    say()
    say(f"Files in {out}/")
    for path in saved:
        say(f"  {_describe_file(path)}")
