"""Tests of the maintainer's pipeline: scripts/codegen and scripts/releasing."""

import sys
from pathlib import Path

# The pipeline is scripts, not part of the package: make `codegen` and `releasing`
# importable the way scripts/generate and scripts/release run them.
SCRIPTS = str(Path(__file__).resolve().parents[2] / "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
