"""What changed between two versions of openapi.yaml, as users of the SDK see it.

The comparison and its verdicts are schemadiff's (scripts/schemadiff/compare.py:
narrowing what users send breaks them, so does widening what they read). This
module words its Differences as report lines, named the way users meet them: a
field by the schema, and so the Python class, that holds it
(`CreateImageRequest.user`), a parameter or body by its operation. A change that
several operations share (a schema they all use) is one line, listing where it is
used, and breaking if it breaks any of them.

Beside the wire, the report sees the schemas' names, since each is a Python class:
a schema added, removed, or renamed (same content, new name).

Descriptions are documentation and are not reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from schemadiff.compare import Difference, compare, operations, show
from schemadiff.shape import SpecError

from codegen.api_change import Change, normalized

Spec = Mapping[str, Any]
Schema = Mapping[str, Any]

SCHEMA_REF = "#/components/schemas/"
_DOC_KEYS = frozenset({"description", "title", "example", "examples"})

__all__ = ["SpecDiff", "SpecError", "diff_specs"]


@dataclass
class SpecDiff:
    changes: list[Change] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """Schemas that kept their content under a new name: old name -> new name."""


def _schemas(spec: Spec) -> Mapping[str, Schema]:
    schemas: Mapping[str, Schema] = (spec.get("components") or {}).get("schemas") or {}
    return schemas


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _usage(spec: Spec) -> dict[str, set[str]]:
    """Schema name -> where the operations use it ("createImage request", ...)."""
    schemas = _schemas(spec)
    used: dict[str, set[str]] = {}
    for op_id, operation in operations(spec).values():
        roots: list[tuple[str, Any]] = [(f"{op_id} request", operation.get("requestBody"))]
        for status, response in (operation.get("responses") or {}).items():
            roots.append((_label(op_id, f"response {status}"), response))
        for label, root in roots:
            pending, seen = list(_refs(root)), set()
            while pending:
                name = pending.pop().removeprefix(SCHEMA_REF)
                if name in seen or name not in schemas:
                    continue
                seen.add(name)
                used.setdefault(name, set()).add(label)
                pending.extend(_refs(schemas[name]))
    return used


def _label(op_id: str, part: str) -> str:
    if part.startswith("response "):
        return f"{op_id} {'response' if part[9:].startswith('2') else 'errors'}"
    return f"{op_id} request"


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


def _quoted(values: tuple[Any, ...]) -> str:
    return ", ".join(f"`{show(value)}`" for value in values)


def _split(text: str, joiner: str) -> set[str]:
    return set(text.split(joiner)) - {"none", "any value"}


def _member(difference: Difference) -> str:
    return "parameter" if "parameter" in difference.place.part else "field"


def _operation(difference: Difference) -> str:
    old, new = difference.old, difference.new
    if "present" not in (old, new):
        return f"now `{new}` (was `{old}`)"
    done = "removed" if new == "absent" else "added"
    return f"operation `{difference.place.operation}` {done}"


def _deprecation(difference: Difference) -> str:
    scope = "" if difference.place.path or difference.place.part else "operation "
    return f"{scope}{'deprecated' if difference.new == 'deprecated' else 'undeprecated'}"


def _media(difference: Difference) -> str:
    if difference.new == "absent":
        return f"media type `{difference.old}` removed"
    return f"media type `{difference.new}` added"


def _required(difference: Difference) -> str:
    place = difference.place
    body = place.part == "request" and not place.path
    return f"{'request body' if body else _member(difference)} is now {difference.new}"


def _field(difference: Difference) -> str:
    if difference.new == "absent":
        return f"{_member(difference)} removed"
    required = "required" if difference.new.startswith("required") else "optional"
    return f"{required} {_member(difference)} added"


def _type(difference: Difference) -> str:
    old, new = _split(difference.old, " or "), _split(difference.new, " or ")
    if new - old and not old - new:
        return f"may now also be {_quoted(tuple(sorted(new - old)))}"
    if old - new and not new - old:
        return f"may no longer be {_quoted(tuple(sorted(old - new)))}"
    return f"type changed from `{difference.old}` to `{difference.new}`"


def _enum(difference: Difference) -> str:
    if difference.values:
        done = "added" if difference.new else "removed"
        return f"enum value(s) {_quoted(difference.values)} {done}"
    if difference.new == "free":
        return "no longer limited to a list of values"
    return f"now limited to `{difference.new.removeprefix('limited to ')}`"


def _limit(difference: Difference) -> str:
    name, _, before = difference.old.partition(" ")
    return f"`{name}` changed from {before} to {difference.new.partition(' ')[2]}"


def _template(text: str) -> Callable[[Difference], str]:
    """Words from a template of the difference's `old` and `new`."""
    return lambda difference: text.format(old=difference.old, new=difference.new)


