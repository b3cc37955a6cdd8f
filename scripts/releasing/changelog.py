"""CHANGELOG.md: each release has a `## X.Y.Z` section, newest first."""

from __future__ import annotations

import re


def has_release(changelog: str, version: str) -> bool:
    return re.search(rf"^## {re.escape(version)}\s*$", changelog, re.MULTILINE) is not None


def add_release(changelog: str, version: str, notes: str) -> str:
    """`changelog` with a section for `version` holding `notes` (Markdown) on top."""
    section = f"## {version}\n\n{notes.strip()}\n"
    first = re.search(r"^## ", changelog, re.MULTILINE)
    if first is None:
        return f"{changelog.rstrip()}\n\n{section}"
    return f"{changelog[: first.start()]}{section}\n{changelog[first.start() :]}"
