"""What changed between two versions of openapi.yaml, as users of the SDK see it.

Every model is a public class that users both construct (requests, test doubles)
and read (responses), so the rules are the same wherever a schema is used:

- breaking: a removed operation, schema, field, parameter or enum value; a renamed
  schema; a new required field or parameter; a field that became required; a
  changed type; a narrowed range or length; a field that became optional in a
  schema clients read (a response), since readers must now handle its absence;
- not breaking: a new operation, schema, optional field or parameter, or enum
  value; a widened range; a changed server default; a deprecation; a moved path.

What only clients send (request bodies, parameters, schemas only requests use) is
an input: widening it (a type that now also accepts null or another type, a wider
range, more enum values) breaks no caller, narrowing it does. A schema that clients
also read keeps every type change breaking.

Descriptions are documentation and are not reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen.api_change import Change, normalized

Spec = Mapping[str, Any]
Schema = Mapping[str, Any]

SCHEMA_REF = "#/components/schemas/"
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_DOC_KEYS = frozenset({"description", "title", "example", "examples"})
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class SpecDiff:
    changes: list[Change] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """Schemas that kept their content under a new name: old name -> new name."""


def _schemas(spec: Spec) -> Mapping[str, Schema]:
    schemas: Mapping[str, Schema] = spec.get("components", {}).get("schemas", {})
    return schemas


def _ref_name(ref: str) -> str:
    return ref.removeprefix(SCHEMA_REF)


def _resolve(spec: Spec, ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable_schemas(spec: Spec, root: Any) -> set[str]:
    """Names of the component schemas `root` uses, directly or through other refs."""
    found: set[str] = set()
    pending = list(_refs(root))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/"):
            continue
        seen.add(ref)
        if ref.startswith(SCHEMA_REF):
            found.add(_ref_name(ref))
        pending.extend(_refs(_resolve(spec, ref)))
    return found


def _operations(spec: Spec) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    """operationId -> (METHOD, path, operation)."""
    found: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is not None:
                op_id = operation.get("operationId", f"{method.upper()} {path}")
                found[op_id] = (method.upper(), path, operation)
    return found


def _usage(spec: Spec) -> dict[str, set[str]]:
    """Schema name -> where the operations use it ("createImage request", ...)."""
    used: dict[str, set[str]] = {}
    for op_id, (_, _, operation) in _operations(spec).items():
        roots: list[tuple[str, Any]] = [(f"{op_id} request", operation.get("requestBody"))]
        for status, response in operation.get("responses", {}).items():
            kind = "response" if str(status).startswith("2") else "errors"
            roots.append((f"{op_id} {kind}", response))
        for label, root in roots:
            for name in _reachable_schemas(spec, root):
                used.setdefault(name, set()).add(label)
    return used


def _without_docs(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _without_docs(v) for k, v in node.items() if k not in _DOC_KEYS}
    if isinstance(node, list):
        return [_without_docs(v) for v in node]
    return node


def _find_renames(old: Mapping[str, Schema], new: Mapping[str, Schema]) -> dict[str, str]:
    removed = [name for name in old if name not in new]
    added = [name for name in new if name not in old]
    renames: dict[str, str] = {}
    for name in removed:
        body = _without_docs(old[name])
        matches = [other for other in added if _without_docs(new[other]) == body]
        if len(matches) == 1 and matches[0] not in renames.values():
            renames[name] = matches[0]
    return renames


def describe(schema: Schema, renames: Mapping[str, str] | None = None) -> str:
    """A schema's type in a few words; with `renames`, old schema names become new ones."""
    renames = renames or {}
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return renames.get(name, name)
    for key, joiner in (("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")):
        if key in schema:
            return "(" + joiner.join(describe(part, renames) for part in schema[key]) + ")"
    types = schema.get("type", [])
    parts: list[str] = []
    for kind in [types] if isinstance(types, str) else types:
        if kind == "array":
            parts.append(f"array of {describe(schema.get('items', {}), renames)}")
        elif kind == "object" and "properties" not in schema:
            extra = schema.get("additionalProperties")
            parts.append(
                f"map of {describe(extra, renames)}" if isinstance(extra, Mapping) else "object"
            )
        elif "format" in schema and kind != "null":
            parts.append(f"{kind} ({schema['format']})")
        else:
            parts.append(str(kind))
    return " | ".join(parts) or "any"


