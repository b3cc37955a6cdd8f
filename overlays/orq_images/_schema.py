"""Check values against the spec's schemas, fast enough for every call.

Each schema is compiled once into a tree of small check functions. A check
takes a value and the dotted path it sits at, and returns the value in wire
form: generated models become dicts, enum members their values, whole floats
in integer fields become ints, and (for requests) None in an object is dropped:
the SDK does not send None. A value the schema rules out raises InvalidRequestError
(ValueError) or InvalidRequestTypeError (TypeError) naming the field.

The client checks requests with it before sending, checks success bodies with
it before parsing, and the local router checks what it receives with it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._legacy import warn_deprecated
from ._spec import JsonObject, load_spec

Check = Callable[[Any, str], Any]

_KNOWN_KEYWORDS = frozenset(
    {
        "type", "enum", "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength",
        "pattern", "format", "required", "properties", "additionalProperties", "items", "$ref",
        "anyOf", "oneOf", "discriminator", "const", "description", "default", "deprecated",
        "title", "summary", "examples", "uniqueItems",
        "x-use-instead",
    }
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


# The Python types that stand for each JSON type as they are, without conversion.
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list, tuple),
    "null": (type(None),),
}
# Values of these exact types are already in wire form.
_WIRE_TYPES = frozenset(python for pythons in _PYTHON_TYPES.values() for python in pythons)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _wire_form(value: object) -> object:
    """Generated models and enum members become what they stand for on the wire."""
    if type(value) in _WIRE_TYPES:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    to_dict = getattr(value, "to_dict", None)
    if to_dict is not None and not isinstance(value, Mapping):
        return to_dict()
    return value


def _type_check(types: list[str]) -> Check:
    allowed = set(types)
    expected = " or ".join(_TYPE_NAMES[t] for t in types)
    # Values of exactly these types pass as they are: one set lookup, the common case.
    # Anything else (subclasses, other mappings, whole floats for integers) takes the
    # full walk below.
    accepted = frozenset(
        python
        for json_type, pythons in _PYTHON_TYPES.items()
        if json_type in allowed
        for python in pythons
    )

    def check(value: Any, path: str) -> Any:  # noqa: PLR0911, PLR0912 - one branch per JSON type
        if type(value) in accepted:
            return value
        if value is None:
            if "null" in allowed:
                return None
        elif isinstance(value, bool):
            if "boolean" in allowed:
                return value
        elif isinstance(value, int):
            if allowed & {"integer", "number"}:
                return value
        elif isinstance(value, float):
            if "number" in allowed:
                return value
            if "integer" in allowed and value.is_integer():
                return int(value)
        elif isinstance(value, str):
            if "string" in allowed:
                return value
        elif isinstance(value, Mapping):
            if "object" in allowed:
                return value
        elif isinstance(value, list | tuple) and "array" in allowed:
            return value
        raise InvalidRequestTypeError(path, f"expected {expected}, got {_describe(value)}")

    return check


class _Compiler:
    def __init__(self, spec: JsonObject, *, drop_none: bool, warn_deprecated: bool = False) -> None:
        self.schemas: JsonObject = spec["components"]["schemas"]
        self.named: dict[str, Check] = {}
        self.drop_none = drop_none
        self.warn_deprecated = warn_deprecated

    def named_check(self, name: str) -> Check:
        if name not in self.named:
            # Placeholder first, so a schema that refers to itself compiles.
            def forward(value: Any, path: str) -> Any:
                return self.named[name](value, path)

            self.named[name] = forward
            self.named[name] = self.compile(self.schemas[name], name)
        return self.named[name]

    def compile(self, schema: JsonObject, where: str) -> Check:
        if schema.get("format") == "binary":
            # A file to upload: the upload code (_upload.py) checks it, in whatever form.
            return _any_value
        check = self._compile(schema, where)
        if schema.get("deprecated") and self.warn_deprecated:
            return _deprecated(check, schema.get("x-use-instead"))
        return check

    def _compile(self, schema: JsonObject, where: str) -> Check:
        unknown = set(schema) - _KNOWN_KEYWORDS
        if unknown:
            raise RuntimeError(f"schema {where}: keywords {sorted(unknown)} are not checked")
        if "$ref" in schema:
            return self.named_check(schema["$ref"].rsplit("/", 1)[-1])
        members = schema.get("anyOf", schema.get("oneOf"))
        if members is not None:
            if "discriminator" in schema:
                return self._discriminated(members, schema["discriminator"], where)
            return self._any_of([self.compile(s, where) for s in members])
        steps: list[Check] = []
        types = schema.get("type")
        type_check = None
        if types is not None:
            type_check = _type_check(types if isinstance(types, list) else [types])
        if "enum" in schema or "const" in schema:
            values = schema["enum"] if "enum" in schema else [schema["const"]]
            if type_check is not None and all(isinstance(v, str | None) for v in values):
                # A value found among strings and null needs no type check of its own.
                steps.append(_enum_check(values, type_check))
            else:
                steps += [c for c in (type_check, _enum_check(values, None)) if c is not None]
        elif type_check is not None:
            steps.append(type_check)
        steps.extend(_bound_checks(schema))
        if "format" in schema and schema["format"] == "email":
            steps.append(_email_check)
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            steps.append(self._object_check(schema, where))
        if "items" in schema:
            steps.append(self._array_check(self.compile(schema["items"], where)))
        return _chain(steps)

    def _any_of(self, options: list[Check]) -> Check:
        def check(value: Any, path: str) -> Any:
            first: InvalidRequestError | None = None
            for option in options:
                try:
                    return option(value, path)
                except InvalidRequestError as exc:
                    first = first or exc
            assert first is not None
            raise first

        return check

    def _resolved(self, schema: JsonObject) -> JsonObject:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _discriminated(
        self, members: list[JsonObject], discriminator: JsonObject, where: str
    ) -> Check:
        """A union of objects told apart by one property (see scripts/codegen/unions.py):
        its value chooses the member, and its absence the member that lacks it. Members
        that are not objects (null, a string, ...) are told apart by type."""
        name: str = discriminator["propertyName"]
        chosen_by: dict[object, Check] = {}
        fallback: Check | None = None
        others: list[Check] = []
        for member in members:
            resolved = self._resolved(member)
            compiled = self.compile(member, where)
            if "properties" not in resolved:
                others.append(compiled)
                continue
            prop = resolved["properties"].get(name)
            if prop is None:
                fallback = compiled
                continue
            prop = self._resolved(prop)
            values = prop["enum"] if "enum" in prop else [prop["const"]]
            chosen_by.update((value, compiled) for value in values if value is not None)
        for value, ref in discriminator.get("mapping", {}).items():
            chosen_by[value] = self.compile({"$ref": ref}, where)
        shown = ", ".join(repr(value) for value in chosen_by)
        not_an_object = self._any_of(others) if others else None

        def check(value: Any, path: str) -> Any:
            if not isinstance(value, Mapping):
                if not_an_object is None:
                    raise InvalidRequestTypeError(
                        path, f"expected an object, got {_describe(value)}"
                    )
                return not_an_object(value, path)
            if name not in value:
                if fallback is None:
                    raise InvalidRequestError(_join(path, name), "is required")
                return fallback(value, path)
            key = _wire_form(value[name])
            member = chosen_by.get(key) if isinstance(key, str | int | float | bool) else None
            if member is None:
                raise InvalidRequestError(
                    _join(path, name), f"{_describe(key)} is not one of {shown}"
                )
            return member(value, path)

        return check

    def _object_check(self, schema: JsonObject, where: str) -> Check:
        properties = {
            key: self.compile(sub, f"{where}.{key}")
            for key, sub in schema.get("properties", {}).items()
        }
        required = tuple(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        extra_check = self.compile(extra, f"{where}.*") if isinstance(extra, dict) else None
        drop_none = self.drop_none

        def check(value: Mapping[str, Any], path: str) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, item in value.items():
                if item is None and drop_none:
                    continue
                if not isinstance(key, str):
                    raise InvalidRequestTypeError(path, f"keys must be strings, got {key!r}")
                sub = properties.get(key, extra_check)
                if sub is not None:
                    # _wire_form and _join inlined: this line runs for every field of a call.
                    wire = item if type(item) in _WIRE_TYPES else _wire_form(item)
                    out[key] = sub(wire, f"{path}.{key}" if path else key)
                elif extra is False:
                    raise InvalidRequestError(_join(path, key), "is not a field of this object")
                else:
                    out[key] = item
            for key in required:
                if key not in out:
                    raise InvalidRequestError(_join(path, key), "is required")
            return out

        return check

    @staticmethod
    def _array_check(item_check: Check) -> Check:
        def check(value: list[Any] | tuple[Any, ...], path: str) -> list[Any]:
            return [item_check(_wire_form(item), f"{path}[{i}]") for i, item in enumerate(value)]

        return check


def _any_value(value: Any, path: str) -> Any:
    return value


def _deprecated(check: Check, use_instead: str | None) -> Check:
    """Warn, pointing at the caller's line, when a request uses a deprecated field."""

    def warn(value: Any, path: str) -> Any:
        if value is not None:
            head, _, _ = path.rpartition(".")
            instead = f"; use {_join(head, use_instead)} instead" if use_instead else ""
            warn_deprecated(f"{path} is deprecated{instead}. It was still sent.")
        return check(value, path)

    return warn


