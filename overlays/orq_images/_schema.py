"""Check values against the spec's schemas, fast enough for every call.

Each schema is compiled once into a tree of small check functions. A check
takes a value and the path it sits at, and returns the value in wire
form: enum members become their values, whole floats in integer fields become
ints, and (for requests) None in an object is dropped: the SDK does not send None.
A value the schema rules out raises InvalidRequestError (ValueError) or
InvalidRequestTypeError (TypeError) naming the field.

The client checks requests with it before sending, checks success bodies with
it before parsing, and the local router checks what it receives with it.

Every call pays for it, so the common case is kept to few Python calls: a field
is one call (its type check runs inside the step after it), a field or item that
needs no more than its type or a set membership checked costs its object or array
no call at all (see _Plain), and a field's dotted name is built only for an error
or a warning (see Path).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Container, Mapping
from functools import cache, partial
from typing import Any, NamedTuple, TypeAlias

from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._legacy import warn_deprecated
from ._spec import JsonObject, load_spec

# Where a value sits: the caller's dotted field name ("" for the body), or, below it, the
# path of the object or array holding it and its key or index. Checks pass it down as such
# pairs, and _field_name builds the name only for an error or a warning: most fields of a
# call never need theirs.
Path: TypeAlias = str | tuple["Path", str | int]
Check = Callable[[Any, Path], Any]
# Values a check returns as they are, with no error or warning, told apart without calling it:
# those of one of these exact types (all wire types) and, unless None, in this container
# (a set of strings, a range of whole numbers). A field or an array item that is one of
# them is passed on by the object or array check itself: most of a request's values.
_Plain = tuple[frozenset[type], Container[Any] | None]
# A compiled field or array item: its check, and what the check returns as it is.
_Field = tuple[Check, frozenset[type], Container[Any] | None]
_NOTHING_PLAIN: _Plain = (frozenset(), None)
# What an object check finds for a key that is none of its fields.
_NOT_A_FIELD: tuple[None, frozenset[type], None] = (None, frozenset(), None)
# A step of a schema's check, and what it returns as it is, when it is the only step.
_Step = tuple[Check, _Plain | None]

_KNOWN_KEYWORDS = frozenset(
    {
        "type", "enum", "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength",
        "pattern", "format", "required", "properties", "additionalProperties", "items", "$ref",
        "anyOf", "oneOf", "discriminator", "const", "description", "default", "deprecated",
        "title", "summary", "example", "examples", "uniqueItems",
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


def _field_name(path: Path) -> str:
    """The dotted name of a field, as errors show it: `orq.retry.on_codes[0]`."""
    if isinstance(path, str):
        return path
    parent, step = path
    if isinstance(step, int):
        return f"{_field_name(parent)}[{step}]"
    return _join(_field_name(parent), step)


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _wire_form(value: object) -> object:
    """Enum members become the values they stand for on the wire."""
    if type(value) in _WIRE_TYPES:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    return value


class _Types(NamedTuple):
    """A schema's `type` keyword, compiled."""

    check: Check  # returns the value in wire form, or raises
    exact: frozenset[type]  # values of exactly these types pass `check` unchanged


class _Kind(NamedTuple):
    """The values a step checks: those of one JSON type. It lets any other value through."""

    exact: frozenset[type]  # the Python types that are that JSON type as they are
    test: Callable[[Any], bool]  # whether a value of any Python type is of that JSON type


_NUMBER = _Kind(
    frozenset({int, float}), lambda v: isinstance(v, int | float) and not isinstance(v, bool)
)
_STRING = _Kind(frozenset({str}), lambda v: isinstance(v, str))
_ARRAY = _Kind(frozenset({list, tuple}), lambda v: isinstance(v, list | tuple))


def _entry(types: _Types | None, exact: frozenset[type]) -> tuple[frozenset[type], Check]:
    """How a step runs the schema's type check itself, which saves a call per value: it
    takes values of the returned exact types as they are (those of `exact` that pass the
    type check unchanged), and any other value through the returned check first. Each
    step opens with that test inline: a helper would be the call it saves.
    """
    if types is None:
        return exact, _any_value
    return types.exact & exact, types.check


def _type_check(types: list[str]) -> _Types:
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

    def check(value: Any, path: Path) -> Any:  # noqa: PLR0911, PLR0912 - one branch per JSON type
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
        raise InvalidRequestTypeError(
            _field_name(path), f"expected {expected}, got {_describe(value)}"
        )

    return _Types(check, accepted)


