"""Read an OpenAPI document from a path or an http(s) URL, YAML or JSON.

orq's full document is several MB of YAML, almost all of it about operations we do
not compare, and reading all of it costs seconds. So a YAML document in block style
is cut into its entries by indentation first, and only what the comparison reaches
is parsed: the operations under the paths asked for, and the components their
`$ref`s lead to. A document laid out any other way is parsed whole.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

FETCH_TIMEOUT_S = 60
# libyaml's parser, when PyYAML has it, is several times faster than pure Python.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A mapping key at the start of a line: "quoted", 'quoted' or plain, then a colon.
_KEY = re.compile(r"""( *)(?:"([^"\\]*)"|'([^']*)'|([^\s#'"\-\[{?!&*|>%@`][^#]*?)) *:(?:\s|$)""")
Document = dict[str, Any]


class SourceError(Exception):
    """A document cannot be fetched or read."""


class _NotBlockStyle(Exception):
    """The text is not laid out as entries by indentation: parse it whole."""


def read_document(source: str, keep_path: Callable[[str], bool] | None = None) -> Document:
    """The document at `source`. With `keep_path`, only the paths it accepts are read
    (and the components they use): the rest of `paths` is left out."""
    text = _fetch(source)
    try:
        if text.lstrip().startswith("{"):
            loaded = json.loads(text)
        elif keep_path is None:
            loaded = yaml.load(text, _LOADER)  # noqa: S506 - a safe loader
        else:
            try:
                loaded = _Sliced(text.splitlines()).document(keep_path)
            except (_NotBlockStyle, yaml.YAMLError):  # an alias to an anchor cut away, ...
                loaded = yaml.load(text, _LOADER)  # noqa: S506 - a safe loader
    except (ValueError, yaml.YAMLError) as exc:
        raise SourceError(f"{source}: not YAML or JSON: {exc}") from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get("paths"), dict):
        raise SourceError(f"{source}: not an OpenAPI document (no `paths`)")
    return loaded


def _fetch(source: str) -> str:
    try:
        if source.startswith(("https://", "http://")):
            # The scheme is checked just above: no file: or custom schemes.
            request = urllib.request.Request(source, headers={"User-Agent": "upstream-diff"})  # noqa: S310
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as answer:  # noqa: S310
                return str(answer.read().decode("utf-8"))
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{source}: {exc}") from exc


Span = tuple[int, int]


class _Sliced:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def _content(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """(line number, indentation) of each line in range that is not blank or a comment."""
        for number in range(start, end):
            stripped = self.lines[number].lstrip(" ")
            if stripped and not stripped.startswith("#"):
                yield number, len(self.lines[number]) - len(stripped)

    def entries(self, span: Span, *, nested: bool = True) -> dict[str, Span]:
        """The keys of the mapping in `span` (below its key line when `nested`) and the lines
        each one spans."""
        start, end = (span[0] + 1, span[1]) if nested else span
        content = list(self._content(start, end))
        if not content:
            raise _NotBlockStyle
        indent = content[0][1]
        found: dict[str, Span] = {}
        current: tuple[str, int] | None = None
        for number, depth in content:
            # Deeper lines belong to the entry above, and so do the items of a list written
            # at the key's own indentation (`required:` then `- id`), as PyYAML writes them.
            if depth > indent or (current and self.lines[number][depth:].startswith("- ")):
                continue
            match = _KEY.match(self.lines[number])
            if depth < indent or match is None:
                raise _NotBlockStyle  # a list item, a flow collection, a document marker...
            if current is not None:
                found[current[0]] = (current[1], number)
            key = next(group for group in match.groups()[1:] if group is not None)
            current = (key, number)
        if current is not None:
            found[current[0]] = (current[1], end)
        return found

    def parse(self, *spans: Span) -> Any:
        text = "\n".join(line for start, end in spans for line in self.lines[start:end])
        return yaml.load(text, _LOADER)  # noqa: S506 - a safe loader

    def document(self, keep_path: Callable[[str], bool]) -> Document:
        top = self.entries((0, len(self.lines)), nested=False)
        if "paths" not in top:
            raise _NotBlockStyle
        rest = [span for key, span in top.items() if key not in ("paths", "components")]
        document: Document = (self.parse(*rest) or {}) if rest else {}
        paths = self.entries(top["paths"])
        kept = [span for path, span in paths.items() if keep_path(path)]
        document["paths"] = (self.parse(*kept) or {}) if kept else {}
        document["components"] = self._components(top.get("components"), document["paths"])
        return document

    def _components(self, span: Span | None, reached_from: Any) -> Document:
        """The components the `$ref`s under `reached_from` lead to, directly or not."""
        components: Document = {}
        if span is None:
            return components
        sections = {name: self.entries(part) for name, part in self.entries(span).items()}
        pending = list(_refs(reached_from))
        seen: set[str] = set()
        while pending:
            ref = pending.pop()
            parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            if ref in seen or len(parts) < 3 or parts[0] != "components":
                continue
            seen.add(ref)
            section, name = parts[1], parts[2]
            entry = sections.get(section, {}).get(name)
            if entry is None or name in components.get(section, {}):
                continue
            [value] = self.parse(entry).values()
            components.setdefault(section, {})[name] = value
            pending.extend(_refs(value))
        # Security schemes are named, not referenced: keep them all.
        if "securitySchemes" in sections:
            components["securitySchemes"] = self.parse(*sections["securitySchemes"].values())
        return components


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)
