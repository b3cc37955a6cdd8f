"""The API description at run time: openapi.yaml as the JSON that scripts/generate
ships inside the generated package, loaded once on first use."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class FileRule:
    """What the spec allows in one uploaded file field.

    `max_bytes` is the field's `x-max-bytes` (an inclusive limit: OpenAPI has no
    keyword for a file's size), None when the spec sets none; `content_types` its
    multipart `encoding.contentType`. A field is one file (`format: binary`), or one
    file or a list of them (`oneOf` a file and an array of files).
    """

    max_bytes: int | None
    content_types: tuple[str, ...]
    takes_list: bool = False
    """Whether the field takes a list of files too; then `min_items` and `max_items`
    (None: no limit) are its array's bounds."""
    min_items: int = 1
    max_items: int | None = None

    def kinds(self) -> str:
        """`a PNG, JPEG or WEBP image`, for messages."""
        kinds = [kind.removeprefix("image/").upper() for kind in self.content_types]
        listed = ", ".join(kinds[:-1]) + f" or {kinds[-1]}" if len(kinds) > 1 else kinds[0]
        return f"a {listed} image"

    def describe(self) -> str:
        """`a PNG, JPEG or WEBP image of at most 52,428,799 bytes`, for help texts."""
        if self.max_bytes is None:
            return self.kinds()
        return f"{self.kinds()} of at most {self.max_bytes:,} bytes"


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, as the client and the local router need it."""

    operation_id: str
    method: str
    path: str
    content_type: str
    request_schema: str
    response_schema: str
    files: Mapping[str, FileRule] = field(default_factory=dict)
    """Body fields uploaded as files (`format: binary`), sent as multipart file parts."""
    exploded: frozenset[str] = frozenset()
    """Multipart fields whose encoding is `style: form, explode: true`: a list sent as
    repeated `name[]` parts, one value each, rather than one part of JSON text."""

    @property
    def file_fields(self) -> tuple[str, ...]:
        return tuple(self.files)


@cache
def load_spec() -> JsonObject:
    # A data file of the generated subpackage, read without importing it.
    text = resources.files("orq_images").joinpath("_generated", "openapi.json").read_text("utf-8")
    spec: JsonObject = json.loads(text)
    return spec


def _schema_name(ref_holder: JsonObject) -> str:
    ref: str = ref_holder["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def _resolved(schema: JsonObject) -> JsonObject:
    if "$ref" in schema:
        found: JsonObject = load_spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return found
    return schema


def _file_rule(name: str, prop: JsonObject, encoding: JsonObject) -> FileRule | None:
    """The rule of a file field; None for a field that is not one."""
    single = _resolved(prop)
    array: JsonObject | None = None
    if single.get("format") != "binary":
        members = [_resolved(member) for member in prop.get("oneOf", ())]
        files = [member for member in members if member.get("format") == "binary"]
        arrays = [m for m in members if _resolved(m.get("items", {})).get("format") == "binary"]
        if len(files) != 1 or len(arrays) != 1 or len(members) != 2:
            return None
        single, array = files[0], arrays[0]
    types = encoding.get(name, {}).get("contentType", "application/octet-stream")
    return FileRule(
        max_bytes=single.get("x-max-bytes"),
        content_types=tuple(kind.strip() for kind in types.split(",")),
        takes_list=array is not None,
        min_items=1 if array is None else array.get("minItems", 1),
        max_items=None if array is None else array.get("maxItems"),
    )


def default_base_url() -> str:
    """The spec's first server: where a client sends calls unless told otherwise."""
    url: str = load_spec()["servers"][0]["url"]
    return url


def field_default(schema_name: str, field_name: str) -> Any:
    """The `default` the spec gives a field of a schema (None when it gives none)."""
    schema = load_spec()["components"]["schemas"][schema_name]
    return schema["properties"][field_name].get("default")


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
            encoding = body.get("encoding", {})
            found[op["operationId"]] = Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=path,
                content_type=content_type,
                request_schema=request_schema,
                response_schema=_schema_name(success),
                files={
                    name: rule
                    for name, prop in properties.items()
                    if (rule := _file_rule(name, prop, encoding)) is not None
                },
                exploded=frozenset(
                    name
                    for name, rule in encoding.items()
                    if rule.get("style") == "form" and rule.get("explode", True)
                ),
            )
    return found