class _Compiler:
    def __init__(self, spec: JsonObject, *, drop_none: bool, caller: bool = False) -> None:
        self.schemas: JsonObject = spec["components"]["schemas"]
        self.named: dict[str, Check] = {}
        # What the checks that have any return as they are (see _Plain).
        self.plain: dict[Check, _Plain] = {}
        self.drop_none = drop_none
        # A caller's request: deprecated fields warn, and an object refuses keys its schema
        # does not name unless the schema says `additionalProperties`. A server reading
        # requests does neither.
        self.caller = caller

    def named_check(self, name: str) -> Check:
        if name not in self.named:
            # Placeholder first, so a schema that refers to itself compiles.
            def forward(value: Any, path: Path) -> Any:
                return self.named[name](value, path)

            self.named[name] = forward
            self.named[name] = self.compile(self.schemas[name], name)
        return self.named[name]

    def compile(self, schema: JsonObject, where: str) -> Check:
        if schema.get("format") == "binary":
            # A file to upload: the upload code (_upload.py) checks it, in whatever form.
            return _any_value
        check = self._compile(schema, where)
        if schema.get("deprecated") and self.caller:
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
        types = schema.get("type")
        typed = None
        if types is not None:
            typed = _type_check(types if isinstance(types, list) else [types])
        steps: list[_Step] = []
        if "enum" in schema or "const" in schema:
            values = schema["enum"] if "enum" in schema else [schema["const"]]
            if typed is not None and all(isinstance(v, str | None) for v in values):
                # A value found among strings and null needs no type check of its own.
                steps.append(_enum_check(values, typed.check))
            else:
                if typed is not None:
                    steps.append((typed.check, None))
                steps.append(_enum_check(values, None))
            typed = None
        for step in self._steps(schema, where):
            # The first step runs the type check itself: a typical field is one call.
            steps.append(step(typed))
            typed = None
        if typed is not None:
            steps.append((typed.check, (typed.exact, None)))
        if len(steps) == 1 and steps[0][1] is not None:
            # Objects and arrays pass on the values this check returns as they are.
            self.plain[steps[0][0]] = steps[0][1]
        return _chain([check for check, _ in steps])

    def _steps(self, schema: JsonObject, where: str) -> list[Callable[[_Types | None], _Step]]:
        """The checks of a schema's keywords other than type and enum, in the order they
        run; each is made with the type check it is to run first, if any (see _entry)."""
        steps: list[Callable[[_Types | None], _Step]] = []
        for (low, high), kind, measure, words in _RANGES:
            bounds = (schema.get(low), schema.get(high))
            if bounds != (None, None):
                steps.append(partial(_range_check, bounds, kind, measure, words))
        if schema.get("uniqueItems"):
            steps.append(_unique_check)
        if "pattern" in schema:
            pattern = re.compile(schema["pattern"])
            steps.append(partial(_match_check, pattern, f"does not match {pattern.pattern}"))
        if schema.get("format") == "email":
            steps.append(partial(_match_check, _EMAIL, "is not an e-mail address"))
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            steps.append(partial(self._object_check, schema, where))
        if "items" in schema:
            steps.append(partial(_array_check, self._field(schema["items"], where)))
        return steps

    def _field(self, schema: JsonObject, where: str) -> _Field:
        check = self.compile(schema, where)
        return (check, *self.plain.get(check, _NOTHING_PLAIN))

    def _any_of(self, options: list[Check]) -> Check:
        def check(value: Any, path: Path) -> Any:
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

        def check(value: Any, path: Path) -> Any:
            if not isinstance(value, Mapping):
                if not_an_object is None:
                    raise InvalidRequestTypeError(
                        _field_name(path), f"expected an object, got {_describe(value)}"
                    )
                return not_an_object(value, path)
            if name not in value:
                if fallback is None:
                    raise InvalidRequestError(_field_name((path, name)), "is required")
                return fallback(value, path)
            key = _wire_form(value[name])
            member = chosen_by.get(key) if isinstance(key, str | int | float | bool) else None
            if member is None:
                raise InvalidRequestError(
                    _field_name((path, name)), f"{_describe(key)} is not one of {shown}"
                )
            return member(value, path)

        return check

    def _object_check(self, schema: JsonObject, where: str, types: _Types | None) -> _Step:
        fields = {
            key: self._field(sub, f"{where}.{key}")
            for key, sub in schema.get("properties", {}).items()
        }
        required = tuple(schema.get("required", ()))
        # A caller's typo in a nested key would be sent and ignored: refused, unless the
        # schema opens the object (extra_body is the way to send a top-level field the spec
        # does not know; the top level's keys are keyword parameters anyway).
        extra = schema.get("additionalProperties", not (self.caller and fields))
        # A key that is not a property: checked by the additionalProperties schema, if any.
        unknown = self._field(extra, f"{where}.*") if isinstance(extra, dict) else _NOT_A_FIELD
        drop_none = self.drop_none
        exact, type_check = _entry(types, frozenset({dict}))

        def check(value: Any, path: Path) -> Any:
            if type(value) not in exact:
                # No kind test after it: the spec's object schemas all say `type: object`.
                value = type_check(value, path)
            # The object as given, unless a value changes (a None dropped, a model made
            # plain): then a copy, made at the first change. Most requests change nothing,
            # and a call that copies nothing allocates less for the garbage collector.
            out: dict[str, Any] | None = None if type(value) is dict else dict(value)
            for key, item in value.items():
                if item is None and drop_none:
                    if out is None:
                        out = dict(value)
                    del out[key]
                    continue
                if type(key) is not str and not isinstance(key, str):  # the first test is no call
                    raise InvalidRequestTypeError(
                        _field_name(path), f"keys must be strings, got {key!r}"
                    )
                sub, plain_types, plain_values = fields.get(key, unknown)
                if type(item) in plain_types and (plain_values is None or item in plain_values):
                    continue  # plain (see _Plain): no call
                if sub is not None:
                    # _wire_form inlined: this runs for many fields of a call.
                    wire = item if type(item) in _WIRE_TYPES else _wire_form(item)
                    checked = sub(wire, (path, key))
                    if checked is not item:
                        if out is None:
                            out = dict(value)
                        out[key] = checked
                elif extra is False:
                    raise InvalidRequestError(_field_name((path, key)), _not_a_field(key, fields))
            result = value if out is None else out
            for key in required:
                if key not in result:
                    raise InvalidRequestError(_field_name((path, key)), "is required")
            return result

        return check, None


