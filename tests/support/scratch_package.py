"""A small spec of a test's own through the whole generator pipeline, imported as a package."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from codegen import generate


@contextlib.contextmanager
def scratch_package(spec: dict[str, Any], folder: Path, name: str) -> Iterator[ModuleType]:
    """Generate `spec` into `folder` as package `name` and import it; unimported on exit.
    The project's generator settings apply, less the formatting post-hooks. The generated
    code imports itself relatively, so the rename is all it takes."""
    spec_path = folder / "scratch.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    settings = yaml.safe_load(generate.CONFIG.read_text(encoding="utf-8"))
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({**settings, "post_hooks": []}), encoding="utf-8")
    package = generate.build(folder / "out", spec_path, config)
    package.rename(folder / "out" / name)
    sys.path.insert(0, str(folder / "out"))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder / "out"))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]