_WORDS: dict[str, Callable[[Difference], str]] = {
    "operation": _operation,
    "deprecated": _deprecation,
    "server": _template("server changed from `{old}` to `{new}`"),
    "security": _template("security changed from `{old}` to `{new}`"),
    "media": _media,
    "response": lambda d: f"`{d.place.part}` {'removed' if d.new == 'absent' else 'added'}",
    "required": _required,
    "field": _field,
    "type": _type,
    "nullable": lambda d: "may now be `null`" if d.new == "allowed" else "may no longer be `null`",
    "enum": _enum,
    "range": _limit,
    "rule": _limit,
    "default": _template("server default changed from `{old}` to `{new}`"),
    "closed": _template("unknown fields now {new}"),
    "variants": _template("now {new} (was {old})"),
}
"""What changed, in the report's words, for each kind of Difference."""


def _subject(difference: Difference) -> tuple[str, tuple[str, ...], bool]:
    """The line's subject, its key (see Change) and whether it is named by a schema."""
    place = difference.place
    if place.schema:
        subject = f"{place.schema}.{place.schema_path}" if place.schema_path else place.schema
        member = place.schema_path.replace("[]", "").rsplit(".", 1)[-1]
        key = (normalized(place.schema), *((normalized(member),) if member else ()))
        return subject, key, True
    op_key = normalized(place.operation_id)
    if not place.part:
        return place.operation_id or place.operation, (op_key,), False
    if "parameter" in place.part:
        location, _, name = place.part.partition(" parameter ")
        subject = f"{place.operation_id} {location} {name} parameter"
        return subject + (f".{place.path}" if place.path else ""), (op_key, normalized(name)), False
    body = "request body" if place.part == "request" else place.part
    subject = f"{place.operation_id} {body}" + (f".{place.path}" if place.path else "")
    return subject, (op_key, *((normalized(place.path),) if place.path else ())), False


def _changes(differences: list[Difference]) -> list[Change]:
    """One line per change, however many operations share it."""
    merged: dict[tuple[str, str], tuple[bool, tuple[str, ...], set[str], bool]] = {}
    for difference in differences:
        subject, key, named = _subject(difference)
        label = _label(difference.place.operation_id, difference.place.part)
        description = _WORDS[difference.kind](difference)
        breaking, _, labels, _ = merged.get((subject, description), (False, key, set(), named))
        labels.add(label)
        merged[(subject, description)] = (breaking or difference.breaking, key, labels, named)
    return [
        Change(breaking, subject, f"{text} ({', '.join(sorted(labels))})" if named else text, key)
        for (subject, text), (breaking, key, labels, named) in merged.items()
    ]


def diff_specs(old: Spec, new: Spec, names: tuple[str, str] = ("old spec", "new spec")) -> SpecDiff:
    """The changes from `old` to `new`: the wire's, then the schemas' names.
    Raises SpecError, naming the spec (by `names`) and the place, for a spec that
    cannot be read."""
    result = SpecDiff(changes=_changes(compare(old, new, names)))
    old_schemas, new_schemas = _schemas(old), _schemas(new)
    result.renames = _find_renames(old_schemas, new_schemas)
    usage = _usage(old)
    for name, labels in _usage(new).items():
        usage.setdefault(name, set()).update(labels)

    def add(breaking: bool, name: str, description: str) -> None:
        labels = usage.get(name)
        text = f"{description} ({', '.join(sorted(labels))})" if labels else description
        result.changes.append(Change(breaking, name, text, (normalized(name),)))

    for name in old_schemas:
        if name in result.renames:
            add(True, name, f"schema renamed to `{result.renames[name]}`")
        elif name not in new_schemas:
            add(True, name, "schema removed")
    for name in new_schemas:
        if name not in old_schemas and name not in result.renames.values():
            add(False, name, "schema added")
    return result
