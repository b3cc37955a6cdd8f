"""Smoke test of an installed orq-images, against its own LocalRouter.

Run it with the Python of a fresh virtual environment that holds only the wheel
and its dependencies (it imports nothing from the source tree):

    venv/bin/python scripts/releasing/smoke.py --version 0.2.0

It checks the installed version and entry points, makes both calls the docs show
(sync and async), saves an image, uploads it back as a variation, and maps a
refused key to AuthenticationError. Exits non-zero at the first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import sys
import tempfile
from pathlib import Path

import orq_images
from orq_images import AsyncOrq, AuthenticationError, Orq
from orq_images.models import Image
from orq_images.testing import LocalRouter

API_KEY = "smoke-test-key"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"smoke test failed: {what}")


def installed(version: str) -> None:
    check(orq_images.__version__ == version, f"version {orq_images.__version__}, not {version}")
    check("site-packages" in orq_images.__file__, f"imported from {orq_images.__file__}")
    distribution = importlib.metadata.distribution("orq-images")
    check(distribution.version == version, f"metadata version {distribution.version}")
    for entry_point in distribution.entry_points.select(group="console_scripts"):
        entry_point.load()  # a command whose module is missing fails here, not in a user's shell


def documented(item: object) -> Image:
    """An image datum as the docs show it, with to_bytes() and save()."""
    if not isinstance(item, Image):
        raise SystemExit(f"smoke test failed: an image came back as {type(item).__name__}")
    return item


def calls(url: str, folder: Path) -> None:
    with Orq(api_key=API_KEY, server_url=url) as orq:
        result = orq.router.images.generations.create(
            prompt="a red fox", model="openai/gpt-image-1", n=2, size="256x256",
            response_format="b64_json",
        )  # fmt: skip
        check(len(result.data) == 2, f"{len(result.data)} images instead of 2")
        picture = documented(result.data[0]).save(folder / "fox.png")
        check(picture.read_bytes().startswith(PNG_SIGNATURE), "the saved image is not a PNG")
        variation = orq.router.images.variations.create(
            model="openai/dall-e-2", image=picture, n=1, size="256x256",
            response_format="b64_json",
        )  # fmt: skip
        varied = documented(variation.data[0]).to_bytes()
        check(varied.startswith(PNG_SIGNATURE), "the variation is not a PNG")
    with Orq(api_key="refused-key", server_url=url, retry_config=None) as refused:
        try:
            refused.router.images.generations.create(prompt="a red fox", model="openai/dall-e-2")
        except AuthenticationError:
            pass
        else:
            check(False, "a refused key did not raise AuthenticationError")


async def async_call(url: str) -> None:
    async with AsyncOrq(api_key=API_KEY, server_url=url) as orq:
        result = await orq.router.images.generations.create(
            prompt="a red fox", model="openai/dall-e-2", response_format="url"
        )
        check(bool(result.data and result.data[0].url), "no image URL from the async client")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", required=True, help="the version that must be installed")
    args = parser.parse_args()
    installed(args.version)
    with LocalRouter(api_key=API_KEY) as router, tempfile.TemporaryDirectory() as folder:
        calls(router.url, Path(folder))
        asyncio.run(async_call(router.url))
        uploaded = [request.file for request in router.requests if request.file is not None]
        check(len(uploaded) == 1 and uploaded[0].size > 0, f"uploads seen: {uploaded}")
    print(f"smoke test passed: orq-images {args.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
