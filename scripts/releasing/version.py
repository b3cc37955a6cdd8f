"""The package version: its one source, and the semver step a change report calls for.

Breaking changes bump the major version, or the minor one while the major is 0
(semver leaves 0.x free to break, and `orq-images~=0.1.0` users get fixes but no
break). Other API changes bump the minor version; no API change bumps the patch.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Literal

VERSION_FILE = Path("overlays") / "orq_images" / "_version.py"
# X.Y.Z as semver writes it: no leading zeros, no pre-release or build suffix.
_NUMBER = r"(?:0|[1-9]\d*)"
_PLAIN = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}")
_VERSION = re.compile(rf'^__version__ = "({_PLAIN.pattern})"$', re.MULTILINE)

Level = Literal["major", "minor", "patch"]
Version = tuple[int, int, int]


def parse(text: str) -> Version | None:
    """`1.2.3` as a tuple that sorts by precedence; None for anything else."""
    if _PLAIN.fullmatch(text) is None:
        return None
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


def tag_for(version: str) -> str:
    """The git tag of a release: `v` and the version, nothing else."""
    return f"v{version}"


def tagged(tag: str) -> Version | None:
    """The version a release tag names: `v1.2.3` only (not `r1.2.3`, `v1.2`,
    `v1.2.3rc1` or `foo-v1.2.3`); None for any other tag."""
    return parse(tag[1:]) if tag.startswith("v") else None


def read_version(path: Path) -> str:
    return read_version_text(path.read_text(encoding="utf-8"), str(path))


def read_version_text(text: str, where: str) -> str:
    """The version a _version.py holds; `where` names it in the error."""
    match = _VERSION.search(text)
    if match is None:
        raise SystemExit(f'{where}: expected a line `__version__ = "X.Y.Z"`')
    return match[1]


def write_version(path: Path, version: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(_VERSION.sub(f'__version__ = "{version}"', text, count=1), encoding="utf-8")


def level_for(breaking: bool, changed: bool) -> Level:
    if breaking:
        return "major"
    return "minor" if changed else "patch"


def bump(version: str, level: Level) -> str:
    parsed = parse(version)
    if parsed is None:
        raise ValueError(f"not a X.Y.Z version: {version!r}")
    major, minor, patch = parsed
    if level == "major" and major > 0:
        return f"{major + 1}.0.0"
    if level in ("major", "minor"):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def main(argv: list[str] | None = None) -> int:
    """`python -m releasing.version --next-breaking`: the release a breaking change makes."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--next-breaking", action="store_true", required=True)
    parser.parse_args(argv)
    print(bump(read_version(VERSION_FILE), "major"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
