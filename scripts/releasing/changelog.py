"""CHANGELOG.md: each release has a `## X.Y.Z` section, newest first."""

from __future__ import annotations

import re


def has_release(changelog: str, version: str) -> bool:
    return re.search(rf"^## {re.escape(version)}\s*$", changelog, re.MULTILINE) is not None


# What was written by hand for the next release, up to the next section.
_UNRELEASED = re.compile(r"^## Unreleased[ \t]*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def add_release(changelog: str, version: str, notes: str) -> str:
    """`changelog` with a section for `version` holding `notes` (Markdown) on top.

    A `## Unreleased` section becomes the version's: its hand-written notes come
    first, then `notes`, so nothing written for the release is left behind it.
    """
    unreleased = _UNRELEASED.search(changelog)
    if unreleased is not None:
        body = "\n\n".join(part for part in (unreleased[1].strip(), notes.strip()) if part)
        before, after = changelog[: unreleased.start()], changelog[unreleased.end() :]
        return f"{before}## {version}\n\n{body}\n\n{after}".rstrip() + "\n"
    section = f"## {version}\n\n{notes.strip()}\n"
    first = re.search(r"^## ", changelog, re.MULTILINE)
    if first is None:
        return f"{changelog.rstrip()}\n\n{section}"
    return f"{changelog[: first.start()]}{section}\n{changelog[first.start() :]}"
