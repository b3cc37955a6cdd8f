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

A shape read through a `$ref` to a named component remembers that name (`origin`):
the API change report names a change by the schema, and so the Python class, that
holds it.

A document the shaper cannot read (a `$ref` to nowhere, `properties` that are not a
mapping, ...) raises SpecError, whose one-line message names the place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Document = Mapping[str, Any]

BOUNDS = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems", "minProperties", "maxProperties",
)  # fmt: skip
RULES = ("pattern", "uniqueItems")
_UNSET: Any = object()
_COMPONENT = "#/components/schemas/"


class SpecError(ValueError):
    """A document that cannot be compared; the message names the place."""


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
    origin: str | None = None
    """The component schema this shape was read from through a `$ref`, if any."""

    @property
    def has_default(self) -> bool:
        return self.default is not _UNSET


class Shaper:
    """Turns the schemas of one document into Shapes, resolving its `$ref`s."""

    def __init__(self, document: Document, name: str = "") -> None:
        self.document = document
        self.name = name
        """Which document this is, to begin error messages with (`openapi.yaml`)."""
        self._resolving: list[str] = []

    def resolve(self, node: Any, at: str = "#") -> Mapping[str, Any]:
        """`node` itself, or what its `$ref` points at (followed to the end)."""
        with self._named():
            return self._resolve(node, at)

    def shape(self, schema: Any, at: str = "#") -> Shape:
        """The shape of `schema`, found at `at` (a JSON pointer, for error messages)."""
        with self._named():
            return self._shape(schema, at)

    @contextlib.contextmanager
    def _named(self) -> Iterator[None]:
        try:
            yield
        except SpecError as exc:
            if not self.name:
                raise
            raise SpecError(f"{self.name}: {exc}") from None

    def _resolve(self, found: Any, at: str) -> Mapping[str, Any]:
        if not isinstance(found, Mapping):
            raise SpecError(f"{at}: expected a mapping, found {type(found).__name__}")
        node: Mapping[str, Any] = found
        seen: set[str] = set()
        while isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise SpecError(f"{at}: cannot resolve $ref {ref!r}")
            seen.add(ref)
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"))
                if not isinstance(target, Mapping):
                    raise SpecError(f"{at}: cannot resolve $ref {ref!r}")
            node = target
        return node

    def _shape(self, schema: Any, at: str) -> Shape:
        if schema is True or schema is None:
            return Shape()
        if schema is False:
            return Shape(enum=frozenset())
        if not isinstance(schema, Mapping):
            raise SpecError(f"{at}: a schema must be a mapping, found {type(schema).__name__}")
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in self._resolving:
                # A schema containing itself: compared down to here, which is enough.
                return Shape(types=frozenset({"object"}))
            self._resolving.append(ref)
            try:
                shape = self._shape(self._resolve(schema, at), ref)
            finally:
                self._resolving.pop()
            if ref.startswith(_COMPONENT) and shape.origin is None:
                shape.origin = ref.removeprefix(_COMPONENT).replace("~1", "/").replace("~0", "~")
            return shape
        members = [
            (f"{at}/{key}/{index}", member)
            for key in ("anyOf", "oneOf")
            for index, member in enumerate(_listed(schema, key, at))
        ]
        own = self._own(schema, at)
        if not members:
            return own
        shapes = [self._shape(member, where) for where, member in members]
        real = [s for s in shapes if not _only_null(s)]
        merged = _merge(real) if real else Shape()
        merged.nullable = merged.nullable or len(real) < len(shapes) or own.nullable
        merged.variants = max(len(real), 1)
        _absorb(merged, own)
        merged.deprecated = merged.deprecated or own.deprecated
        if own.has_default:
            merged.default = own.default
        return merged

    def _own(self, schema: Mapping[str, Any], at: str) -> Shape:
        types = schema.get("type", ())
        types = {types} if isinstance(types, str) else set(_listed(schema, "type", at))
        enum_values = _listed(schema, "enum", at) if "enum" in schema else None
        if "const" in schema:
            enum_values = [schema["const"]]
        # With a type, null must be among the types; without one, among the values.
        nullable = "null" in types if types else enum_values is not None and None in enum_values
        properties = schema.get("properties", {})
        if not isinstance(properties, Mapping):
            raise SpecError(f"{at}/properties: expected a mapping of field names to schemas")
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
            required=frozenset(_listed(schema, "required", at)),
        )
        for name, sub in properties.items():
            shape.properties[name] = self._shape(sub, f"{at}/properties/{name}")
        extra = schema.get("additionalProperties", True)
        shape.closed = extra is False
        if isinstance(extra, Mapping) and extra:
            shape.extra = self._shape(extra, f"{at}/additionalProperties")
        if "items" in schema:
            shape.items = self._shape(schema["items"], f"{at}/items")
        for index, part in enumerate(_listed(schema, "allOf", at)):
            _absorb(shape, self._shape(part, f"{at}/allOf/{index}"))
        return shape


def _listed(schema: Mapping[str, Any], key: str, at: str) -> list[Any]:
    value = schema.get(key, [])
    if not isinstance(value, list):
        raise SpecError(f"{at}/{key}: expected a list, found {type(value).__name__}")
    return value


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
        values = [s.bounds[key] for s in shapes if s.bounds.get(key) is not None]
        if len(values) < len(shapes):
            continue
        bounds[key] = max(values) if key.startswith(("max", "exclusiveMax")) else min(values)
    return bounds
