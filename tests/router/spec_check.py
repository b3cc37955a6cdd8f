"""Check a body against a schema of openapi.yaml with jsonschema, not with the SDK's validator."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"


@cache
def spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return spec


def assert_matches(schema_name: str, body: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec()["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)
