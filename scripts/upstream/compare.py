"""Every difference between our openapi.yaml and orq's document, in users' terms.

Operations are matched by method and path. Within one, the request body and each
response are compared as Shapes (see shape.py), field by field, and each
difference names the field by its path as users write it: `orq.fallback_on_codes`,
`plugins[].entities`, `metadata.*` for the values of a map.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from upstream.shape import Document, Shape, Shaper

SCOPE = "/v2/router/images"
"""orq's operations under here that we lack are reported; the rest of its API is not ours."""
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Difference:
    where: str
    """The place: `servers`, `POST /path`, `POST /path request orq.retry.count`, ..."""
    kind: str
    """What differs: one of KINDS."""
    ours: str
    """Our side, as the report words it; declarations may match it."""
    theirs: str
    """orq's side, likewise."""
    says: str
    """The sentence after `where:` in the report."""

    def line(self) -> str:
        return f"{self.where}: {self.says}"


KINDS = frozenset(
    {
        "server", "security", "operation", "media", "response", "field", "type", "nullable",
        "enum", "range", "rule", "required", "default", "deprecated", "closed", "variants",
    }
)  # fmt: skip


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return json.dumps(value)


_SHOWN_VALUES = 8


def _values(values: frozenset[Any]) -> str:
    """The values in order; a long list shows its first few and how many more there are."""
    shown = sorted(_show(v) for v in values)
    if len(shown) > _SHOWN_VALUES:
        more = len(shown) - _SHOWN_VALUES
        shown = [*shown[:_SHOWN_VALUES], f"and {more} more"]
    return ", ".join(shown) or "none"


def _kind_text(shape: Shape, kind: str) -> str:
    return f"string ({shape.format})" if kind == "string" and shape.format else kind


def _plain_type(shape: Shape) -> str:
    """The type alone: items, nullability and the rest are compared on their own."""
    return " or ".join(sorted(_kind_text(shape, kind) for kind in shape.types)) or "any value"


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