def _not_a_field(key: str, fields: Mapping[str, object]) -> str:
    import difflib  # noqa: PLC0415 - only a refused call pays for it

    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    return f"is not a field of this object, which takes {', '.join(fields)}"


def _any_value(value: Any, path: Path) -> Any:
    return value


def _deprecated(check: Check, use_instead: str | None) -> Check:
    """Warn, pointing at the caller's line, when a request uses a deprecated field."""

    def warn(value: Any, path: Path) -> Any:
        if value is not None:
            name = _field_name(path)
            head, _, _ = name.rpartition(".")
            instead = f"; use {_join(head, use_instead)} instead" if use_instead else ""
            warn_deprecated(f"{name} is deprecated{instead}. It was still sent.")
        return check(value, path)

    return warn


def _chain(steps: list[Check]) -> Check:
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:  # e.g. a list's length, then its items: no loop
        first, second = steps

        def check_two(value: Any, path: Path) -> Any:
            return second(first(value, path), path)

        return check_two

    def check(value: Any, path: Path) -> Any:
        for step in steps:
            value = step(value, path)
        return value

    return check


def _enum_check(values: list[object], type_check: Check | None) -> _Step:
    """Membership; a value not found goes through `type_check` first, so that a value of
    the wrong type is reported as such."""
    allowed = frozenset(values)
    shown = ", ".join(repr(v) for v in values if v is not None)

    def check(value: Any, path: Path) -> Any:
        if value not in allowed:
            if type_check is not None:
                type_check(value, path)
            raise InvalidRequestError(
                _field_name(path), f"{_describe(value)} is not one of {shown}"
            )
        return value

    return check, (frozenset(map(type, values)), allowed)


