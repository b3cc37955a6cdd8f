"""A schema reduced to what it means for the JSON it accepts, so that two documents
written in different styles can be compared field by field.

What is style and therefore dropped: `$ref` against an inline copy (refs are
resolved), `type: [T, "null"]` against `anyOf: [T, {type: "null"}]` (both become
`nullable`), `const: x` against `enum: [x]`, the order of `anyOf`/`oneOf` members
and of `required`, descriptions, titles, examples and `x-` extensions.

A union of several members is folded into one shape (its properties, types and
enum values merged, a property required only where every member requires it) and
remembers how many members it had: users see fields, and the member count is
reported on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Document = Mapping[str, Any]

BOUNDS = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems", "minProperties", "maxProperties",
)  # fmt: skip
RULES = ("pattern", "uniqueItems")
_UNSET: Any = object()


@dataclass
class Shape:
    types: frozenset[str] = frozenset()
    """JSON types other than null; empty means any."""
    nullable: bool = False
    format: str | None = None
    enum: frozenset[Any] | None = None
    """Allowed values other than null, or None when the values are free."""
    bounds: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, Any] = field(default_factory=dict)
    default: Any = _UNSET
    deprecated: bool = False
    properties: dict[str, Shape] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    closed: bool = False
    """additionalProperties: false."""
    extra: Shape | None = None
    """The schema of additional properties, when one is given."""
    items: Shape | None = None
    variants: int = 1

    @property
    def has_default(self) -> bool:
        return self.default is not _UNSET


class Shaper:
    """Turns the schemas of one document into Shapes, resolving its `$ref`s."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._resolving: list[str] = []

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """`node` itself, or what its `$ref` points at (followed to the end)."""
        seen: set[str] = set()
        while isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"cannot resolve $ref {ref!r}")
            seen.add(ref)
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"))
                if not isinstance(target, Mapping):
                    raise ValueError(f"cannot resolve $ref {ref!r}")
            node = target
        return node

    def shape(self, schema: Any) -> Shape:
        if schema is True or schema is None:
            return Shape()
        if schema is False:
            return Shape(enum=frozenset())
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in self._resolving:
                # A schema containing itself: compared down to here, which is enough.
                return Shape(types=frozenset({"object"}))
            self._resolving.append(ref)
            try:
                return self.shape(self.resolve(schema))
            finally:
                self._resolving.pop()
        members = [*schema.get("anyOf", ()), *schema.get("oneOf", ())]
        own = self._own(schema)
        if not members:
            return own
        shapes = [self.shape(member) for member in members]
        real = [s for s in shapes if not _only_null(s)]
        merged = _merge(real) if real else Shape()
        merged.nullable = merged.nullable or len(real) < len(shapes) or own.nullable
        merged.variants = max(len(real), 1)
        _absorb(merged, own)
        merged.deprecated = merged.deprecated or own.deprecated
        if own.has_default:
            merged.default = own.default
        return merged

    def _own(self, schema: Mapping[str, Any]) -> Shape:
        types = schema.get("type", ())
        types = {types} if isinstance(types, str) else set(types)
        enum_values = schema.get("enum")
        if "const" in schema:
            enum_values = [schema["const"]]
        # With a type, null must be among the types; without one, among the values.
        nullable = "null" in types if types else enum_values is not None and None in enum_values
        shape = Shape(
            types=frozenset(types - {"null"}),
            nullable=nullable,
            format=schema.get("format"),
            enum=None
            if enum_values is None
            else frozenset(_hashable(v) for v in enum_values) - {None},
            bounds={key: schema[key] for key in BOUNDS if key in schema},
            rules={key: schema[key] for key in RULES if key in schema},
            default=schema.get("default", _UNSET),
            deprecated=bool(schema.get("deprecated")),
            required=frozenset(schema.get("required", ())),
        )
        for name, sub in schema.get("properties", {}).items():
            shape.properties[name] = self.shape(sub)
        extra = schema.get("additionalProperties", True)
        shape.closed = extra is False
        if isinstance(extra, Mapping) and extra:
            shape.extra = self.shape(extra)
        if "items" in schema:
            shape.items = self.shape(schema["items"])
        for part in schema.get("allOf", ()):
            _absorb(shape, self.shape(part))
        return shape


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _only_null(shape: Shape) -> bool:
    return shape.nullable and not shape.types and not shape.enum and not shape.properties


def _absorb(into: Shape, part: Shape) -> None:
    """allOf: every part applies."""
    into.types = into.types or part.types
    into.properties.update(part.properties)
    into.required |= part.required
    into.bounds.update(part.bounds)
    into.rules.update(part.rules)
    into.closed = into.closed or part.closed
    if into.enum is None:
        into.enum = part.enum
    into.items = into.items or part.items
    into.extra = into.extra or part.extra
    into.format = into.format or part.format


def _merge(shapes: list[Shape]) -> Shape:
    """anyOf/oneOf: what any member accepts."""
    if len(shapes) == 1:
        return shapes[0]
    enums = [s.enum for s in shapes]
    merged = Shape(
        types=frozenset().union(*(s.types for s in shapes)),
        nullable=any(s.nullable for s in shapes),
        format=shapes[0].format if len({s.format for s in shapes}) == 1 else None,
        enum=None if any(e is None for e in enums) else frozenset().union(*enums),  # type: ignore[arg-type]
        bounds=_widest(shapes),
        rules=shapes[0].rules if all(s.rules == shapes[0].rules for s in shapes) else {},
        deprecated=all(s.deprecated for s in shapes),
        required=frozenset.intersection(*(s.required for s in shapes)),
        closed=all(s.closed for s in shapes),
    )
    names = list(dict.fromkeys(name for s in shapes for name in s.properties))
    for name in names:
        merged.properties[name] = _merge(
            [s.properties[name] for s in shapes if name in s.properties]
        )
    items = [s.items for s in shapes if s.items is not None]
    merged.items = _merge(items) if items else None
    extras = [s.extra for s in shapes if s.extra is not None]
    merged.extra = _merge(extras) if extras else None
    defaults = {repr(s.default) for s in shapes}
    if len(defaults) == 1:
        merged.default = shapes[0].default
    return merged


def _widest(shapes: list[Shape]) -> dict[str, Any]:
    """A bound holds for the union only if every member has it; then the loosest one."""
    bounds: dict[str, Any] = {}
    for key in BOUNDS:
        values = [s.bounds.get(key) for s in shapes]
        if any(v is None for v in values):
            continue
        bounds[key] = max(values) if key.startswith(("max", "exclusiveMax")) else min(values)
    return bounds
