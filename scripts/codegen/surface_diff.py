"""Breaks in the Python API between two versions of the packages, found with griffe.

The spec diff cannot see what the generator does with the spec: a class renamed in
generator-config.yaml, enum members renumbered when a value in the middle goes
(`VALUE_1` silently means another size), a new generator release. Both package
trees are loaded statically (nothing is imported) and compared:

- `griffe.find_breaking_changes`: removed objects, and parameters of functions
  removed, added as required, made required, moved or given another default;
- what griffe leaves out and the generated code needs: attrs model fields (griffe
  does not see the `__init__` attrs writes) that became required or were added as
  required, changed annotations of attributes, parameters and return values, and
  enum members whose value changed.

Model fields are passed by keyword (the generated field order follows the spec and
is not part of the API), so a new optional field anywhere in a model is no break.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import griffe

from codegen.api_change import Change, normalized

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATTRS_DECORATORS = frozenset({"attrs.define", "attrs.frozen", "attr.s", "attr.define"})


def load(package: str, search_paths: Sequence[Path]) -> griffe.Module | None:
    """The package as griffe sees it from its source, or None if it is not there."""
    if not any((path / package).is_dir() for path in search_paths):
        return None
    loader = griffe.GriffeLoader(
        search_paths=[str(path) for path in search_paths], allow_inspection=False
    )
    module = loader.load(package)
    loader.resolve_aliases(implicit=False, external=False)
    assert isinstance(module, griffe.Module)
    return module


def _key(obj: griffe.Object | griffe.Alias, member: str | None = None) -> tuple[str, ...]:
    names = [obj.name] if member is None else [obj.name, member]
    return tuple(normalized(name) for name in names)


def _same_modulo_renames(old: str, new: str, renames: Mapping[str, str]) -> bool:
    """Whether two annotations differ only by schema classes that were renamed."""
    renamed = {normalized(k): normalized(v) for k, v in renames.items()}

    def rewrite(text: str) -> str:
        return _IDENTIFIER.sub(lambda m: renamed.get(normalized(m[0]), normalized(m[0])), text)

    return rewrite(old) == _IDENTIFIER.sub(lambda m: normalized(m[0]), new)


def _from_griffe(breakage: griffe.Breakage) -> Change:
    obj = breakage.obj
    param = next(
        (v for v in (breakage.new_value, breakage.old_value) if isinstance(v, griffe.Parameter)),
        None,
    )
    if param is None:
        parent = obj.parent if obj.parent is not None and obj.parent.is_class else None
        key = _key(parent, obj.name) if parent is not None else _key(obj)
        return Change(True, obj.path, breakage.kind.value.lower(), key)
    owner = obj.parent if obj.name == "__init__" and obj.parent is not None else obj
    description = f"{breakage.kind.value.lower()}: `{param.name}`"
    return Change(True, obj.path, description, _key(owner, param.name))


def _is_attrs_class(cls: griffe.Class) -> bool:
    return any(d.callable_path in _ATTRS_DECORATORS for d in cls.decorators)


def _is_enum(cls: griffe.Class) -> bool:
    return any(str(base).endswith("Enum") for base in cls.bases)


def _fields(cls: griffe.Class) -> dict[str, griffe.Attribute]:
    return {
        name: member
        for name, member in cls.members.items()
        if isinstance(member, griffe.Attribute)
        and member.is_public
        and member.annotation is not None
        and "property" not in member.labels
    }


class _Walker:
    def __init__(self, renames: Mapping[str, str]) -> None:
        self.renames = renames
        self.seen: set[str] = set()

    def type_change(self, old: object, new: object) -> str | None:
        before, after = str(old), str(new)
        if before == after or _same_modulo_renames(before, after, self.renames):
            return None
        return f"type changed from `{before}` to `{after}`"

    def objects(self, old: griffe.Object, new: griffe.Object) -> Iterator[Change]:
        if old.path in self.seen:
            return
        self.seen.add(old.path)
        if isinstance(old, griffe.Class) and isinstance(new, griffe.Class):
            yield from self.class_(old, new)
        elif isinstance(old, griffe.Function) and isinstance(new, griffe.Function):
            yield from self.function(old, new)
        for name, old_member in old.members.items():
            new_member = new.members.get(name)
            if new_member is None or old_member.is_alias or new_member.is_alias:
                continue  # removals are griffe's; re-exports are compared where defined
            if old_member.is_public and isinstance(old_member, griffe.Object):
                assert isinstance(new_member, griffe.Object)
                yield from self.objects(old_member, new_member)

    def class_(self, old: griffe.Class, new: griffe.Class) -> Iterator[Change]:
        old_fields, new_fields = _fields(old), _fields(new)
        is_model = _is_attrs_class(new)
        for name, field in new_fields.items():
            before = old_fields.get(name)
            subject = f"{new.path}.{name}"
            if before is None:
                if is_model and field.value is None:
                    yield Change(True, subject, "required field added", _key(new, name))
                continue
            if is_model and field.value is None and before.value is not None:
                yield Change(True, subject, "field is now required", _key(new, name))
            changed = self.type_change(before.annotation, field.annotation)
            if changed:
                yield Change(True, subject, changed, _key(new, name))
        if _is_enum(new):
            for name, member in new.members.items():
                before_member = old.members.get(name)
                if (
                    isinstance(member, griffe.Attribute)
                    and isinstance(before_member, griffe.Attribute)
                    and str(member.value) != str(before_member.value)
                ):
                    yield Change(
                        True,
                        member.path,
                        f"value changed from {before_member.value} to {member.value}",
                        _key(new, name),
                    )

    def function(self, old: griffe.Function, new: griffe.Function) -> Iterator[Change]:
        owner = new.parent if new.parent is not None and new.parent.is_class else new.module
        for param in new.parameters:
            if param.name not in old.parameters:
                continue
            changed = self.type_change(old.parameters[param.name].annotation, param.annotation)
            if changed:
                description = f"parameter `{param.name}`: {changed}"
                yield Change(True, new.path, description, _key(owner, param.name))
        changed = self.type_change(old.returns, new.returns)
        if changed:
            yield Change(True, new.path, f"return {changed}", _key(owner))


def diff_packages(
    old: griffe.Module, new: griffe.Module, renames: Mapping[str, str]
) -> list[Change]:
    """Breaks from `old` to `new`; `renames` (old schema name -> new) are not breaks
    again where they show up in annotations, the spec diff already reports them."""
    changes = [_from_griffe(breakage) for breakage in griffe.find_breaking_changes(old, new)]
    changes.extend(_Walker(renames).objects(old, new))
    return changes
