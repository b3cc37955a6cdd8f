"""The API change report since a git ref (e.g. the base branch of a pull request, or
the last release tag), for the working tree:

    PYTHONPATH=scripts .venv/bin/python -m codegen.report_since --since v0.1.0

The working tree's generated package is rebuilt from its openapi.yaml first, so a
spec edit shows even before `scripts/generate` was run. Exit status as
api_report.py says: 3 when a change is breaking, else 0.

This is the one module that uses both the generator and the report: generate.py
reports through api_report.py, which does not generate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from codegen import api_report, generate, layout


def regenerated(root: Path, scratch: Path) -> api_report.Snapshot:
    """A project tree whose generated package is first rebuilt from its spec into
    `scratch`: what users get from openapi.yaml as it stands."""
    package = generate.build(
        scratch / "generated", root / api_report.SPEC, root / api_report.CONFIG
    )
    view = layout.assemble(scratch / "package", package, root / "overlays")
    return api_report.Snapshot(api_report.read_spec(root / api_report.SPEC), (view,))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--since", required=True, help="git ref of the version to compare with")
    parser.add_argument(
        "--report",
        type=Path,
        default=api_report.REPORT,
        help=f"where to write it (default {api_report.REPORT})",
    )
    parser.add_argument(
        "--tree", type=Path, default=api_report.ROOT, help="the checkout to report on"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="orq-api-report-") as scratch_dir:
        scratch = Path(scratch_dir)
        base = api_report.tree_at(args.since, scratch / "base", cwd=args.tree)
        old = api_report.Snapshot.of_tree(base)
        new = regenerated(args.tree, scratch / "generated")
        return api_report.publish(api_report.compare(old, new), args.report)


if __name__ == "__main__":
    sys.exit(main())
