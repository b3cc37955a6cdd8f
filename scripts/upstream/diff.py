"""Compare openapi.yaml with orq's published OpenAPI document.

    scripts/upstream-diff SOURCE            SOURCE: a path or an http(s) URL
    scripts/upstream-diff SOURCE --verbose  also list each place a declaration covers

Every operation of openapi.yaml is compared with orq's operation of the same method
and path, and every operation of orq's under /v2/router/images that openapi.yaml
lacks is listed. Differences declared in upstream-differences.yaml are shown as
declared, not as news.

Exit status: 0 when nothing undeclared differs, 1 when something does, 2 when a
document or the declarations cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upstream import declared
from upstream.compare import SCOPE, Difference, compare
from upstream.source import SourceError, read_document

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "openapi.yaml"
DECLARATIONS = ROOT / "upstream-differences.yaml"


@dataclass(frozen=True)
class Report:
    news: list[Difference]
    covered: dict[declared.Declaration, list[Difference]]

    @property
    def exit_code(self) -> int:
        return 1 if self.news else 0

    def text(self, *, verbose: bool = False) -> str:
        out: list[str] = []
        if self.news:
            count = len(self.news)
            out.append(
                f"orq's document differs from openapi.yaml in {count} undeclared "
                f"way{'s' if count != 1 else ''}:"
            )
            out.extend(f"  {difference.line()}" for difference in self.news)
        else:
            out.append("openapi.yaml is in step with orq's document: nothing undeclared differs.")
        seen = {d: places for d, places in self.covered.items() if places}
        if seen:
            out.append(f"Declared in {DECLARATIONS.name}, not news:")
            for declaration, places in seen.items():
                count = f"{len(places)} place{'s' if len(places) != 1 else ''}"
                out.append(f"  {declaration.what} ({count}): {declaration.why}")
                if verbose:
                    out.extend(f"    {difference.line()}" for difference in places)
        unseen = [d.what for d, places in self.covered.items() if not places]
        if unseen:
            out.append(
                f"Declared but not seen; if orq has caught up, remove from {DECLARATIONS.name}:"
            )
            out.extend(f"  {what}" for what in unseen)
        return "\n".join(out) + "\n"


def run(
    theirs: dict[str, Any], ours: dict[str, Any], declarations: list[declared.Declaration]
) -> Report:
    news, covered = declared.split(compare(ours, theirs), declarations)
    return Report(news, covered)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/upstream-diff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", help="orq's OpenAPI document: a path or an http(s) URL")
    parser.add_argument("--ours", default=str(OURS), help="our spec (default: openapi.yaml)")
    parser.add_argument(
        "--declared", type=Path, default=DECLARATIONS, help="the declared differences"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list each place a declaration covers"
    )
    args = parser.parse_args(argv)
    try:
        ours = read_document(args.ours)
        # orq's document is large: read only the operations compared, and what they use.
        theirs = read_document(
            args.source, lambda path: path.startswith(SCOPE) or path in ours["paths"]
        )
        report = run(theirs, ours, declared.load(args.declared))
    except (SourceError, declared.DeclarationError, ValueError) as exc:
        print(f"upstream-diff: {exc}", file=sys.stderr)
        return 2
    print(report.text(verbose=args.verbose), end="")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
