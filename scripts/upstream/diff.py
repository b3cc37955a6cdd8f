"""Compare openapi.yaml with orq's API as orq publishes it, from two sources.

    scripts/upstream-diff [DOCUMENT] [--sdk newest|VERSION|PATH | --no-sdk] [--verbose]

- DOCUMENT: orq's OpenAPI document, a path or an http(s) URL;
- the newest orq-ai-sdk wheel on the package index (see sdk.py), or the release
  or unpacked SDK given with --sdk, unless --no-sdk.

orq's SDK is generated from a newer document than orq publishes, so each source may
show what the other does not; each difference says which source it comes from.
For each source, every operation of openapi.yaml is compared with the source's
operation of the same operationId (or method and path), and every operation of the
source's under /v2/router/images that openapi.yaml lacks is listed. Differences
declared in upstream-differences.yaml are shown as declared, not as news.

Exit status: 0 when nothing undeclared differs, 1 when something does, 2 when a
source, openapi.yaml or the declarations cannot be read.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from schemadiff.shape import SpecError

from upstream import declared
from upstream.compare import SCOPE, Finding, differences
from upstream.sdk import read_sdk
from upstream.source import SourceError, read_document

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "openapi.yaml"
DECLARATIONS = ROOT / "upstream-differences.yaml"
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DATED = re.compile(r"(20\d\d)-(0[1-9]|1[0-2])")


def document_label(source: str) -> str:
    """`orq OpenAPI (Aug 2026)` for a document dated in its name, else with its name."""
    dated = _DATED.search(Path(source).name)
    if dated is None:
        return f"orq OpenAPI ({source})"
    return f"orq OpenAPI ({_MONTHS[int(dated[2]) - 1]} {dated[1]})"


@dataclass(frozen=True)
class Report:
    sources: list[str]
    news: list[Finding]
    covered: dict[declared.Declaration, list[Finding]]

    @property
    def exit_code(self) -> int:
        return 1 if self.news else 0

    def text(self, *, verbose: bool = False) -> str:
        out: list[str] = []
        for source in self.sources:
            news = [finding for finding in self.news if finding.source == source]
            if news:
                count = len(news)
                out.append(
                    f"{source} differs from openapi.yaml in {count} undeclared "
                    f"way{'s' if count != 1 else ''}:"
                )
                out.extend(f"  {finding.line()}" for finding in news)
            else:
                out.append(f"openapi.yaml is in step with {source}: nothing undeclared differs.")
        seen = {d: places for d, places in self.covered.items() if places}
        if seen:
            out.append(f"Declared in {DECLARATIONS.name}, not news:")
            for declaration, places in seen.items():
                counted = f"{len(places)} place{'s' if len(places) != 1 else ''}"
                out.append(f"  {declaration.what} ({counted}): {declaration.why}")
                if verbose:
                    out.extend(f"    {finding.line()} [{finding.source}]" for finding in places)
        # A declaration about a source not read this time says nothing about it.
        unseen = [
            d.what
            for d, places in self.covered.items()
            if not places
            and (d.source is None or any(fnmatchcase(s, d.source) for s in self.sources))
        ]
        if unseen:
            out.append(
                f"Declared but not seen; if orq has caught up, remove from {DECLARATIONS.name}:"
            )
            out.extend(f"  {what}" for what in unseen)
        return "\n".join(out) + "\n"


def run(
    sources: dict[str, dict[str, Any]],
    ours: dict[str, Any],
    declarations: list[declared.Declaration],
) -> Report:
    """Compare `ours` with each source (name -> document)."""
    found = [f for name, theirs in sources.items() for f in differences(name, ours, theirs)]
    news, covered = declared.split(found, declarations)
    return Report(list(sources), news, covered)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/upstream-diff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "document", nargs="?", help="orq's OpenAPI document: a path or an http(s) URL"
    )
    sdk = parser.add_mutually_exclusive_group()
    sdk.add_argument(
        "--sdk",
        default="newest",
        help="orq-ai-sdk to compare: newest (default), a version, a wheel or a folder",
    )
    sdk.add_argument("--no-sdk", action="store_true", help="compare the document alone")
    parser.add_argument("--ours", default=str(OURS), help="our spec (default: openapi.yaml)")
    parser.add_argument(
        "--declared", type=Path, default=DECLARATIONS, help="the declared differences"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list each place a declaration covers"
    )
    args = parser.parse_args(argv)
    if args.document is None and args.no_sdk:
        parser.error("nothing to compare: give a DOCUMENT, or leave out --no-sdk")
    try:
        ours = read_document(args.ours)
        sources: dict[str, dict[str, Any]] = {}
        if args.document is not None:
            # orq's document is large: read only the operations compared, and what they use.
            sources[document_label(args.document)] = read_document(
                args.document, lambda path: path.startswith(SCOPE) or path in ours["paths"]
            )
        if not args.no_sdk:
            name, document = read_sdk(args.sdk, SCOPE)
            sources[name] = document
        report = run(sources, ours, declared.load(args.declared))
    except (SourceError, declared.DeclarationError, SpecError) as exc:
        print(f"upstream-diff: {exc}", file=sys.stderr)
        return 2
    print(report.text(verbose=args.verbose), end="")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
