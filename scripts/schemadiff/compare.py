"""Every difference between two API descriptions, each with its verdict for users.

`compare(old, new)` matches the operations of two OpenAPI documents (by
operationId where both sides have one, else by method and path) and compares each
request body, parameter and response as Shapes (shape.py), field by field. Each
Difference names its place, says what differs on each side in words that
declarations can match (`integer`, `optional`, `maximum 10`), and carries a verdict:
whether the change from `old` to `new` breaks users.

The verdict follows one rule: what users send (request bodies, parameters) may
widen but not narrow; what they read (responses) may narrow but not widen.

    change                                    request     response
    type, null, enum values, variants wider   -           breaking
    type, null, enum values, variants fewer   breaking    -
    range or length looser                    -           breaking
    range or length tighter, or new           breaking    -
    `pattern` or `uniqueItems` added          breaking    -
    `pattern` or `uniqueItems` removed        -           breaking
    `additionalProperties: false` added       breaking    -
    `additionalProperties: false` removed     -           breaking
    field now required                        breaking    -
    field now optional                        -           breaking
    field removed                             breaking    breaking
    required field added                      breaking    -
    optional field added                      -           -
    default changed, field deprecated         -           -

and for operations: removed, a parameter removed or newly required, a media type or
a response removed, a body newly required, security changed: breaking; added,
moved, deprecated, another server: not breaking.

Both the API change report (codegen/spec_diff.py: old spec against new) and
scripts/upstream-diff (ours against orq's) read these Differences; each words them
for its readers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from schemadiff.shape import Document, Shape, Shaper, SpecError

Side = Literal["request", "response"]
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"})

KINDS = frozenset(
    {
        "server", "security", "operation", "media", "response", "field", "type", "nullable",
        "enum", "range", "rule", "required", "default", "deprecated", "closed", "variants",
    }
)  # fmt: skip
"""What a Difference may be about."""


@dataclass(frozen=True)
class Place:
    """Where a difference is: in the document, and in the schema that holds it."""

    operation: str = ""
    """`POST /path`, or `servers` / `security` for the document as a whole."""
    operation_id: str = ""
    part: str = ""
    """`request`, `response 200`, `header parameter x-trace`; empty for the operation."""
    path: str = ""
    """The field as users write it: `orq.retry.count`, `plugins[].entities`, `metadata.*`."""
    schema: str = ""
    """The named component schema that holds the field, if any: `Retry`."""
    schema_path: str = ""
    """The field's path inside `schema`: `count`."""

    @property
    def where(self) -> str:
        return " ".join(part for part in (self.operation, self.part, self.path) if part)

    def field(self, name: str) -> Place:
        """The place of a member (`name`, or `[]` for items, `*` for map values)."""
        joiner = "" if name == "[]" else "."
        path = f"{self.path}{joiner}{name}" if self.path else name
        schema_path = f"{self.schema_path}{joiner}{name}" if self.schema_path else name
        return replace(self, path=path, schema_path=schema_path if self.schema else "")

    def within(self, old: Shape, new: Shape) -> Place:
        """Where the content of a field is: the component it refers to on both sides."""
        if old.origin is not None and old.origin == new.origin:
            return replace(self, schema=old.origin, schema_path="")
        return self


@dataclass(frozen=True)
class Difference:
    place: Place
    kind: str
    """What differs: one of KINDS."""
    old: str
    """The old side (ours, for upstream-diff) as words: `integer`, `optional`, `maximum 10`."""
    new: str
    """The new side (orq's, for upstream-diff), likewise."""
    breaking: bool
    """Whether going from `old` to `new` breaks users."""
    side: Side | None = None
    """Whether users send or read what changed; None for the document or an operation."""
    values: tuple[Any, ...] = ()
    """For enum values added or removed: those values."""

    @property
    def where(self) -> str:
        return self.place.where


def breaks(narrowed: bool | None, side: Side | None) -> bool:
    """The rule: narrowing what users send breaks them, and so does widening what they
    read; a change that is neither (None) breaks both."""
    if narrowed is None or side is None:
        return True
    return narrowed if side == "request" else not narrowed


def show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value)


_SHOWN_VALUES = 8


def values_text(values: frozenset[Any]) -> str:
    """The values in order; a long list shows its first few and how many more there are."""
    shown = sorted(show(v) for v in values)
    if len(shown) > _SHOWN_VALUES:
        more = len(shown) - _SHOWN_VALUES
        shown = [*shown[:_SHOWN_VALUES], f"and {more} more"]
    return ", ".join(shown) or "none"


def _kind_text(shape: Shape, kind: str) -> str:
    return f"string ({shape.format})" if kind == "string" and shape.format else kind


