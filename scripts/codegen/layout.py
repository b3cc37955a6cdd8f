"""Where the one package `orq_images` lives in this tree, and how to assemble it.

The engine is hand-written under overlays/orq_images/; its subpackage _generated
is written by scripts/generate under generated/orq_images/_generated/ and reached
from overlays/ through a symlink. The wheel takes both into one package. Tools
that need the package with another generated part (the drift check, the API
change report, tests of a changed spec) assemble a copy with `assemble`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "orq_images"
SUBPACKAGE = "_generated"
OVERLAYS = ROOT / "overlays"
GENERATED = ROOT / "generated"
# The generated subpackage's place under generated/, as it sits in the package.
GENERATED_PACKAGE = f"{PACKAGE}/{SUBPACKAGE}"


def assemble(destination: Path, generated: Path, overlays: Path = OVERLAYS) -> Path:
    """A folder holding `orq_images` with `generated` as its _generated subpackage;
    returns that folder, ready for sys.path, PYTHONPATH or a type checker."""
    package = destination / PACKAGE
    shutil.copytree(
        overlays / PACKAGE,
        package,
        ignore=shutil.ignore_patterns("__pycache__", SUBPACKAGE),
    )
    shutil.copytree(generated, package / SUBPACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    return destination