def _chain(steps: list[Check]) -> Check:
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:  # the usual case (a type, then bounds or fields): no loop
        first, second = steps

        def check_two(value: Any, path: str) -> Any:
            return second(first(value, path), path)

        return check_two

    def check(value: Any, path: str) -> Any:
        for step in steps:
            value = step(value, path)
        return value

    return check


def _enum_check(values: list[object], type_check: Check | None) -> Check:
    """Membership; a value not found goes through `type_check` first, so that a value of
    the wrong type is reported as such."""
    allowed = set(values)
    shown = ", ".join(repr(v) for v in values if v is not None)

    def check(value: Any, path: str) -> Any:
        if value not in allowed:
            if type_check is not None:
                type_check(value, path)
            raise InvalidRequestError(path, f"{_describe(value)} is not one of {shown}")
        return value

    return check


def _range_check(
    schema: JsonObject,
    keywords: tuple[str, str],
    applies: type | tuple[type, ...],
    measure: Callable[[Any], Any],
    words: tuple[str, str],
) -> Check | None:
    """One check for a lower and an upper bound (either may be absent) of what `measure` gives."""
    low, high = schema.get(keywords[0]), schema.get(keywords[1])
    if low is None and high is None:
        return None

    def check(value: Any, path: str) -> Any:
        if isinstance(value, applies) and not isinstance(value, bool):
            measured = measure(value)
            if low is not None and measured < low:
                raise InvalidRequestError(path, f"{_describe(value)} {words[0]} {low}")
            if high is not None and measured > high:
                raise InvalidRequestError(path, f"{_describe(value)} {words[1]} {high}")
        return value

    return check


