"""Rewrites of openapi.yaml that openapi-python-client needs to emit correct code.

openapi.yaml stays plain OpenAPI 3.1 for people and for runtime validation;
only the copy handed to the generator is rewritten. Each rewrite names the
generator defect it works around, and fails loudly on a shape it does not know.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

Schema = dict[str, Any]


class PrepassError(RuntimeError):
    """The spec has a shape a rewrite does not know how to handle."""


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _object_properties(spec: Schema) -> Iterator[tuple[str, str, Schema]]:
    for schema_name, schema in spec["components"]["schemas"].items():
        for prop_name, prop in schema.get("properties", {}).items():
            yield schema_name, prop_name, prop


def hoist_nullable_enums(spec: Schema) -> Schema:
    """Defect: `type: [string, "null"]` with an `enum` makes the generator emit one
    identical enum class per type in the list (`..._type_1`, `..._type_2_type_1`, ...),
    and drops `None` from the accepted values when `null` is missing from the list.

    Rewrite: the enum becomes a named component (`Background`, `Quality`, ...) and the
    property `anyOf: [{$ref: that}, {type: "null"}]`, which the generator turns into
    one enum class and an `Enum | None` attribute.
    """
    out = copy.deepcopy(spec)
    schemas = out["components"]["schemas"]
    hoisted: dict[str, Schema] = {}
    for schema_name, prop_name, prop in list(_object_properties(out)):
        types = prop.get("type")
        if "enum" not in prop or not isinstance(types, list):
            continue
        non_null = [t for t in types if t != "null"]
        if "null" not in types or len(non_null) != 1:
            raise PrepassError(
                f"{schema_name}.{prop_name}: only `type: [T, 'null']` enums are handled, "
                f"got {types}"
            )
        if None not in prop["enum"]:
            raise PrepassError(
                f"{schema_name}.{prop_name}: a nullable enum must list null among its values"
            )
        enum_schema: Schema = {
            "type": non_null[0],
            "enum": [value for value in prop["enum"] if value is not None],
            "description": prop.get("description", ""),
        }
        name = _pascal(prop_name)
        if name in schemas or (name in hoisted and hoisted[name] != enum_schema):
            raise PrepassError(f"{schema_name}.{prop_name}: component name {name!r} is taken")
        hoisted[name] = enum_schema
        replacement: Schema = {
            "anyOf": [{"$ref": f"#/components/schemas/{name}"}, {"type": "null"}],
        }
        for keep in ("description", "default"):
            if keep in prop:
                replacement[keep] = prop[keep]
        schema_props = schemas[schema_name]["properties"]
        schema_props[prop_name] = replacement
    schemas.update(hoisted)
    return out


def defaults_to_docs(spec: Schema) -> Schema:
    """Defect: the generator makes a property's spec default the attribute's default,
    so every request sends it (`n=1`, `weight=0.5`) even when the caller never set it.
    A spec default describes what the server does; the client must not send it.

    Rewrite: drop `default` from request-side properties and say it in the description.
    """
    out = copy.deepcopy(spec)
    for schema_name, prop_name, prop in _object_properties(out):
        if "default" not in prop:
            continue
        if "description" not in prop:
            raise PrepassError(
                f"{schema_name}.{prop_name}: a property with a default needs a description"
            )
        default = prop.pop("default")
        shown = default if isinstance(default, str) else repr(default)
        prop["description"] = f"{prop['description']} The server's default is {shown}."
    return out


REWRITES = (hoist_nullable_enums, defaults_to_docs)


def prepare_for_generator(spec: Schema) -> Schema:
    for rewrite in REWRITES:
        spec = rewrite(spec)
    return spec
