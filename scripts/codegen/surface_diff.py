"""Breaks in the Python API between two versions of the packages, found with griffe.

The spec diff cannot see what the generator does with the spec: a class renamed in
generator-config.yaml, enum members renumbered when a value in the middle goes
(`VALUE_1` silently means another size), a new generator release. Both package
trees are loaded statically (nothing is imported) and compared:

- `griffe.find_breaking_changes`: removed objects, and parameters of functions
  removed, added as required, made required, moved or given another default;
- what griffe leaves out and the generated code needs: attrs model fields (griffe
  does not see the `__init__` attrs writes) that became required or were added as
  required, changed annotations of attributes, and enum members whose value
  changed. Function annotations are not compared: they differ in spelling without
  differing in meaning (`Self` and a bound TypeVar, `object` and `Any`), while a
  renamed model in a signature already shows as the removed class.

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


def load(packages: Sequence[str], search_paths: Sequence[Path]) -> dict[str, griffe.Module]:
    """The packages found in `search_paths`, read from source by one loader so that
    re-exports between them resolve."""
    loader = griffe.GriffeLoader(
        search_paths=[str(path) for path in search_paths], allow_inspection=False
    )
    found: dict[str, griffe.Module] = {}
    for package in packages:
        if any((path / package).is_dir() for path in search_paths):
            module = loader.load(package)
            assert isinstance(module, griffe.Module)
            found[package] = module
    loader.resolve_aliases(implicit=False, external=False)
    return found


def _key(obj: griffe.Object | griffe.Alias, member: str | None = None) -> tuple[str, ...]:
    names = [obj.name] if member is None else [obj.name, member]
    # The TypedDict `FallbackParam` (params.py) is the schema `Fallback` as a dict.
    return tuple(normalized(name.removesuffix("Param")) for name in names)


def _same_modulo_renames(old: str, new: str, renames: Mapping[str, str]) -> bool:
    """Whether two annotations differ only by schema classes that were renamed."""
    renamed = {normalized(k): normalized(v) for k, v in renames.items()}
    renamed |= {f"{k}param": f"{v}param" for k, v in renamed.items()}

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


def _is_required_field(cls: griffe.Object, name: str) -> bool:
    """An attrs field without a default: a required argument of the model's __init__."""
    if not isinstance(cls, griffe.Class) or not _is_attrs_class(cls):
        return False
    field = _fields(cls).get(name)
    return field is not None and field.value is None


def _resolve_class(expression: object, anchor: griffe.Object) -> griffe.Class | None:
    """The class an annotation or call names, if it is one of the loaded packages'."""
    path = getattr(expression, "canonical_path", None)
    if not isinstance(path, str):
        return None
    try:
        found = anchor.modules_collection[path]
    except KeyError:
        return None
    target = _target(found)
    return target if isinstance(target, griffe.Class) else None


def _held_class(attribute: griffe.Object) -> griffe.Class | None:
    """The class of an attribute set to an instance, like `self.router = Router(self)`:
    what users reach through it (`orq.router.images...`) is public API."""
    if not isinstance(attribute, griffe.Attribute):
        return None
    if attribute.annotation is not None:
        return _resolve_class(attribute.annotation, attribute)
    value = attribute.value
    return _resolve_class(value.function, attribute) if isinstance(value, griffe.ExprCall) else None


def _typed_dict_keys(cls: griffe.Class) -> dict[str, bool]:
    """A TypedDict's keys, its bases' included -> whether each is required."""
    keys: dict[str, bool] = {}
    for base in cls.bases:
        base_class = _resolve_class(base, cls)
        if base_class is not None:
            keys.update(_typed_dict_keys(base_class))
    total = cls.keywords.get("total", "True") != "False"
    for name, member in cls.members.items():
        if isinstance(member, griffe.Attribute) and member.annotation is not None:
            spelled = str(member.annotation)
            keys[name] = spelled.startswith("Required[") or (
                total and not spelled.startswith("NotRequired[")
            )
    return keys


def _named_keywords(function: griffe.Function) -> dict[str, bool]:
    """The parameters a caller may pass by name -> whether each must be passed."""
    by_name = (griffe.ParameterKind.positional_or_keyword, griffe.ParameterKind.keyword_only)
    return {
        parameter.name: parameter.default is None
        for parameter in function.parameters
        if parameter.kind in by_name and parameter.name not in ("self", "cls")
    }


def _public_paths(module: griffe.Module) -> dict[str, str]:
    """Where a package's re-exports are defined -> the path users import them by
    (`orq_images._client.Orq` -> `orq_images.Orq`)."""
    found: dict[str, str] = {}
    for name, member in module.members.items():
        target = _target(member) if member.is_public else None
        if target is not None and target.path != f"{module.path}.{name}":
            found.setdefault(target.path, f"{module.path}.{name}")
    return found


def _as_imported(path: str, public: Mapping[str, str]) -> str:
    for defined, imported in public.items():
        if path == defined or path.startswith(defined + "."):
            return imported + path[len(defined) :]
    return path


def _unpacked_keywords(function: griffe.Function) -> dict[str, bool]:
    """The keywords `**params: Unpack[SomeTypedDict]` takes -> whether each is required.
    griffe compares named parameters; these it sees only as one `**params`."""
    for parameter in function.parameters:
        annotation = parameter.annotation
        if (
            parameter.kind is griffe.ParameterKind.var_keyword
            and isinstance(annotation, griffe.ExprSubscript)
            and str(annotation.left).rsplit(".", 1)[-1] == "Unpack"
        ):
            typed_dict = _resolve_class(annotation.slice, function)
            return {} if typed_dict is None else _typed_dict_keys(typed_dict)
    return {}


