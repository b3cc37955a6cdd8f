"""Hypothesis strategies for values the spec allows, built from the spec's own schemas.

`SchemaStrategies(load_spec()).named("CreateImageRequest")` draws any value the
named schema accepts: every type, enum, bound, required key and nested object
of openapi.yaml, and nothing more. Integer fields are sometimes drawn as whole
floats (2.0), which a caller may pass and which must go out as 2.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

MAX_TEXT = 40
MAX_ITEMS = 3

# Free-form JSON, for objects the spec leaves open (Identity.metadata items). No null: in
# a request, None means "not set" and is dropped, so it would not round-trip.
JSON_SCALARS: SearchStrategy[Any] = (
    st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=MAX_TEXT)
)
JSON_VALUES: SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=MAX_ITEMS)
        | st.dictionaries(st.text(max_size=10), inner, max_size=MAX_ITEMS)
    ),
    max_leaves=8,
)


class SchemaStrategies:
    def __init__(self, spec: dict[str, Any], *, whole_floats: bool = True) -> None:
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.whole_floats = whole_floats
        self._named: dict[str, SearchStrategy[Any]] = {}

    def named(self, name: str, *, leave_out: frozenset[str] = frozenset()) -> SearchStrategy[Any]:
        """Values of the named schema; an object schema without the `leave_out` properties."""
        if leave_out:
            return self._object(self.schemas[name], leave_out)
        if name not in self._named:
            self._named[name] = st.deferred(lambda: self.build(self.schemas[name]))
        return self._named[name]

    def build(self, schema: dict[str, Any]) -> SearchStrategy[Any]:
        if "$ref" in schema:
            return self.named(schema["$ref"].rsplit("/", 1)[-1])
        if "anyOf" in schema:
            return st.one_of(*(self.build(option) for option in schema["anyOf"]))
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        types = schema.get("type")
        if types is None:
            return JSON_VALUES
        if isinstance(types, str):
            types = [types]
        return st.one_of(*(self._typed(kind, schema) for kind in types))

    def _typed(self, kind: str, schema: dict[str, Any]) -> SearchStrategy[Any]:  # noqa: PLR0911
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "string":
            if schema.get("format") == "email":
                return st.emails()
            low = schema.get("minLength", 0)
            return st.text(
                min_size=low, max_size=max(low, min(schema.get("maxLength", MAX_TEXT), MAX_TEXT))
            )
        if kind == "integer":
            integers = st.integers(schema.get("minimum"), schema.get("maximum"))
            return integers | integers.map(float) if self.whole_floats else integers
        if kind == "number":
            low, high = schema.get("minimum"), schema.get("maximum")
            floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
            return floats | st.integers(
                None if low is None else int(-(-low // 1)), None if high is None else int(high)
            )
        if kind == "array":
            low = schema.get("minItems", 0)
            items = self.build(schema.get("items", {}))
            return st.lists(
                items,
                min_size=low,
                max_size=max(low, schema.get("maxItems", MAX_ITEMS)),
                # As JSON compares: 1 and 1.0 are one value, 1 and true are two.
                unique_by=(
                    (lambda item: (isinstance(item, bool), item))
                    if schema.get("uniqueItems")
                    else None
                ),
            )
        if kind == "object":
            return self._object(schema, frozenset())
        raise ValueError(f"no strategy for type {kind!r}")

    def _object(self, schema: dict[str, Any], leave_out: frozenset[str]) -> SearchStrategy[Any]:
        properties = {k: v for k, v in schema.get("properties", {}).items() if k not in leave_out}
        required = set(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        if not properties:
            values = self.build(extra) if isinstance(extra, dict) else JSON_VALUES
            return st.dictionaries(st.text(max_size=10), values, max_size=MAX_ITEMS)
        return st.fixed_dictionaries(
            {key: self.build(sub) for key, sub in properties.items() if key in required},
            optional={
                key: self.build(sub) for key, sub in properties.items() if key not in required
            },
        )
