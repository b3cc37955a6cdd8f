"""Our deliberate differences from orq's document, read from upstream-differences.yaml.

Each entry says what differs and why, and which report lines it covers: a `kind`
or a list of them (compare.KINDS) and, optionally, `where` (shell-style patterns
matched against the place, such as `POST /v2/router/images/* request plugins[].entities`,
where `[]` means an array's items as in the report) and `ours` / `theirs` (patterns
matched against each side's value as the report words it, such as `integer`).
A declaration covers what every source says, unless `source` (a pattern, such as
`orq-ai-sdk*`) limits it to the sources whose name matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml
from schemadiff.compare import KINDS

from upstream.compare import Finding

_KEYS = frozenset({"what", "why", "kind", "where", "ours", "theirs", "source"})


class DeclarationError(ValueError):
    """The declarations file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Declaration:
    what: str
    why: str
    kinds: tuple[str, ...]
    where: tuple[str, ...] = ()
    ours: str | None = None
    theirs: str | None = None
    source: str | None = None

    def covers(self, difference: Finding) -> bool:
        return (
            difference.kind in self.kinds
            and (self.source is None or fnmatchcase(difference.source, self.source))
            and (not self.where or any(fnmatchcase(difference.where, w) for w in self.where))
            and (self.ours is None or fnmatchcase(difference.ours, self.ours))
            and (self.theirs is None or fnmatchcase(difference.theirs, self.theirs))
        )


def _entry(index: int, raw: Any) -> Declaration:
    label = f"differences[{index}]"
    if not isinstance(raw, Mapping):
        raise DeclarationError(f"{label}: expected a mapping")
    label = f"{label} ({raw.get('what', 'no `what`')})"
    unknown = set(raw) - _KEYS
    if unknown:
        raise DeclarationError(f"{label}: unknown keys {sorted(unknown)}")
    for key in ("what", "why"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise DeclarationError(f"{label}: `{key}` is required")
    kinds = raw.get("kind")
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds or ())
    if not kinds:
        raise DeclarationError(f"{label}: `kind` is required")
    for kind in kinds:
        if kind not in KINDS:
            raise DeclarationError(f"{label}: kind {kind!r} is not one of {sorted(KINDS)}")
    where = raw.get("where", ())
    # `[]` is an array's items, as in the report, not an fnmatch character class.
    where = tuple(w.replace("[]", "[[][]]") for w in ([where] if isinstance(where, str) else where))
    for key in ("ours", "theirs", "source"):
        if key in raw and not isinstance(raw[key], str):
            raise DeclarationError(f"{label}: `{key}` must be a string pattern")
    return Declaration(
        what=raw["what"].strip(),
        why=" ".join(raw["why"].split()),
        kinds=kinds,
        where=where,
        ours=raw.get("ours"),
        theirs=raw.get("theirs"),
        source=raw.get("source"),
    )


def load(path: Path) -> list[Declaration]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeclarationError(f"{path}: {exc}") from exc
    if not isinstance(loaded, Mapping) or not isinstance(loaded.get("differences"), list):
        raise DeclarationError(f"{path}: expected a `differences:` list")
    return [_entry(i, raw) for i, raw in enumerate(loaded["differences"])]


def split(
    differences: list[Finding], declarations: list[Declaration]
) -> tuple[list[Finding], dict[Declaration, list[Finding]]]:
    """The differences no declaration covers, and those each declaration covers."""
    news: list[Finding] = []
    covered: dict[Declaration, list[Finding]] = {d: [] for d in declarations}
    for difference in differences:
        match = next((d for d in declarations if d.covers(difference)), None)
        if match is None:
            news.append(difference)
        else:
            covered[match].append(difference)
    return news, covered