def _is_private(path: str) -> bool:
    """Whether a dotted path goes through a private name (`_client._BaseClient`)."""
    return any(
        part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
        for part in path.split(".")
    )


def _members(obj: griffe.Object) -> dict[str, griffe.Object | griffe.Alias]:
    if isinstance(obj, griffe.Class):
        try:
            return dict(obj.all_members)
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            pass  # a base class outside the loaded packages: its own members only
    return dict(obj.members)


def _target(obj: griffe.Object | griffe.Alias) -> griffe.Object | None:
    """What a re-export points to, or None for things outside the packages."""
    if not isinstance(obj, griffe.Alias):
        return obj
    try:
        return obj.final_target
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


class SurfaceDiff:
    """Compares packages loaded by `load`, each object once under its first public path."""

    def __init__(self, renames: Mapping[str, str]) -> None:
        self.renames = renames
        self.seen: set[str] = set()

    def package(self, old: griffe.Module, new: griffe.Module, additions: bool) -> list[Change]:
        """Breaks from `old` to `new`, and with `additions` also new public objects.
        `renames` (old schema name -> new) are not breaks again where they show up in
        annotations: the spec diff already reports them."""
        public = _public_paths(old)
        changes = []
        for breakage in griffe.find_breaking_changes(old, new):
            change = _from_griffe(breakage)
            subject = _as_imported(change.subject, public)
            # What users reach only through a public class (a private base class's
            # __init__) is compared there, by `walk`, under the public name.
            if not _is_private(subject.removeprefix(old.path + ".")):
                changes.append(Change(change.breaking, subject, change.description, change.key))
        changes.extend(self.walk(old, new, old.path, additions))
        return changes

    def walk(
        self,
        old: griffe.Object | griffe.Alias,
        new: griffe.Object | griffe.Alias,
        path: str,
        additions: bool,
    ) -> Iterator[Change]:
        old_target, new_target = _target(old), _target(new)
        if old_target is None or new_target is None or old_target.path in self.seen:
            return
        self.seen.add(old_target.path)
        if isinstance(old_target, griffe.Class) and isinstance(new_target, griffe.Class):
            yield from self.class_(old_target, new_target, path)
        if isinstance(old_target, griffe.Function) and isinstance(new_target, griffe.Function):
            yield from self.keywords(old_target, new_target, path, additions)
        old_held, new_held = _held_class(old_target), _held_class(new_target)
        if old_held is not None and new_held is not None:
            yield from self.walk(old_held, new_held, path, additions)
        # A class's inherited members are its users' as much as its own.
        old_members, new_members = _members(old_target), _members(new_target)
        for name, new_member in new_members.items():
            old_member = old_members.get(name)
            if not new_member.is_public:
                continue
            if old_member is None:
                if additions and not _is_required_field(new_target, name):
                    yield Change(False, f"{path}.{name}", "added", _key(new_target, name))
            elif old_member.is_public:  # removals are griffe's
                yield from self.walk(old_member, new_member, f"{path}.{name}", additions)

    def keywords(
        self, old: griffe.Function, new: griffe.Function, path: str, additions: bool
    ) -> Iterator[Change]:
        """Changes to the keywords a `**params: Unpack[...]` takes. Keyed by the keyword
        alone: the same TypedDict serves several methods, and a spec change that
        removed the field already explains the keyword. Named keywords that went away
        are griffe's to report where it compares them, on public classes; the generated
        namespaces are reached through `orq.router`, not imported, so theirs are listed
        here. The ones added are listed here for all."""
        named_before = _named_keywords(old)
        seen_by_griffe = new.parent is not None and new.parent.is_public
        before = {**named_before, **_unpacked_keywords(old)}
        after = {**_named_keywords(new), **_unpacked_keywords(new)}
        left_to_griffe = named_before.keys() if seen_by_griffe else set()
        for name in sorted(before.keys() - after.keys() - left_to_griffe):
            yield Change(True, path, f"keyword `{name}` removed", (normalized(name),))
        for name, required in after.items():
            if name not in before:
                if required:
                    yield Change(
                        True, path, f"required keyword `{name}` added", (normalized(name),)
                    )
                elif additions:
                    yield Change(False, path, f"keyword `{name}` added", (normalized(name),))
            elif required and not before[name]:
                yield Change(True, path, f"keyword `{name}` is now required", (normalized(name),))

    def type_change(self, old: object, new: object) -> str | None:
        if old is None or new is None:
            return None  # unannotated: nothing to compare
        before, after = str(old), str(new)
        if before == after or _same_modulo_renames(before, after, self.renames):
            return None
        return f"type changed from `{before}` to `{after}`"

    def class_(self, old: griffe.Class, new: griffe.Class, path: str) -> Iterator[Change]:
        old_fields = _fields(old)
        for name, field in _fields(new).items():
            before = old_fields.get(name)
            subject = f"{path}.{name}"
            if before is None:
                if _is_required_field(new, name):
                    yield Change(True, subject, "required field added", _key(new, name))
                continue
            if _is_required_field(new, name) and not _is_required_field(old, name):
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
                        f"{path}.{name}",
                        f"value changed from {before_member.value} to {member.value}",
                        _key(new, name),
                    )
