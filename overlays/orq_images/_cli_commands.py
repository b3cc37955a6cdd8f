"""What the `orq-images` commands do, once their arguments are parsed."""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from ._client import Orq
from ._spinner import Spinner
from ._upload import sniff_image_type
from .models import Image

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
_SLUG_CHARS = 40


def slug(text: str) -> str:
    """A file-name stem from free text: lower-case words joined by dashes."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    stem = "-".join(words)[:_SLUG_CHARS].rstrip("-")
    return stem or "image"


def save_images(images: Sequence[Image], out: Path, stem: str) -> list[Path]:
    """Write each image as `<stem>-<n>.<ext>` in `out`, never over an existing file."""
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    for number, image in enumerate(images, start=1):
        content = image.to_bytes()
        extension = _EXTENSIONS.get(sniff_image_type(content) or "", ".bin")
        path = out / f"{stem}-{number}{extension}"
        copy = 1
        while path.exists():
            copy += 1
            path = out / f"{stem}-{number}-{copy}{extension}"
        path.write_bytes(content)
        saved.append(path)
    return saved


def _set(**values: Any) -> dict[str, Any]:
    """The options the user gave; the others are left to the API's defaults."""
    return {name: value for name, value in values.items() if value is not None}


def create_images(
    operation: tuple[str, ...],
    fields: dict[str, Any],
    *,
    out: Path,
    stem: str,
    doing: str,
    stderr: TextIO,
) -> list[Path]:
    """Call `orq.router.<operation>.create(**fields)` (None fields left to the API's
    defaults) and save the images it returns."""
    with Orq() as orq, Spinner(doing, stderr):
        namespace: Any = orq.router
        for segment in operation:
            namespace = getattr(namespace, segment)
        result = namespace.create(**_set(**fields))
        return save_images(result.data, out, stem)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(
    port: int,
    *,
    failing_models: Sequence[str],
    latency: float,
    api_key: str | None = None,
    stdout: TextIO,
) -> None:
    """Run a LocalRouter in the foreground until Ctrl-C or SIGTERM.

    With `api_key`, only requests carrying that bearer token are served.
    """
    from .testing import LocalRouter  # noqa: PLC0415 - only this command needs the router

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("orq_images.testing").setLevel(logging.INFO)
    # SIGINT too: a shell starts background jobs with it ignored, and Ctrl-C must still work.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _interrupt)
    router = LocalRouter(port=port, failing_models=failing_models, latency=latency, api_key=api_key)
    try:
        router.start()
    except OSError as exc:
        # Reported by the CLI as "<address>: <reason>".
        raise OSError(exc.errno, exc.strerror, f"127.0.0.1:{port}") from exc
    try:
        print(f"LocalRouter listening on {router.url} (Ctrl-C stops it)", file=stdout)
        # The key is not echoed: the terminal's scrollback is no place for it.
        key = "<the key given to --api-key>" if api_key else "any-key"
        print(f"  export ORQ_BASE_URL={router.url} ORQ_API_KEY={key}", file=stdout, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("LocalRouter stopped", file=stdout)
    finally:
        router.stop()