def _plain_types(shape: Shape) -> frozenset[str]:
    return frozenset(_kind_text(shape, kind) for kind in shape.types)


def plain_type(shape: Shape) -> str:
    """The type alone: items, nullability and the rest are compared on their own."""
    return " or ".join(sorted(_plain_types(shape))) or "any value"


def type_text(shape: Shape) -> str:
    """A field's type in a few words: `integer`, `string (binary) or null`, `array of string`."""
    if not shape.types:
        return "any value"
    parts = [
        f"array of {type_text(shape.items)}"
        if kind == "array" and shape.items is not None
        else _kind_text(shape, kind)
        for kind in sorted(shape.types)
    ]
    return " or ".join([*parts, "null"] if shape.nullable else parts)


def _accepts(types: frozenset[str], kind: str) -> bool:
    """Whether a value of `kind` is one of `types` (empty: any type)."""
    return (
        not types
        or kind in types
        or (kind == "integer" and "number" in types)
        or (kind.startswith("string (") and "string" in types)
    )


def _narrowed(old: frozenset[str], new: frozenset[str]) -> bool | None:
    """True if `new` takes only some of what `old` took, False if it takes all of it
    and more, None if each takes something the other does not."""
    if all(_accepts(new, kind) for kind in old) and (old or not new):
        return False
    if all(_accepts(old, kind) for kind in new):
        return True
    return None


def _required(flag: object) -> str:
    return "required" if flag else "optional"


def _optional_text(value: object) -> str:
    return "none" if value is None else show(value)


def operations(document: Document, name: str = "") -> dict[str, tuple[str, Mapping[str, Any]]]:
    """`METHOD /path` -> (operationId or `METHOD /path`, operation), in document order.
    `name` begins error messages."""
    found: dict[str, tuple[str, Mapping[str, Any]]] = {}
    paths = document.get("paths", {})
    named = f"{name}: " if name else ""
    if not isinstance(paths, Mapping):
        raise SpecError(f"{named}#/paths: expected a mapping of paths to operations")
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            raise SpecError(f"{named}#/paths/{path}: expected a mapping of methods to operations")
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            key = f"{method.upper()} {path}"
            if not isinstance(operation, Mapping):
                raise SpecError(f"{named}{key}: expected a mapping")
            found[key] = (str(operation.get("operationId") or key), operation)
    return found