def _array_check(items: _Field, types: _Types | None) -> _Step:
    item_check, plain_types, plain_values = items
    exact, type_check = _entry(types, _ARRAY.exact)

    def check(value: Any, path: Path) -> Any:
        if type(value) not in exact:
            # No kind test after it: the spec's array schemas all say `type: array`.
            value = type_check(value, path)
        # Items all plain (lists of strings, of status codes) are tested in C, not one
        # call each.
        if plain_types.issuperset(map(type, value)) and (
            plain_values is None or all(map(plain_values.__contains__, value))
        ):
            return value if type(value) is list else list(value)
        # As in _object_check: the list as given unless an item changes.
        out: list[Any] | None = None if type(value) is list else []
        for i, item in enumerate(value):
            # _wire_form inlined, as in _object_check.
            checked = item_check(item if type(item) in _WIRE_TYPES else _wire_form(item), (path, i))
            if out is None and checked is not item:
                out = list(value[:i])
            if out is not None:
                out.append(checked)
        return value if out is None else out

    return check, None


def _range_check(
    bounds: tuple[Any, Any],
    kind: _Kind,
    measure: Callable[[Any], Any] | None,
    words: tuple[str, str],
    types: _Types | None,
) -> _Step:
    """A lower and an upper bound (either may be None) of a value of `kind`, or of what
    `measure` gives for it."""
    low, high = bounds
    exact, type_check = _entry(types, kind.exact)
    is_kind = kind.test

    def check(value: Any, path: Path) -> Any:
        if type(value) not in exact:
            value = type_check(value, path)
            if not is_kind(value):
                return value
        measured = value if measure is None else measure(value)
        if low is not None and measured < low:
            raise InvalidRequestError(_field_name(path), f"{_describe(value)} {words[0]} {low}")
        if high is not None and measured > high:
            raise InvalidRequestError(_field_name(path), f"{_describe(value)} {words[1]} {high}")
        return value

    if measure is None and type(low) is int and type(high) is int and int in exact:
        # The whole numbers within both bounds: a range tells them in C.
        return check, (frozenset({int}), range(low, high + 1))
    return check, None


# The bounds keywords: the kind of value each pair bounds, what of it, and the words of
# its errors.
_RANGES: tuple[tuple[tuple[str, str], _Kind, Callable[[Any], Any] | None, tuple[str, str]], ...] = (
    (("minimum", "maximum"), _NUMBER, None, ("is below the minimum", "is above the maximum")),
    (
        ("minLength", "maxLength"),
        _STRING,
        len,
        ("is shorter than the minimum length", "is longer than the maximum length"),
    ),
    (
        ("minItems", "maxItems"),
        _ARRAY,
        len,
        ("has fewer items than the minimum", "has more items than the maximum"),
    ),
)


def _unique_check(types: _Types | None) -> _Step:
    exact, type_check = _entry(types, _ARRAY.exact)
    is_array = _ARRAY.test

    def check(value: Any, path: Path) -> Any:
        if type(value) not in exact:
            value = type_check(value, path)
            if not is_array(value):
                return value
        seen: list[Any] = []
        for item in value:
            # Compared as JSON compares: 1 and 1.0 and True are not the same value.
            key = (type(item) is bool, item)
            if key in seen:
                raise InvalidRequestError(_field_name(path), f"{_describe(item)} is repeated")
            seen.append(key)
        return value

    return check, None


def _match_check(regex: re.Pattern[str], problem: str, types: _Types | None) -> _Step:
    """A string that `regex` must find a match in (`pattern`, and `format: email`)."""
    exact, type_check = _entry(types, _STRING.exact)
    is_string = _STRING.test

    def check(value: Any, path: Path) -> Any:
        if type(value) not in exact:
            value = type_check(value, path)
            if not is_string(value):
                return value
        if not regex.search(value):
            raise InvalidRequestError(_field_name(path), f"{_describe(value)} {problem}")
        return value

    return check, None


@cache
def _compiler(drop_none: bool, caller: bool = False) -> _Compiler:
    return _Compiler(load_spec(), drop_none=drop_none, caller=caller)


def validator(schema_name: str, *, caller: bool = True) -> Check:
    """The compiled check of a request schema: None values in objects are dropped, not sent.

    For a caller's request, a value in a field the spec marks deprecated warns
    (DeprecationWarning, at the caller's line), and a key an object's schema does not
    name is refused with the closest one (`orq.identiy: did you mean identity?`).
    `caller=False` is for a server reading requests: it does neither.

    Objects and lists that need no change come back as they were given, not copied:
    a caller that changes the result passes a copy in.
    """
    return _compiler(True, caller).named_check(schema_name)


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
