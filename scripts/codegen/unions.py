"""Unions (`anyOf`/`oneOf`) must be told apart by their JSON type or by a discriminator.

A union of objects reaches users as a union of TypedDicts (codegen/surface.py),
and the client's check (overlays/orq_images/_schema.py) must choose one member for
a value; an object member would take any object that carries its required fields.
So two object members are only safe when a property tells them apart: a
discriminator, declared (`discriminator: {propertyName: kind}`) or implied (a
property every object member but at most one declares as required, with its own
`const` or `enum` values, no value shared). The member without it is the fallback:
it is chosen when the property is absent, and it must come last.

`explicit_discriminators` checks every union of the spec, names the discriminator of
each union of objects, and puts the fallback member last; the runtime checks then
choose by it. A union that cannot be told apart stops the pipeline with a message
naming the schema and the fix.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]
_FIX = (
    "give each object member a required property with its own `const` value "
    "(a discriminator, e.g. `kind: {const: ...}`), or merge the members into one object"
)


class UnionError(ValueError):
    """A union whose members the generated code could not tell apart."""


def _resolve(spec: Schema, node: Schema) -> Schema:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _label(node: Schema, index: int) -> str:
    return node["$ref"].rsplit("/", 1)[-1] if "$ref" in node else f"member {index + 1}"


def _kinds(member: Schema) -> set[str]:
    """The JSON types a member accepts; a whole number is both an integer and a number."""
    types = member.get("type")
    if types is None:
        types = ["object"] if "properties" in member else ["any"]
    kinds = {
        "number" if t == "integer" else t for t in ([types] if isinstance(types, str) else types)
    }
    return kinds - {"null"}


def _values(spec: Schema, member: Schema, name: str) -> list[Any] | None:
    """The values a member allows for property `name`, or None if it does not pin them."""
    prop = member.get("properties", {}).get(name)
    if prop is None:
        return None
    prop = _resolve(spec, prop)
    if "const" in prop:
        return [prop["const"]]
    if "enum" in prop:
        return [value for value in prop["enum"] if value is not None]
    return None


def _discriminator_problem(spec: Schema, members: list[Schema], name: str) -> str | None:
    """Why `name` does not tell these object members apart, or None if it does."""
    seen: dict[Any, int] = {}
    fallbacks = 0
    for index, node in enumerate(members):
        member = _resolve(spec, node)
        if name not in member.get("properties", {}):
            fallbacks += 1
            continue
        values = _values(spec, member, name)
        if not values:
            return f"{name!r} has no `const` or `enum` in {_label(node, index)}"
        if name not in member.get("required", ()):
            return f"{name!r} is not required in {_label(node, index)}"
        for value in values:
            if value in seen:
                return f"{name!r} is {value!r} in two members"
            seen[value] = index
    if fallbacks > 1:
        return f"{fallbacks} members lack {name!r}, so its absence does not choose one"
    return None if seen else f"no member declares {name!r}"


def discriminator_of(spec: Schema, where: str, union: Schema) -> str | None:
    """The property that tells the object members of `union` apart; None when its members
    differ by JSON type alone. Raises UnionError when they cannot be told apart."""
    listed = union.get("anyOf", union.get("oneOf", ()))
    members = [m for m in listed if _kinds(_resolve(spec, m))]  # null is told apart by type
    objects = [m for m in members if _kinds(_resolve(spec, m)) & {"object", "any"}]
    scalars = [_kinds(_resolve(spec, m)) for m in members if m not in objects]
    for i, first in enumerate(scalars):
        for second in scalars[i + 1 :]:
            if first & second:
                raise UnionError(
                    f"{where}: two members of this union both accept {sorted(first & second)[0]} "
                    "values, so parsing cannot tell them apart; merge them into one"
                )
    if len(objects) < 2:
        return None
    if any("any" in _kinds(_resolve(spec, m)) for m in objects):
        raise UnionError(f"{where}: a member of this union accepts anything; {_FIX}")
    declared = union.get("discriminator", {}).get("propertyName")
    if declared is not None:
        problem = _discriminator_problem(spec, objects, declared)
        if problem:
            raise UnionError(f"{where}: the declared discriminator does not work: {problem}")
        return str(declared)
    candidates = dict.fromkeys(
        name for m in objects for name in _resolve(spec, m).get("properties", {})
    )
    for name in candidates:
        if _discriminator_problem(spec, objects, name) is None:
            return name
    names = ", ".join(_label(m, i) for i, m in enumerate(listed))
    raise UnionError(f"{where}: the members of this union ({names}) cannot be told apart; {_FIX}")


def _unions(node: Any, where: str) -> Iterator[tuple[str, Schema]]:
    """Every schema holding anyOf/oneOf under `node`, named by `where` and its field path."""
    if isinstance(node, list):
        for item in node:
            yield from _unions(item, where)
        return
    if not isinstance(node, dict):
        return
    if "anyOf" in node or "oneOf" in node:
        yield where, node
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for name, sub in value.items():
                yield from _unions(sub, f"{where}.{name}")
        elif key == "items":
            yield from _unions(value, f"{where}[]")
        elif key == "additionalProperties":
            yield from _unions(value, f"{where}.*")
        elif key not in ("enum", "const", "examples", "default"):
            yield from _unions(value, where)


def explicit_discriminators(spec: Schema) -> Schema:
    """A copy of `spec` where every union of objects names its discriminator and lists its
    fallback member (the one without the discriminator) last."""
    out = copy.deepcopy(spec)
    places = [
        *(
            place
            for name, schema in out.get("components", {}).get("schemas", {}).items()
            for place in _unions(schema, name)
        ),
        *(
            place
            for path, item in out.get("paths", {}).items()
            for method, operation in item.items()
            for place in _unions(operation, f"{method.upper()} {path}")
        ),
    ]
    for where, union in places:
        name = discriminator_of(out, where, union)
        if name is None:
            continue
        keyword = "anyOf" if "anyOf" in union else "oneOf"
        union[keyword].sort(key=lambda m: name not in _resolve(out, m).get("properties", {}))
        union["discriminator"] = {"propertyName": name, **union.get("discriminator", {})}
    return out
