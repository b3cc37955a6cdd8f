"""Turn the text fields of a form into the typed values the spec describes.

A form carries only text, so each field is read by its schema's type: integer
and number fields parse as numbers ("2" and "2.0" alike), booleans as
true/false, objects and arrays as JSON text. The spec's validator then checks
the typed values exactly as it checks a JSON body. Text that does not parse
stays text, so the validator's message names the field and what it expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .._exceptions import InvalidRequestError
from .._schema import field_schema
from .._spec import load_spec
from ._multipart import FormPart

# A list sent as repeated `name[]` parts, one item each: how orq-ai-sdk sends a list of
# plain values (fallback_on_codes), and what the spec's `style: form, explode: true`
# encoding makes this SDK send. The same list as one part of JSON text is read too.
_LIST_SUFFIX = "[]"


@dataclass(frozen=True)
class Form:
    """`files`: each file field's part, or the parts of a list of files (`name[]` parts)."""

    fields: dict[str, Any]
    files: dict[str, FormPart | list[FormPart]]


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type", [])
    found = {declared} if isinstance(declared, str) else set(declared)
    for option in schema.get("anyOf", ()):
        found |= _types(option)
    return found


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _properties(schema_name: str) -> set[str]:
    return set(load_spec()["components"]["schemas"][schema_name].get("properties", {}))


def coerce(schema_name: str, name: str, text: str) -> Any:
    """The typed value of form field `name` of schema `schema_name`."""
    if name not in _properties(schema_name):
        return text
    return _typed(field_schema(schema_name, name), name, text)


def _item(schema_name: str, name: str, text: str) -> Any:
    """The typed value of one `name[]` part: an item of list field `name`."""
    if name not in _properties(schema_name):
        return text
    return _typed(field_schema(schema_name, name).get("items", {}), name, text)


def _typed(schema: dict[str, Any], name: str, text: str) -> Any:
    types = _types(schema)
    if types & {"object", "array"}:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InvalidRequestError(name, f"is not valid JSON text ({exc})") from None
    if types & {"integer", "number"}:
        return _number(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "null" in types and text == "null":
        return None
    return text


def read(schema_name: str, parts: list[FormPart], file_fields: set[str]) -> Form:
    """The fields and files of a form; a repeated field or a misplaced file is an error."""
    known = _properties(schema_name)
    fields: dict[str, Any] = {}
    files: dict[str, FormPart | list[FormPart]] = {}
    listed: set[str] = set()
    for part in parts:
        base = part.name.removesuffix(_LIST_SUFFIX)
        if part.name.endswith(_LIST_SUFFIX) and base in file_fields:
            # One file of a list: orq-ai-sdk sends a list of files as `name[]` file parts.
            if part.filename is None:
                raise InvalidRequestError(base, "must be uploaded files, not text fields")
            found = files.setdefault(base, [])
            if not isinstance(found, list):
                raise InvalidRequestError(base, "is sent both as one file and as name[] parts")
            found.append(part)
            continue
        if part.name.endswith(_LIST_SUFFIX) and part.filename is None:
            name = part.name.removesuffix(_LIST_SUFFIX)
            if name in fields and name not in listed:
                raise InvalidRequestError(name, "is sent both as one field and as name[] parts")
            listed.add(name)
            fields.setdefault(name, []).append(_item(schema_name, name, _text(part)))
            continue
        if part.name in fields or part.name in files:
            raise InvalidRequestError(
                part.name, "is sent more than once (a server keeps only one of them)"
            )
        if part.name in file_fields:
            if part.filename is None:
                raise InvalidRequestError(part.name, "must be an uploaded file, not a text field")
            files[part.name] = part
        elif part.filename is not None:
            if part.name in known:
                raise InvalidRequestError(part.name, "is a text field, not a file upload")
            files[part.name] = part
        else:
            fields[part.name] = coerce(schema_name, part.name, _text(part))
    return Form(fields, files)


def _text(part: FormPart) -> str:
    try:
        return part.value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(part.name, "is not UTF-8 text") from None