class _Comparer:
    def __init__(self, old: Document, new: Document, names: tuple[str, str]) -> None:
        self.old, self.new = Shaper(old, names[0]), Shaper(new, names[1])
        self.found: list[Difference] = []

    def add(  # noqa: PLR0917 - one argument per field of a Difference
        self,
        place: Place,
        kind: str,
        old: object,
        new: object,
        breaking: bool,
        side: Side | None = None,
        values: frozenset[Any] = frozenset(),
    ) -> None:
        ordered = tuple(sorted(values, key=show))
        self.found.append(Difference(place, kind, str(old), str(new), breaking, side, ordered))

    def run(self) -> list[Difference]:
        self.servers()
        self.security()
        old_ops = operations(self.old.document, self.old.name)
        new_ops = operations(self.new.document, self.new.name)
        new_by_id = {op_id: key for key, (op_id, _) in new_ops.items() if op_id != key}
        matched: set[str] = set()
        for key, (op_id, operation) in old_ops.items():
            # The same method and path, or else the same operationId at another path.
            other = key if key in new_ops else new_by_id.get(op_id) if op_id != key else None
            if other is None or other in matched:
                place = Place(key, op_id)
                self.add(place, "operation", "present", "absent", True)
                continue
            matched.add(other)
            self.operation(Place(key, op_id), operation, other, new_ops[other][1])
        for key, (op_id, _) in new_ops.items():
            if key not in matched:
                self.add(Place(key, op_id), "operation", "absent", "present", False)
        return self.found

    def servers(self) -> None:
        """Compared where both documents name their servers."""
        if "servers" not in self.old.document or "servers" not in self.new.document:
            return
        old = [s.get("url", "") for s in self.old.document["servers"] or ()]
        new = [s.get("url", "") for s in self.new.document["servers"] or ()]
        if old != new:
            self.add(
                Place("servers"), "server", ", ".join(old) or "none", ", ".join(new) or "none",
                False,
            )  # fmt: skip

    def security(self) -> None:
        """Compared where both documents state what they require."""

        def schemes(shaper: Shaper) -> str:
            defined = shaper.document.get("components", {}).get("securitySchemes", {})
            found = set()
            for requirement in shaper.document.get("security") or ():
                for name in requirement:
                    scheme = shaper.resolve(defined.get(name, {}), f"#/security/{name}")
                    found.add(" ".join(filter(None, (scheme.get("type"), scheme.get("scheme")))))
            return ", ".join(sorted(found)) or "none"

        if "security" not in self.old.document or "security" not in self.new.document:
            return
        old, new = schemes(self.old), schemes(self.new)
        if old != new:
            self.add(Place("security"), "security", old, new, True)

    def operation(
        self, place: Place, old: Mapping[str, Any], moved_to: str, new: Mapping[str, Any]
    ) -> None:
        if moved_to != place.operation:
            self.add(place, "operation", place.operation, moved_to, False)
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            self.add(
                place, "deprecated", _deprecated(old.get("deprecated")),
                _deprecated(new.get("deprecated")), False,
            )  # fmt: skip
        self.parameters(place, old.get("parameters") or (), new.get("parameters") or ())
        at = place.operation
        old_body = self.old.resolve(old.get("requestBody", {}), f"{at} requestBody")
        new_body = self.new.resolve(new.get("requestBody", {}), f"{at} requestBody")
        request = replace(place, part="request")
        if bool(old_body.get("required")) != bool(new_body.get("required")):
            o, n = _required(old_body.get("required")), _required(new_body.get("required"))
            self.add(request, "required", o, n, bool(new_body.get("required")), "request")
        self.content(request, old_body, new_body, "request")
        # A status written 200 or "200" is the same status.
        old_responses = {str(k): v for k, v in (old.get("responses") or {}).items()}
        new_responses = {str(k): v for k, v in (new.get("responses") or {}).items()}
        for status in [*old_responses, *(s for s in new_responses if s not in old_responses)]:
            where = replace(place, part=f"response {status}")
            if status not in new_responses:
                self.add(where, "response", "present", "absent", True, "response")
            elif status not in old_responses:
                self.add(where, "response", "absent", "present", False, "response")
            else:
                self.content(
                    where,
                    self.old.resolve(old_responses[status], f"{at} response {status}"),
                    self.new.resolve(new_responses[status], f"{at} response {status}"),
                    "response",
                )

    def parameters(self, place: Place, old: Any, new: Any) -> None:
        def by_name(shaper: Shaper, params: Any) -> dict[str, Mapping[str, Any]]:
            resolved = (shaper.resolve(p, f"{place.operation} parameters") for p in params)
            return {f"{p.get('in')} parameter {p.get('name')}": p for p in resolved}

        old_params, new_params = by_name(self.old, old), by_name(self.new, new)
        for name in [*old_params, *(n for n in new_params if n not in old_params)]:
            where = replace(place, part=name)
            o, n = old_params.get(name), new_params.get(name)
            if o is None or n is None:
                present = o or n or {}
                text = _required(present.get("required"))
                self.add(where, "field", text if o else "absent", text if n else "absent",
                         n is None or bool(present.get("required")), "request")  # fmt: skip
                continue
            if bool(o.get("required")) != bool(n.get("required")):
                ro, rn = _required(o.get("required")), _required(n.get("required"))
                self.add(where, "required", ro, rn, bool(n.get("required")), "request")
            self.schema(
                where,
                self.old.shape(o.get("schema"), f"{where.where} schema"),
                self.new.shape(n.get("schema"), f"{where.where} schema"),
                "request",
            )

    def content(
        self, place: Place, old: Mapping[str, Any], new: Mapping[str, Any], side: Side
    ) -> None:
        old_media, new_media = old.get("content") or {}, new.get("content") or {}
        for media in old_media:
            if media not in new_media:
                self.add(place, "media", media, "absent", True, side)
        for media in new_media:
            if media not in old_media:
                self.add(place, "media", "absent", media, False, side)
        for media in old_media:
            if media in new_media:
                at = f"{place.where} {media}"
                self.schema(
                    place,
                    self.old.shape(old_media[media].get("schema"), at),
                    self.new.shape(new_media[media].get("schema"), at),
                    side,
                )

    def schema(self, place: Place, old: Shape, new: Shape, side: Side) -> None:
        """Compare what the field at `place` takes (or the body itself), then its fields
        and items. What belongs to the field (null, default, deprecation) is placed at
        the field; what belongs to the schema it refers to, at that schema."""
        if not place.schema and not place.path and old.origin == new.origin and old.origin:
            place = replace(place, schema=old.origin)
        content = place.within(old, new)
        if _plain_types(old) != _plain_types(new):
            narrowed = _narrowed(_plain_types(old), _plain_types(new))
            self.add(content, "type", plain_type(old), plain_type(new), breaks(narrowed, side),
                     side)  # fmt: skip
        if old.nullable != new.nullable:
            self.add(place, "nullable", _allowed(old.nullable), _allowed(new.nullable),
                     breaks(old.nullable, side), side)  # fmt: skip
        self.enum(content, old.enum, new.enum, side)
        self.limits(content, old, new, side)
        if old.has_default != new.has_default or old.default != new.default:
            o = show(old.default) if old.has_default else "none"
            n = show(new.default) if new.has_default else "none"
            self.add(place, "default", o, n, False, side)
        if old.deprecated != new.deprecated:
            o, n = _deprecated(old.deprecated), _deprecated(new.deprecated)
            self.add(place, "deprecated", o, n, False, side)
        if old.closed != new.closed:
            o, n = _refused(old.closed), _refused(new.closed)
            self.add(content, "closed", o, n, breaks(new.closed, side), side)
        if old.variants != new.variants:
            self.add(content, "variants", _variants(old.variants), _variants(new.variants),
                     breaks(new.variants < old.variants, side), side)  # fmt: skip
        self.fields(content, old, new, side)
        for part, name in (("items", "[]"), ("extra", "*")):
            old_part, new_part = getattr(old, part), getattr(new, part)
            if old_part is not None and new_part is not None:
                self.schema(content.field(name), old_part, new_part, side)

    def enum(
        self, place: Place, old: frozenset[Any] | None, new: frozenset[Any] | None, side: Side
    ) -> None:
        if old == new:
            return
        if old is None or new is None:
            o = "free" if old is None else f"limited to {values_text(old)}"
            n = "free" if new is None else f"limited to {values_text(new)}"
            self.add(place, "enum", o, n, breaks(new is not None, side), side)
            return
        if new - old:
            added = new - old
            self.add(place, "enum", "", values_text(added), breaks(False, side), side, added)
        if old - new:
            gone = old - new
            self.add(place, "enum", values_text(gone), "", breaks(True, side), side, gone)

    def limits(self, place: Place, old: Shape, new: Shape, side: Side) -> None:
        for kind, old_limits, new_limits in (
            ("range", old.bounds, new.bounds),
            ("rule", old.rules, new.rules),
        ):
            for name in [*old_limits, *(n for n in new_limits if n not in old_limits)]:
                before, after = old_limits.get(name), new_limits.get(name)
                if before == after:  # numerically: 1 and 1.0 are the same bound
                    continue
                narrowed = _limit_narrowed(name, before, after)
                o, n = _optional_text(before), _optional_text(after)
                self.add(place, kind, f"{name} {o}", f"{name} {n}", breaks(narrowed, side), side)

    def fields(self, place: Place, old: Shape, new: Shape, side: Side) -> None:
        names = [*old.properties, *(n for n in new.properties if n not in old.properties)]
        for name in names:
            where = place.field(name)
            o, n = old.properties.get(name), new.properties.get(name)
            if o is None or n is None:
                present, required = (o, old.required) if o else (n, new.required)
                assert present is not None
                text = f"{_required(name in required)} {type_text(present)}"
                # A new field breaks only a sender who must now send it.
                breaking = n is None or (side == "request" and name in required)
                self.add(where, "field", text if o else "absent", text if n else "absent",
                         breaking, side)  # fmt: skip
                continue
            o_req, n_req = name in old.required, name in new.required
            if o_req != n_req:
                self.add(where, "required", _required(o_req), _required(n_req),
                         breaks(n_req, side), side)  # fmt: skip
            self.schema(where, o, n, side)


def _limit_narrowed(name: str, before: Any, after: Any) -> bool | None:
    """Whether a bound or rule now takes fewer values (None: neither fewer nor more)."""
    if name == "uniqueItems":
        return bool(after)
    if name == "pattern":
        return None if before is not None and after is not None else after is not None
    if before is None or after is None:
        return after is not None
    try:
        return bool(after > before if name in _LOWER_BOUNDS else after < before)
    except TypeError:
        return None


def _allowed(flag: bool) -> str:
    return "allowed" if flag else "refused"


def _refused(flag: bool) -> str:
    return "refused" if flag else "allowed"


def _deprecated(flag: object) -> str:
    return "deprecated" if flag else "not deprecated"


def _variants(count: int) -> str:
    return "one shape" if count == 1 else f"one of {count} shapes"


def compare(old: Document, new: Document, names: tuple[str, str] = ("", "")) -> list[Difference]:
    """The differences from `old` to `new`, in `old`'s order, then what only `new` has.
    Raises SpecError for a document that cannot be read, naming it (by `names`) and
    the place."""
    return _Comparer(old, new, names).run()