class _Comparer:
    def __init__(self, ours: Document, theirs: Document) -> None:
        self.ours, self.theirs = Shaper(ours), Shaper(theirs)
        self.found: list[Difference] = []

    def add(self, where: str, kind: str, ours: object, theirs: object, says: str) -> None:
        self.found.append(Difference(where, kind, str(ours), str(theirs), says))

    def run(self) -> list[Difference]:
        self.servers()
        self.security()
        ours_ops, theirs_ops = _operations(self.ours.document), _operations(self.theirs.document)
        for key, operation in ours_ops.items():
            if key in theirs_ops:
                self.operation(key, operation, theirs_ops[key])
            else:
                self.add(key, "operation", "present", "absent", "operation only here")
        for key, operation in theirs_ops.items():
            if key not in ours_ops and key.split(" ", 1)[1].startswith(SCOPE):
                op_id = operation.get("operationId", "")
                says = f"operation only at orq ({op_id})" if op_id else "operation only at orq"
                self.add(key, "operation", "absent", "present", says)
        return self.found

    def servers(self) -> None:
        ours = [s.get("url", "") for s in self.ours.document.get("servers", ())]
        theirs = [s.get("url", "") for s in self.theirs.document.get("servers", ())]
        if ours != theirs:
            o, t = ", ".join(ours) or "none", ", ".join(theirs) or "none"
            self.add("servers", "server", o, t, f"{o} here, {t} at orq")

    def security(self) -> None:
        def schemes(shaper: Shaper) -> str:
            defined = shaper.document.get("components", {}).get("securitySchemes", {})
            found = set()
            for requirement in shaper.document.get("security", ()):
                for name in requirement:
                    scheme = shaper.resolve(defined.get(name, {}))
                    found.add(" ".join(filter(None, (scheme.get("type"), scheme.get("scheme")))))
            return ", ".join(sorted(found)) or "none"

        ours, theirs = schemes(self.ours), schemes(self.theirs)
        if ours != theirs:
            self.add("security", "security", ours, theirs, f"{ours} here, {theirs} at orq")

    def operation(self, key: str, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> None:
        self.parameters(key, ours.get("parameters", ()), theirs.get("parameters", ()))
        ours_body = self.ours.resolve(ours.get("requestBody", {}))
        theirs_body = self.theirs.resolve(theirs.get("requestBody", {}))
        if bool(ours_body.get("required")) != bool(theirs_body.get("required")):
            o, t = _required(ours_body.get("required")), _required(theirs_body.get("required"))
            self.add(f"{key} request", "required", o, t, f"body {o} here, {t} at orq")
        self.content(f"{key} request", ours_body, theirs_body)
        # A status written 200 or "200" is the same status.
        ours_responses = {str(k): v for k, v in ours.get("responses", {}).items()}
        theirs_responses = {str(k): v for k, v in theirs.get("responses", {}).items()}
        for status in [*ours_responses, *(s for s in theirs_responses if s not in ours_responses)]:
            where = f"{key} response {status}"
            if status not in theirs_responses:
                self.add(where, "response", "present", "absent", "declared here, not at orq")
            elif status not in ours_responses:
                self.add(where, "response", "absent", "present", "declared at orq, not here")
            else:
                self.content(
                    where,
                    self.ours.resolve(ours_responses[status]),
                    self.theirs.resolve(theirs_responses[status]),
                )

    def parameters(self, key: str, ours: Any, theirs: Any) -> None:
        def by_name(shaper: Shaper, params: Any) -> dict[str, Mapping[str, Any]]:
            resolved = (shaper.resolve(p) for p in params)
            return {f"{p.get('in')} parameter {p.get('name')}": p for p in resolved}

        ours_params, theirs_params = by_name(self.ours, ours), by_name(self.theirs, theirs)
        for name in [*ours_params, *(n for n in theirs_params if n not in ours_params)]:
            where = f"{key} {name}"
            o, t = ours_params.get(name), theirs_params.get(name)
            if o is None or t is None:
                side = "here" if t is None else "at orq"
                self.add(where, "field", _present(o), _present(t), f"parameter only {side}")
                continue
            if bool(o.get("required")) != bool(t.get("required")):
                ro, rt = _required(o.get("required")), _required(t.get("required"))
                self.add(where, "required", ro, rt, f"{ro} here, {rt} at orq")
            self.schema(
                where, "", self.ours.shape(o.get("schema")), self.theirs.shape(t.get("schema"))
            )

    def content(self, where: str, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> None:
        ours_media, theirs_media = ours.get("content", {}), theirs.get("content", {})
        if set(ours_media) != set(theirs_media):
            o, t = ", ".join(ours_media) or "none", ", ".join(theirs_media) or "none"
            self.add(where, "media", o, t, f"media type {o} here, {t} at orq")
        for media in ours_media:
            if media in theirs_media:
                self.schema(
                    where,
                    "",
                    self.ours.shape(ours_media[media].get("schema")),
                    self.theirs.shape(theirs_media[media].get("schema")),
                )

    def schema(self, place: str, path: str, ours: Shape, theirs: Shape) -> None:
        """Compare what `path` in the body at `place` accepts, then its fields and items."""
        where = f"{place} {path}" if path else place
        if _plain_type(ours) != _plain_type(theirs):
            o, t = _plain_type(ours), _plain_type(theirs)
            self.add(where, "type", o, t, f"type {o} here, {t} at orq")
        if ours.nullable != theirs.nullable:
            o, t = _allowed(ours.nullable), _allowed(theirs.nullable)
            self.add(where, "nullable", o, t, f"null {o} here, {t} at orq")
        self.enum(where, ours.enum, theirs.enum)
        limits = (("range", ours.bounds, theirs.bounds), ("rule", ours.rules, theirs.rules))
        for kind, ours_limits, theirs_limits in limits:
            for name in [*ours_limits, *(n for n in theirs_limits if n not in ours_limits)]:
                ours_limit, theirs_limit = ours_limits.get(name), theirs_limits.get(name)
                if ours_limit != theirs_limit:  # numerically: 1 and 1.0 are the same bound
                    o, t = _show_optional(ours_limit), _show_optional(theirs_limit)
                    self.add(
                        where, kind, f"{name} {o}", f"{name} {t}", f"{name} {o} here, {t} at orq"
                    )
        if ours.has_default != theirs.has_default or ours.default != theirs.default:
            o = _show(ours.default) if ours.has_default else "none"
            t = _show(theirs.default) if theirs.has_default else "none"
            self.add(where, "default", o, t, f"default {o} here, {t} at orq")
        if ours.deprecated != theirs.deprecated:
            o, t = _deprecated(ours.deprecated), _deprecated(theirs.deprecated)
            self.add(where, "deprecated", o, t, f"{o} here, {t} at orq")
        if ours.closed != theirs.closed:
            o, t = _refused(ours.closed), _refused(theirs.closed)
            self.add(where, "closed", o, t, f"unknown fields {o} here, {t} at orq")
        if ours.variants != theirs.variants:
            self.add(
                where,
                "variants",
                ours.variants,
                theirs.variants,
                f"{_variants(ours.variants)} here, {_variants(theirs.variants)} at orq",
            )
        self.fields(place, path, ours, theirs)
        for part, suffix in (("items", "[]"), ("extra", ".*")):
            ours_part, theirs_part = getattr(ours, part), getattr(theirs, part)
            if ours_part is not None and theirs_part is not None:
                self.schema(place, path + suffix, ours_part, theirs_part)

    def enum(self, where: str, ours: frozenset[Any] | None, theirs: frozenset[Any] | None) -> None:
        if ours == theirs:
            return
        if ours is None or theirs is None:
            o = "free" if ours is None else f"limited to {_values(ours)}"
            t = "free" if theirs is None else f"limited to {_values(theirs)}"
            self.add(where, "enum", o, t, f"values {o} here, {t} at orq")
            return
        if theirs - ours:
            shown = _values(theirs - ours)
            self.add(where, "enum", "", shown, f"values only at orq: {shown}")
        if ours - theirs:
            shown = _values(ours - theirs)
            self.add(where, "enum", shown, "", f"values only here: {shown}")

    def fields(self, place: str, path: str, ours: Shape, theirs: Shape) -> None:
        names = [*ours.properties, *(n for n in theirs.properties if n not in ours.properties)]
        for name in names:
            sub = f"{path}.{name}" if path else name
            where = f"{place} {sub}"
            o, t = ours.properties.get(name), theirs.properties.get(name)
            if o is None or t is None:
                present, required = (o, ours.required) if o else (t, theirs.required)
                assert present is not None
                text = f"{_required(name in required)} {type_text(present)}"
                side = "here" if t is None else "at orq"
                self.add(where, "field", text if o else "absent", text if t else "absent",
                         f"field only {side} ({text})")  # fmt: skip
                continue
            o_req, t_req = _required(name in ours.required), _required(name in theirs.required)
            if o_req != t_req:
                self.add(where, "required", o_req, t_req, f"{o_req} here, {t_req} at orq")
            self.schema(place, sub, o, t)


def _operations(document: Document) -> dict[str, Mapping[str, Any]]:
    """`METHOD /path` -> operation, in the document's order."""
    found: dict[str, Mapping[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if isinstance(item.get(method), Mapping):
                found[f"{method.upper()} {path}"] = item[method]
    return found


def _present(value: object) -> str:
    return "absent" if value is None else "present"


def _required(flag: object) -> str:
    return "required" if flag else "optional"


def _allowed(flag: bool) -> str:
    return "allowed" if flag else "refused"


def _refused(flag: bool) -> str:
    return "refused" if flag else "allowed"


def _deprecated(flag: bool) -> str:
    return "deprecated" if flag else "not deprecated"


def _variants(count: int) -> str:
    return "one shape" if count == 1 else f"one of {count} shapes"


def _show_optional(value: object) -> str:
    return "none" if value is None else _show(value)


def compare(ours: Document, theirs: Document) -> list[Difference]:
    """The differences from our document to orq's, in our document's order."""
    return _Comparer(ours, theirs).run()
