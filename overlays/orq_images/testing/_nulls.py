"""Find a null the spec does not allow.

The shared validator treats None in an object as "not set", because that is
what it means in a client's keyword arguments. On the wire a server sees an
explicit JSON null, which the live API refuses where the schema's type does
not include "null"; this walk finds the first such null so the router can too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._exceptions import InvalidRequestError
from .._spec import JsonObject, load_spec


def _resolve(schema: JsonObject) -> JsonObject:
    while "$ref" in schema:
        schema = load_spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _allows_null(schema: JsonObject) -> bool:
    schema = _resolve(schema)
    if "anyOf" in schema:
        return any(_allows_null(option) for option in schema["anyOf"])
    declared = schema.get("type")
    if declared is None:
        return True
    return declared == "null" or (isinstance(declared, list) and "null" in declared)


def _find(value: Any, schema: JsonObject, path: str) -> str | None:
    schema = _resolve(schema)
    if value is None:
        return None if _allows_null(schema) else path
    if "anyOf" in schema:
        found = [_find(value, option, path) for option in schema["anyOf"]]
        return None if None in found else found[0]
    if isinstance(value, Mapping):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                child = f"{path}.{key}" if path else str(key)
                hit = _find(item, sub, child)
                if hit is not None:
                    return hit
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            hit = _find(item, schema["items"], f"{path}[{index}]")
            if hit is not None:
                return hit
    return None


def refuse_forbidden_nulls(value: Any, schema_name: str) -> None:
    """Raise InvalidRequestError naming the first null that `schema_name` does not allow."""
    path = _find(value, {"$ref": f"#/components/schemas/{schema_name}"}, "")
    if path is not None:
        raise InvalidRequestError(path, "must not be null")
