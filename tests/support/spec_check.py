"""Validation against openapi.yaml with `jsonschema`, independent of the SDK's own checks.

The YAML file itself is read (not the JSON the SDK ships), and each schema is
checked as JSON Schema 2020-12, the dialect of OpenAPI 3.1. JSON Schema counts
2.0 as an integer; what the SDK sends is checked with `strict=True`, where an
integer field holding a JSON fraction (`2.0`) fails, as the issue's wire rules ask.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
_URI = "urn:orq-images:openapi"


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text("utf-8"))
    return loaded


def _is_int(checker: object, value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_StrictValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_int),
)


@cache
def validator(schema_name: str, *, strict: bool) -> Any:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_URI, resource)
    cls = _StrictValidator if strict else Draft202012Validator
    return cls({"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=registry)


def errors(schema_name: str, value: Any, *, strict: bool = False) -> list[str]:
    """What openapi.yaml's schema finds wrong with `value`; empty when it is valid."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator(schema_name, strict=strict).iter_errors(value)
    ]


def property_schema(schema_name: str, field: str) -> dict[str, Any]:
    """A property's schema, with a top-level $ref followed."""
    schemas = spec()["components"]["schemas"]
    prop: dict[str, Any] = schemas[schema_name]["properties"][field]
    while "$ref" in prop:
        prop = schemas[prop["$ref"].rsplit("/", 1)[-1]]
    return prop


def assert_matches(schema_name: str, body: Any) -> None:
    problems = errors(schema_name, body)
    assert not problems, problems