def _same(value: Any) -> Any:
    return value


def _bound_checks(schema: JsonObject) -> list[Check]:
    ranges = (
        _range_check(
            schema,
            ("minimum", "maximum"),
            (int, float),
            _same,
            ("is below the minimum", "is above the maximum"),
        ),
        _range_check(
            schema,
            ("minLength", "maxLength"),
            str,
            len,
            ("is shorter than the minimum length", "is longer than the maximum length"),
        ),
        _range_check(
            schema,
            ("minItems", "maxItems"),
            (list, tuple),
            len,
            ("has fewer items than the minimum", "has more items than the maximum"),
        ),
    )
    checks: list[Check] = [check for check in ranges if check is not None]
    if schema.get("uniqueItems"):

        def unique(value: Any, path: str) -> Any:
            if isinstance(value, list | tuple):
                seen: list[Any] = []
                for item in value:
                    # Compared as JSON compares: 1 and 1.0 and True are not the same value.
                    key = (type(item) is bool, item)
                    if key in seen:
                        raise InvalidRequestError(path, f"{_describe(item)} is repeated")
                    seen.append(key)
            return value

        checks.append(unique)
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])

        def check(value: Any, path: str) -> Any:
            if isinstance(value, str) and not pattern.search(value):
                raise InvalidRequestError(
                    path, f"{_describe(value)} does not match {pattern.pattern}"
                )
            return value

        checks.append(check)
    return checks


def _email_check(value: Any, path: str) -> Any:
    if isinstance(value, str) and not _EMAIL.match(value):
        raise InvalidRequestError(path, f"{_describe(value)} is not an e-mail address")
    return value


@cache
def _compiler(drop_none: bool, warn_deprecated: bool = False) -> _Compiler:
    return _Compiler(load_spec(), drop_none=drop_none, warn_deprecated=warn_deprecated)


def validator(schema_name: str, *, warn_deprecated: bool = True) -> Check:
    """The compiled check of a request schema: None values in objects are dropped, not sent.

    A value in a field the spec marks deprecated warns (DeprecationWarning, at the
    caller's line) unless `warn_deprecated` is off, as for a server reading requests.
    """
    return _compiler(True, warn_deprecated).named_check(schema_name)


def response_validator(schema_name: str) -> Check:
    """The compiled check of a response schema: None values are kept as the server sent them."""
    return _compiler(False).named_check(schema_name)


def field_schema(schema_name: str, field: str) -> JsonObject:
    """The raw schema of one property, with a top-level $ref resolved."""
    schemas: JsonObject = load_spec()["components"]["schemas"]
    prop: JsonObject = schemas[schema_name]["properties"][field]
    if "$ref" in prop:
        resolved: JsonObject = schemas[prop["$ref"].rsplit("/", 1)[-1]]
        return resolved
    return prop
