"""The API description at run time: openapi.yaml as the JSON that scripts/generate
ships inside the generated package, loaded once on first use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, as the client and the local router need it."""

    operation_id: str
    method: str
    path: str
    content_type: str
    request_schema: str
    response_schema: str
    file_fields: tuple[str, ...] = ()
    """Body fields uploaded as files (`format: binary`), sent as multipart file parts."""


@cache
def load_spec() -> JsonObject:
    # A data file of the generated subpackage, read without importing it.
    text = resources.files("orq_images").joinpath("_generated", "openapi.json").read_text("utf-8")
    spec: JsonObject = json.loads(text)
    return spec


def _schema_name(ref_holder: JsonObject) -> str:
    ref: str = ref_holder["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


@cache
def operations() -> dict[str, Operation]:
    """Every operation of the spec by operationId."""
    found: dict[str, Operation] = {}
    for path, methods in load_spec()["paths"].items():
        for method, op in methods.items():
            ((content_type, body),) = op["requestBody"]["content"].items()
            success = op["responses"]["200"]["content"]["application/json"]
            request_schema = _schema_name(body)
            properties = load_spec()["components"]["schemas"][request_schema]["properties"]
            found[op["operationId"]] = Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                content_type=content_type,
                request_schema=request_schema,
                response_schema=_schema_name(success),
                file_fields=tuple(
                    name for name, prop in properties.items() if prop.get("format") == "binary"
                ),
            )
    return found