def _alternatives(schema: Schema, renames: Mapping[str, str] | None = None) -> frozenset[str]:
    """The types a value may have: the members of a union, or of a list of types."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return frozenset(describe(part, renames) for part in schema[key])
    types = schema.get("type")
    if isinstance(types, list) and len(types) > 1:
        return frozenset(describe({**schema, "type": kind}, renames) for kind in types)
    return frozenset({describe(schema, renames)})


def _listed(types: frozenset[str]) -> str:
    return ", ".join(f"`{kind}`" for kind in sorted(types))


def _values(values: list[Any]) -> str:
    return ", ".join(f"`{v}`" if isinstance(v, str) else f"`{json.dumps(v)}`" for v in values)


class _Differ:
    def __init__(self, old: Spec, new: Spec) -> None:
        self.old, self.new = old, new
        self.result = SpecDiff(renames=_find_renames(_schemas(old), _schemas(new)))
        self.usage = _usage(old)
        for name, labels in _usage(new).items():
            self.usage.setdefault(name, set()).update(labels)
        self.read_by_clients = {
            name for name, labels in self.usage.items() if any(" response" in x for x in labels)
        }

    def add(self, breaking: bool, subject: str, description: str, key: tuple[str, ...]) -> None:
        labels = self.usage.get(subject.split(".", 1)[0].split("[", 1)[0])
        if labels:
            description = f"{description} ({', '.join(sorted(labels))})"
        self.result.changes.append(Change(breaking, subject, description, key))

    def run(self) -> SpecDiff:
        self.operations()
        self.schemas()
        return self.result

    def operations(self) -> None:
        old_ops, new_ops = _operations(self.old), _operations(self.new)
        for op_id, (method, path, _) in old_ops.items():
            if op_id not in new_ops:
                self.add(True, op_id, f"operation `{method} {path}` removed", (normalized(op_id),))
        for op_id, (method, path, _) in new_ops.items():
            if op_id not in old_ops:
                self.add(False, op_id, f"operation `{method} {path}` added", (normalized(op_id),))
        for op_id, old_op in old_ops.items():
            if op_id in new_ops:
                self.operation(op_id, old_op, new_ops[op_id])

    def operation(
        self,
        op_id: str,
        old: tuple[str, str, Mapping[str, Any]],
        new: tuple[str, str, Mapping[str, Any]],
    ) -> None:
        key = normalized(op_id)
        if old[:2] != new[:2]:
            self.add(False, op_id, f"now `{new[0]} {new[1]}` (was `{old[0]} {old[1]}`)", (key,))
        self.parameters(op_id, old[2].get("parameters", []), new[2].get("parameters", []))
        old_body, new_body = old[2].get("requestBody", {}), new[2].get("requestBody", {})
        if new_body.get("required") and not old_body.get("required"):
            self.add(True, op_id, "request body is now required", (key, "body"))
        self.content(f"{op_id} request body", old_body, new_body, (key, "body"))
        for status, old_response in old[2].get("responses", {}).items():
            if not str(status).startswith("2"):
                continue
            new_response = new[2].get("responses", {}).get(status)
            if new_response is None:
                self.add(True, op_id, f"response {status} removed", (key,))
            else:
                self.content(f"{op_id} response {status}", old_response, new_response, (key,))

    def content(
        self, where: str, old: Mapping[str, Any], new: Mapping[str, Any], key: tuple[str, ...]
    ) -> None:
        old_media, new_media = old.get("content", {}), new.get("content", {})
        for media, old_entry in old_media.items():
            if media in new_media:
                old_schema, new_schema = (
                    old_entry.get("schema", {}),
                    new_media[media].get("schema", {}),
                )
                self.compare(old_schema, new_schema, where, key)
            else:
                self.add(True, where, f"media type `{media}` removed", key)
        for media in new_media:
            if media not in old_media:
                self.add(False, where, f"media type `{media}` added", key)

    def parameters(
        self, op_id: str, old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]
    ) -> None:
        def by_name(params: list[Mapping[str, Any]], spec: Spec) -> dict[str, Mapping[str, Any]]:
            resolved = [_resolve(spec, p["$ref"]) if "$ref" in p else p for p in params]
            return {f"{p.get('in')} {p.get('name')}": p for p in resolved}

        old_params, new_params = by_name(old, self.old), by_name(new, self.new)
        for name, param in old_params.items():
            key = (normalized(op_id), normalized(param.get("name", "")))
            where = f"{op_id} {name} parameter"
            if name not in new_params:
                self.add(True, where, "parameter removed", key)
                continue
            new_param = new_params[name]
            if new_param.get("required") and not param.get("required"):
                self.add(True, where, "parameter is now required", key)
            self.compare(param.get("schema", {}), new_param.get("schema", {}), where, key)
        for name, param in new_params.items():
            if name not in old_params:
                required = bool(param.get("required"))
                kind = "required" if required else "optional"
                key = (normalized(op_id), normalized(param.get("name", "")))
                self.add(required, f"{op_id} {name} parameter", f"{kind} parameter added", key)

    def schemas(self) -> None:
        old, new = _schemas(self.old), _schemas(self.new)
        renames = self.result.renames
        for name in old:
            if name in renames:
                self.add(True, name, f"schema renamed to `{renames[name]}`", (normalized(name),))
            elif name not in new:
                self.add(True, name, "schema removed", (normalized(name),))
            else:
                self.compare(old[name], new[name], name, (normalized(name),))
        for name in new:
            if name not in old and name not in renames.values():
                self.add(False, name, "schema added", (normalized(name),))

    def sent_only(self, where: str) -> bool:
        """Whether what `where` names is only ever sent by clients (a request body or
        parameter, or a schema only requests use): there a wider type breaks no caller."""
        root = re.split(r"[.\[<{]", where, maxsplit=1)[0]
        if root.endswith((" request body", " parameter")):
            return True
        labels = self.usage.get(root, set())
        return bool(labels) and all(label.endswith(" request") for label in labels)

    def compare(self, old: Schema, new: Schema, where: str, key: tuple[str, ...]) -> None:
        """Report how `old` became `new` at `where` (a schema, field, or body)."""
        if describe(old, self.result.renames) != describe(new):
            before, after = _alternatives(old, self.result.renames), _alternatives(new)
            if before < after and self.sent_only(where):
                self.add(False, where, f"now also accepts {_listed(after - before)}", key)
            else:
                changed = f"type changed from `{describe(old)}` to `{describe(new)}`"
                narrowed = after < before and self.sent_only(where)
                self.add(
                    True,
                    where,
                    f"no longer accepts {_listed(before - after)}" if narrowed else changed,
                    key,
                )
                return
        if "$ref" in old:
            return  # the referenced schema is compared under its own name
        self.enum(old, new, where, key)
        self.bounds(old, new, where, key)
        if old.get("default") != new.get("default"):
            self.add(
                False,
                where,
                f"server default changed from `{json.dumps(old.get('default'))}` "
                f"to `{json.dumps(new.get('default'))}`",
                key,
            )
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            self.add(False, where, "deprecated" if new.get("deprecated") else "undeprecated", key)
        self.properties(old, new, where, key)
        for part, suffix in (("items", "[]"), ("additionalProperties", "{}")):
            if isinstance(old.get(part), Mapping) and isinstance(new.get(part), Mapping):
                self.compare(old[part], new[part], where + suffix, key)
        for part in ("anyOf", "oneOf", "allOf"):
            for index, (old_sub, new_sub) in enumerate(
                zip(old.get(part, []), new.get(part, []), strict=False)
            ):
                self.compare(old_sub, new_sub, f"{where}<{index}>", key)

    def enum(self, old: Schema, new: Schema, where: str, key: tuple[str, ...]) -> None:
        if "enum" not in old and "enum" not in new:
            return
        if "enum" not in new:
            self.add(False, where, "no longer limited to a list of values", key)
            return
        if "enum" not in old:
            self.add(True, where, f"now limited to {_values(new['enum'])}", key)
            return
        removed = [v for v in old["enum"] if v not in new["enum"]]
        added = [v for v in new["enum"] if v not in old["enum"]]
        if removed:
            self.add(True, where, f"enum value(s) {_values(removed)} removed", key)
        if added:
            self.add(False, where, f"enum value(s) {_values(added)} added", key)

    def bounds(self, old: Schema, new: Schema, where: str, key: tuple[str, ...]) -> None:
        for name in _LOWER_BOUNDS + _UPPER_BOUNDS:
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            if after is None:
                narrowed = False
            elif before is None:
                narrowed = True
            else:
                narrowed = after > before if name in _LOWER_BOUNDS else after < before
            self.add(narrowed, where, f"`{name}` changed from {before} to {after}", key)

    def properties(self, old: Schema, new: Schema, where: str, key: tuple[str, ...]) -> None:
        old_props: Mapping[str, Schema] = old.get("properties", {})
        new_props: Mapping[str, Schema] = new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        root = where.split(".", 1)[0]
        for name, old_prop in old_props.items():
            sub, sub_key = f"{where}.{name}", (*key[:1], normalized(name))
            if name not in new_props:
                self.add(True, sub, "field removed", sub_key)
                continue
            if name in new_required and name not in old_required:
                self.add(True, sub, "field is now required", sub_key)
            elif name in old_required and name not in new_required:
                read = root in self.read_by_clients
                self.add(read, sub, "field is now optional", sub_key)
            self.compare(old_prop, new_props[name], sub, sub_key)
        for name in [name for name in new_props if name not in old_props]:
            required = name in new_required
            kind = "required" if required else "optional"
            sub_key = (*key[:1], normalized(name))
            self.add(required, f"{where}.{name}", f"{kind} field added", sub_key)


def diff_specs(old: Spec, new: Spec) -> SpecDiff:
    """The changes from `old` to `new`, in the order the spec lists them."""
    return _Differ(old, new).run()
