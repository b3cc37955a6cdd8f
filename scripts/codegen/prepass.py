"""Rewrites of openapi.yaml that openapi-python-client needs to emit correct code.

openapi.yaml stays plain OpenAPI 3.1 for people and for runtime validation;
`prepare` makes every union's discriminator explicit (for the surface, the models
and the runtime checks alike), and only the copy handed to the generator is
rewritten further. Each rewrite names the
generator defect it works around, and fails loudly on a shape it does not know.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from codegen.unions import UnionError, explicit_discriminators

Schema = dict[str, Any]


class PrepassError(RuntimeError):
    """The spec has a shape a rewrite does not know how to handle."""


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _object_properties(spec: Schema) -> Iterator[tuple[str, str, Schema]]:
    for schema_name, schema in spec["components"]["schemas"].items():
        for prop_name, prop in schema.get("properties", {}).items():
            yield schema_name, prop_name, prop


def _same_values(one: Schema, other: Schema) -> bool:
    return one.get("type") == other.get("type") and one.get("enum") == other.get("enum")


def _enum_name(schema_name: str, prop_name: str, enum: Schema, taken: dict[str, Schema]) -> str:
    """The field's own name (`Quality`) unless a different schema has it; then the schema's
    and the field's (`CreateImageEditRequestQuality`). Enums with the same values share a
    name. Either can be renamed in generator-config.yaml (`class_overrides`)."""
    for name in (_pascal(prop_name), schema_name + _pascal(prop_name)):
        if name not in taken or _same_values(taken[name], enum):
            return name
    raise PrepassError(
        f"{schema_name}.{prop_name}: the names {_pascal(prop_name)!r} and {name!r} for its "
        f"enum are both taken by other schemas; rename one of those in openapi.yaml"
    )


def hoist_nullable_enums(spec: Schema) -> Schema:
    """Defect: `type: [string, "null"]` with an `enum` makes the generator emit one
    identical enum class per type in the list (`..._type_1`, `..._type_2_type_1`, ...),
    and drops `None` from the accepted values when `null` is missing from the list.

    Rewrite: the enum becomes a named component (`Background`, `Quality`, ...; see
    _enum_name when two fields share a name) and the property
    `anyOf: [{$ref: that}, {type: "null"}]`, which the generator turns into one enum
    class and an `Enum | None` attribute.
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
        name = _enum_name(schema_name, prop_name, enum_schema, {**schemas, **hoisted})
        if name not in schemas:
            hoisted.setdefault(name, enum_schema)
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


def order_unions(spec: Schema) -> Schema:
    """Defect: the generator parses a union by trying its members in order, and an object
    member takes any object with its required fields, so a catch-all member listed first
    swallows the others, and two members that nothing tells apart parse as whichever
    comes first.

    Rewrite: each union of objects names its discriminator and lists its fallback member
    last (codegen/unions.py); a union that cannot be told apart is refused here, before
    the generator runs, with the fix.
    """
    try:
        return explicit_discriminators(spec)
    except UnionError as exc:
        raise PrepassError(str(exc)) from None


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _success_schemas(spec: Schema) -> Iterator[str]:
    """The schema names success responses refer to, in the spec's order."""
    responses = spec.get("components", {}).get("responses", {})
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            for status, given in op.get("responses", {}).items():
                if not str(status).startswith("2"):
                    continue
                response = given
                if "$ref" in given:
                    response = responses.get(given["$ref"].rsplit("/", 1)[-1])
                    if response is None:
                        raise PrepassError(
                            f"{method.upper()} {path} {status}: refers to a response "
                            "that components/responses does not hold"
                        )
                for ref in _refs(response.get("content", {})):
                    yield ref.rsplit("/", 1)[-1]


def response_models_only(spec: Schema) -> Schema:
    """Defect: the generator writes a model class for every schema of the document, and an
    endpoint module for every operation; requests are TypedDicts (codegen/surface.py) and
    the engine sends every call and reads error bodies itself, so all but the response
    models would be shipped and never used.

    Rewrite: the generator gets the schemas that success responses reach, and no paths.
    """
    schemas: dict[str, Schema] = spec["components"]["schemas"]
    reached: dict[str, None] = {}
    todo = list(_success_schemas(spec))
    while todo:
        name = todo.pop(0)
        if name in reached:
            continue
        if name not in schemas:
            raise PrepassError(f"{name}: referred to, but components/schemas does not hold it")
        reached[name] = None
        todo.extend(ref.rsplit("/", 1)[-1] for ref in _refs(schemas[name]))
    for name in reached:
        _refuse_unions_of_objects(spec, name, schemas[name])
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "paths": {},
        "components": {"schemas": {name: schemas[name] for name in reached}},
    }


def _refuse_unions_of_objects(spec: Schema, where: str, schema: Schema) -> None:
    """A response model holds other models, never a union of them: parsing one would need
    code that tries each member, which no response has needed."""
    for union in ("anyOf", "oneOf"):
        members = [
            spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
            for member in schema.get(union, ())
            for ref in ([member["$ref"]] if "$ref" in member else [])
        ]
        if sum(1 for member in members if member.get("type") == "object") > 1:
            raise PrepassError(
                f"{where}: a response field that is one of several objects is not supported; "
                "merge the members into one object with optional fields"
            )
    for name, prop in schema.get("properties", {}).items():
        _refuse_unions_of_objects(spec, f"{where}.{name}", prop)
    if isinstance(schema.get("items"), dict):
        _refuse_unions_of_objects(spec, f"{where}[]", schema["items"])


def prepare(spec: Schema) -> Schema:
    """The spec as the surface templates and the runtime checks read it."""
    return order_unions(spec)


def prepare_for_generator(spec: Schema) -> Schema:
    """The prepared spec (see `prepare`) as openapi-python-client is to read it."""
    return hoist_nullable_enums(response_models_only(spec))
