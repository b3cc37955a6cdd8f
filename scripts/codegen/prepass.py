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

from codegen.surface import SurfaceError, model_annotations
from codegen.unions import UnionError, explicit_discriminators

Schema = dict[str, Any]


class PrepassError(RuntimeError):
    """The spec has a shape a rewrite does not know how to handle."""


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


def typed_by_the_surface(spec: Schema, class_names: dict[str, str]) -> Schema:
    """Defect: the generator types fields by its own mapping (an enum class per type of a
    nullable enum, `None` dropped when `null` is missing from the list, `Unset`), beside
    the one codegen/surface.py keeps for requests.

    Rewrite: each object schema carries `x-python-types`, the annotation of each field by
    surface.py's mapping, which the model template writes; enum values are in those
    annotations (`Literal[...]`), so they are dropped here and the generator writes no
    enum module.
    """
    out = copy.deepcopy(spec)
    schemas: dict[str, Schema] = out["components"]["schemas"]
    annotations = model_annotations(spec, list(schemas), class_names)
    for name, fields in annotations.items():
        schemas[name]["x-python-types"] = fields
    _drop_values(schemas)
    return out


def _drop_values(node: object) -> None:
    if isinstance(node, dict):
        for key in ("enum", "const"):
            node.pop(key, None)
        for value in node.values():
            _drop_values(value)
    elif isinstance(node, list):
        for item in node:
            _drop_values(item)


def prepare_for_generator(spec: Schema, class_names: dict[str, str]) -> Schema:
    """The prepared spec (see `prepare`) as openapi-python-client is to read it.
    `class_names` are generator-config.yaml's class_overrides, by schema name."""
    try:
        return typed_by_the_surface(response_models_only(spec), class_names)
    except SurfaceError as exc:
        raise PrepassError(str(exc)) from None
