"""orq's Python SDK (orq-ai-sdk) as a source: its image operations as an OpenAPI document.

orq's SDK releases are newer than the OpenAPI documents orq publishes, so the SDK
is read too. Which one:

- by default the newest orq-ai-sdk wheel on the package index (`pip download`);
- a version (`4.17.13`): that release, from the index or pip's cache;
- a path: a wheel file, or a folder holding the `orq_ai_sdk` package (an unpacked
  wheel, or a site-packages where it is installed), for tests and offline use.

The wheel is unpacked into a temporary folder and its models are read by
sdk_models.py in a process of its own, so this tool never imports the SDK.

Its models carry no ranges or patterns, only prose. Where the prose states a limit
in a form of few words ("Must be between 1 and 10", "Maximum 259200 seconds",
"Enter up to 20 unique integers from 400 to 599", "an array of images ... up to 16
images"), the limit is added to the field, so that it is compared like any other.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from upstream.source import Document, SourceError

PACKAGE = "orq-ai-sdk"
EXTRACTOR = Path(__file__).with_name("sdk_models.py")
DOWNLOAD_TIMEOUT_S = 300
EXTRACT_TIMEOUT_S = 120
_VERSION = re.compile(r"\d+(\.\d+)*([a-z]+\d*)?(\.post\d+)?(\.dev\d+)?")
_NUMBER = r"(-?\d+(?:\.\d+)?)"


def read_sdk(choice: str, scope: str) -> tuple[str, Document]:
    """The source's name (`orq-ai-sdk 4.17.13`) and its operations under `scope`.
    `choice` is `newest`, a version, or a path (see the module's docstring)."""
    with tempfile.TemporaryDirectory(prefix="orq-sdk-") as scratch_dir:
        scratch = Path(scratch_dir)
        path = Path(choice)
        if choice == "newest" or (_VERSION.fullmatch(choice) and not path.exists()):
            path = _download(None if choice == "newest" else choice, scratch)
        if path.is_file():
            path = _unpack(path, scratch / "site")
        if not (path / "orq_ai_sdk").is_dir():
            raise SourceError(f"{choice}: no orq_ai_sdk package there")
        version = _version(path)
        document = _extract(path, scope)
    with_documented_limits(document)
    return f"{PACKAGE} {version}", document


def _download(version: str | None, scratch: Path) -> Path:
    requirement = PACKAGE if version is None else f"{PACKAGE}=={version}"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--quiet", "--dest", str(scratch), requirement]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"pip download {requirement}: no answer in {exc.timeout} s") from exc
    wheels = sorted(scratch.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        reason = (result.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise SourceError(f"pip download {requirement}: {reason}")
    return wheels[0]


def _unpack(wheel: Path, destination: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(destination)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceError(f"{wheel}: not a wheel: {exc}") from exc
    return destination


def _version(site: Path) -> str:
    """The version in the dist-info beside the package (a site-packages may hold others)."""
    for info in site.glob("orq_ai_sdk-*.dist-info"):
        return info.name.removeprefix("orq_ai_sdk-").removesuffix(".dist-info")
    raise SourceError(f"{site}: no orq_ai_sdk-*.dist-info beside the package")


def _extract(site: Path, scope: str) -> Document:
    # -I: neither PYTHONPATH nor this tool's folder is on the path; the extractor puts
    # `site` first, so that this SDK and not the one installed in .venv is imported.
    command = [sys.executable, "-I", str(EXTRACTOR), str(site), scope]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=EXTRACT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"{site}: reading the SDK's models took over {exc.timeout} s") from exc
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise SourceError(f"{site}: cannot read the SDK's models: {reason}")
    document: Document = json.loads(result.stdout)
    return document


def _between(match: re.Match[str], schema: dict[str, Any]) -> None:
    schema.update(minimum=_number(match[1]), maximum=_number(match[2]))


def _at_most(match: re.Match[str], schema: dict[str, Any]) -> None:
    schema.update(maximum=_number(match[1]))


def _unique_integers(match: re.Match[str], schema: dict[str, Any]) -> None:
    items = schema.get("items")
    if isinstance(items, dict):
        items.update(minimum=_number(match[2]), maximum=_number(match[3]))
    schema.update(maxItems=_number(match[1]), uniqueItems=True)


def _one_or_many(match: re.Match[str], schema: dict[str, Any]) -> None:
    one = {k: v for k, v in schema.items() if k not in ("description", "default", "deprecated")}
    for key in one:
        del schema[key]
    schema["anyOf"] = [one, {"type": "array", "items": one, "maxItems": _number(match[1])}]


_LIMITS: list[tuple[re.Pattern[str], Callable[[re.Match[str], dict[str, Any]], None]]] = [
    (re.compile(rf"\bMust be between {_NUMBER} and {_NUMBER}\b"), _between),
    (re.compile(rf"\bMaximum {_NUMBER} seconds\b"), _at_most),
    (
        re.compile(rf"\bup to {_NUMBER} unique integers from {_NUMBER} to {_NUMBER}\b"),
        _unique_integers,
    ),
    (re.compile(r"\bor an array of \w+\b.*\bup to (\d+) \w+s\b"), _one_or_many),
]


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _fields(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema in `node` that has a description."""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            yield node
        for value in node.values():
            yield from _fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from _fields(value)


def with_documented_limits(document: Document) -> None:
    """Add to each field the limits its description states (see the module's docstring)."""
    for schema in list(_fields(document.get("components", {}))):
        for pattern, apply in _LIMITS:
            match = pattern.search(schema["description"])
            if match is not None:
                apply(match, schema)
