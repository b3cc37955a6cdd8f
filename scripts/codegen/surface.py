"""Render the typed surface of the client from the spec, with the project's own templates.

From the pre-passed spec (the same document the generator reads) this renders:

    params.py       a TypedDict for every object a request may carry, with a
                    docstring under each key, so `orq={...}` is checked key by key
    router.py       the `router.<path segments after /v2/router>` namespaces of
                    Orq and AsyncOrq: `create`, `create_async` and `create_detailed`
                    per operation, every body field an explicit, documented keyword
    REFERENCE.md    every operation and parameter, for people

The engine (orq_images: validation, upload, retries, errors) is called by name
from router.py; everything that restates the spec is here and in the templates.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from openapi_python_client.strings import snake_case

Schema = dict[str, Any]

TEMPLATES = Path(__file__).parent / "templates" / "surface"
ROUTER_PREFIX = "/v2/router/"

# What every operation also takes: settings of the client's engine for one call, never
# sent as body fields. Named once here; the engine (orq_images._request) reads them.
ENGINE = Path(__file__).resolve().parents[2] / "overlays" / "orq_images" / "_engine.py"


def call_options(engine: Path = ENGINE) -> tuple[tuple[str, str, str], ...]:
    """The engine's CALL_OPTIONS: the keywords every operation takes besides its fields.

    Read from the module's source rather than imported, so that generating never
    depends on the package (and its generated part) importing cleanly.
    """
    for node in ast.parse(engine.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "CALL_OPTIONS" for t in targets):
                assert node.value is not None
                options: tuple[tuple[str, str, str], ...] = ast.literal_eval(node.value)
                return options
    raise SurfaceError(f"{engine}: no CALL_OPTIONS literal")


class SurfaceError(RuntimeError):
    """The spec has a shape the surface templates do not render."""


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", text))


def _ref_name(schema: Schema) -> str:
    ref: str = schema["$ref"]
    return ref.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Param:
    """One keyword of an operation, or one key of a TypedDict."""

    name: str
    annotation: str
    required: bool
    doc: str
    deprecated: Deprecation | None
    typed_dict: bool = False  # its type is one TypedDict: the keyword defaults to OMIT


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    namespace: tuple[str, ...]
    summary: str
    description: str
    params: tuple[Param, ...]
    response: str
    deprecated: Deprecation | None = None

    @property
    def call(self) -> str:
        return "orq.router." + ".".join(self.namespace) + ".create"


@dataclass
class Namespace:
    """One level of `orq.router.…`: its child namespaces and the operation it serves."""

    segments: tuple[str, ...]
    children: dict[str, Namespace] = field(default_factory=dict)
    operation: Operation | None = None

    @property
    def class_name(self) -> str:
        return "".join(_pascal(s) for s in self.segments) or "Router"

    def walk(self) -> Iterator[Namespace]:
        for child in self.children.values():
            yield from child.walk()
        yield self


@dataclass(frozen=True)
class Spelling:
    """How the annotations of one side spell what differs between requests and responses."""

    object: str  # a named object: "{}Param" (a TypedDict) or "{}" (a model class)
    array: str
    mapping: str
    binary: str


# What a caller passes: any sequence or mapping, an object as its TypedDict, a file as
# any of the upload inputs.
REQUEST = Spelling("{}Param", "Sequence[{}]", "Mapping[str, {}]", "ImageInput")
# What a response model holds, as from_dict builds it.
RESPONSE = Spelling("{}", "list[{}]", "dict[str, {}]", "File")


class _Types:
    """Python annotations and docs for the schemas of one spec: the one mapping from JSON
    Schema to Python types, for the keywords and TypedDicts and for the response models."""

    def __init__(
        self,
        spec: Schema,
        spelling: Spelling = REQUEST,
        class_names: dict[str, str] | None = None,
    ) -> None:
        self.schemas: dict[str, Schema] = spec["components"]["schemas"]
        self.spelling = spelling
        self.class_names = class_names or {}  # generator-config.yaml's class_overrides
        self.param_objects: dict[str, None] = {}  # object components a request reaches, in order

    def is_object(self, name: str) -> bool:
        schema = self.schemas[name]
        return schema.get("type") == "object" and "properties" in schema

    def annotation(self, schema: Schema, where: str) -> str:  # noqa: PLR0911, PLR0912
        if "$ref" in schema:
            name = _ref_name(schema)
            if name not in self.schemas:
                raise SurfaceError(f"{where}: refers to {name}, which components/schemas lacks")
            if self.is_object(name):
                if name not in self.param_objects:
                    self.param_objects[name] = None
                    self.object_params(name)
                return self.spelling.object.format(self.class_names.get(name, name))
            return self.annotation(self.schemas[name], name)  # an enum, array or scalar
        for union in ("anyOf", "oneOf"):
            if union in schema:
                parts = [self.annotation(option, where) for option in schema[union]]
                return " | ".join(dict.fromkeys(" | ".join(parts).split(" | ")))
        if "const" in schema:
            return f"Literal[{json.dumps(schema['const'])}]"
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            shown = f"Literal[{', '.join(json.dumps(v) for v in values)}]"
            return self._nullable(shown, schema)
        types = schema.get("type")
        if isinstance(types, list):
            return " | ".join(self.annotation({**schema, "type": t}, where) for t in types)
        if types == "string":
            return self.spelling.binary if schema.get("format") == "binary" else "str"
        if types in ("integer", "number", "boolean", "null"):
            return {"integer": "int", "number": "float", "boolean": "bool", "null": "None"}[types]
        if types == "array":
            items = self.annotation(schema.get("items", {}), where + "[]")
            return self.spelling.array.format(items)
        if types == "object" and "properties" not in schema:
            extra = schema.get("additionalProperties", True)
            value = self.annotation(extra, where + ".*") if isinstance(extra, dict) else "Any"
            return self.spelling.mapping.format(value)
        if not schema or (
            types is None and "type" not in schema and not set(schema) - {"description"}
        ):
            return "Any"
        raise SurfaceError(
            f"{where}: an inline object with properties has no name to type it by; "
            "make it a named component under components/schemas"
        )

    @staticmethod
    def _nullable(annotation: str, schema: Schema) -> str:
        types = schema.get("type")
        nullable = isinstance(types, list) and "null" in types
        return f"{annotation} | None" if nullable else annotation

    def params(self, schema: Schema, where: str) -> list[Param]:
        required = schema.get("required", [])
        found = []
        for name, prop in schema.get("properties", {}).items():
            found.append(
                Param(
                    name=name,
                    annotation=self.annotation(prop, f"{where}.{name}"),
                    required=name in required,
                    doc=self.doc(prop),
                    deprecated=self.deprecation(prop),
                    typed_dict="$ref" in prop and self.is_object(_ref_name(prop)),
                )
            )
        # Required first, each group in the spec's order.
        return [p for p in found if p.required] + [p for p in found if not p.required]

    def object_params(self, name: str) -> list[Param]:
        return self.params(self.schemas[name], name)

    def target(self, schema: Schema) -> Schema:
        return self.schemas[_ref_name(schema)] if "$ref" in schema else schema

    def deprecation(self, prop: Schema) -> Deprecation | None:
        target = self.target(prop)
        if not (prop.get("deprecated") or target.get("deprecated")):
            return None
        return Deprecation(prop.get("x-use-instead") or target.get("x-use-instead"))

    def values(self, schema: Schema) -> str:
        """An enum's values, in words: `help()` shows them beside the type."""
        schema = self.target(schema)
        for options in ("anyOf", "oneOf"):
            for option in schema.get(options, ()):
                if self.values(option):
                    return self.values(option)
        values = [value for value in schema.get("enum", ()) if value is not None]
        if len(values) < 2:  # a single value is a const: the type says it
            return ""
        return "One of " + ", ".join(f"`{value}`" for value in values) + "."

    def doc(self, prop: Schema) -> str:
        target = self.target(prop)
        text = prop.get("description") or target.get("description") or ""
        extras = [
            self.values(prop),
            _limits(prop) or _limits(target),
            _default(prop) or _default(target),
        ]
        text = " ".join([text, *(extra for extra in extras if extra)]).strip()
        deprecation = self.deprecation(prop)
        if deprecation and not text.startswith("Deprecated"):
            text = f"{deprecation.notice} {text}"
        return text


@dataclass(frozen=True)
class Deprecation:
    """A field or operation the spec marks `deprecated: true`, and its `x-use-instead`."""

    use_instead: str | None

    @property
    def notice(self) -> str:
        if self.use_instead:
            return f"Deprecated: use `{self.use_instead}` instead."
        return "Deprecated."


def _default(schema: Schema) -> str:
    """What the server does when the field is left out: the client never sends a default."""
    if "default" not in schema:
        return ""
    default = schema["default"]
    return f"The server's default is {default if isinstance(default, str) else repr(default)}."


def _limits(schema: Schema) -> str:  # noqa: PLR0912 - one branch per rule
    """The range rules of a schema, in words."""
    for options in ("anyOf", "oneOf"):
        for option in schema.get(options, ()):
            if "$ref" not in option and _limits(option):
                return _limits(option)
    words = []
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        words.append(f"Range: {low} to {high}.")
    elif low is not None:
        words.append(f"Minimum: {low}.")
    elif high is not None:
        words.append(f"Maximum: {high}.")
    few, many = schema.get("minItems"), schema.get("maxItems")
    if few is not None and many is not None:
        words.append(f"{few} to {many} items.")
    elif few is not None:
        words.append(f"At least {few} item{'s' if few != 1 else ''}.")
    elif many is not None:
        words.append(f"At most {many} items.")
    if schema.get("uniqueItems"):
        words.append("No repeated items.")
    if "maxLength" in schema:
        words.append(f"At most {schema['maxLength']} characters.")
    items = schema.get("items")
    if isinstance(items, dict) and "$ref" not in items:
        inner = _limits(items)
        if inner:
            words.append(f"Each item: {inner[0].lower()}{inner[1:]}")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and _limits(extra):
        words.append(f"Each value: {_limits(extra)}")
    return " ".join(words)


def _ref_of(schema: object, where: str) -> str:
    if not isinstance(schema, dict) or "$ref" not in schema:
        raise SurfaceError(f"{where}: must be a $ref to a schema under components/schemas")
    return _ref_name(schema)


def _operations(spec: Schema, types: _Types) -> list[Operation]:
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            where = f"{method.upper()} {path}"
            if method != "post" or "requestBody" not in op:
                raise SurfaceError(f"{where}: only POST operations with a request body are served")
            if "operationId" not in op:
                raise SurfaceError(f"{where}: has no operationId")
            content = op["requestBody"].get("content", {})
            if len(content) != 1:
                raise SurfaceError(f"{where}: the request body needs exactly one content type")
            ((_content_type, body),) = content.items()
            request = types.schemas.get(_ref_of(body.get("schema"), f"{where} request body"))
            if request is None:
                raise SurfaceError(f"{where}: its request body schema is not in components/schemas")
            ok = op.get("responses", {}).get("200")
            if ok is None:
                raise SurfaceError(f"{where}: has no 200 response")
            success = ok.get("content", {}).get("application/json")
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    namespace=tuple(path.removeprefix(ROUTER_PREFIX).strip("/").split("/")),
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    params=tuple(types.params(request, op["operationId"])),
                    response=_ref_of(success.get("schema"), f"{where} 200") if success else "None",
                    deprecated=(
                        Deprecation(op.get("x-use-instead")) if op.get("deprecated") else None
                    ),
                )
            )
    return _name_replacements(found)


def _name_replacements(operations: list[Operation]) -> list[Operation]:
    """An operation's `x-use-instead` that names another operation (by operationId or
    path) is shown as the call users make: `orq.router.images.edits.create`."""
    calls = {op.operation_id: op.call for op in operations}
    calls.update((op.path, op.call) for op in operations)
    return [
        replace(op, deprecated=Deprecation(calls.get(use, use)))
        if op.deprecated and (use := op.deprecated.use_instead)
        else op
        for op in operations
    ]


def _tree(operations: list[Operation]) -> Namespace:
    root = Namespace(())
    for operation in operations:
        node = root
        for depth, segment in enumerate(operation.namespace):
            if not segment.isidentifier():
                raise SurfaceError(f"{operation.path}: {segment!r} cannot be an attribute name")
            node = node.children.setdefault(segment, Namespace(operation.namespace[: depth + 1]))
        if node.children:
            raise SurfaceError(f"{operation.path}: a namespace cannot also be an operation")
        node.operation = operation
    return root


def _environment() -> Environment:
    env = Environment(  # noqa: S701 - renders Python and Markdown, not HTML
        loader=FileSystemLoader(TEMPLATES),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters["docstring"] = _docstring_text
    env.filters["python_string"] = repr
    env.filters["snake"] = snake_case  # the generator's module names for model classes
    env.filters["markdown_cell"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    return env


def _docstring_text(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def model_annotations(
    spec: Schema, names: list[str], class_names: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The annotation of each field of the response models `names`, by schema and field:
    the model template writes these, so requests and responses are typed by one mapping."""
    types = _Types(spec, RESPONSE, class_names)
    return {
        name: {
            field: types.annotation(prop, f"{name}.{field}")
            for field, prop in types.schemas[name].get("properties", {}).items()
        }
        for name in names
        if types.is_object(name)
    }


def render(spec: Schema) -> dict[str, str]:
    """The rendered files by name: `params.py` and `router.py` for the package, and
    `REFERENCE.md` for the folder above it."""
    types = _Types(spec)
    operations = _operations(spec, types)
    root = _tree(operations)
    objects = {name: types.object_params(name) for name in types.param_objects}
    context = {
        "operations": operations,
        "namespaces": [ns for ns in root.walk() if ns.segments],
        "root": root,
        "objects": objects,
        "schemas": types.schemas,
        "engine_options": call_options(),
        "title": spec["info"]["title"],
    }
    env = _environment()
    return {
        name: env.get_template(f"{name}.jinja").render(context)
        for name in ("params.py", "router.py", "REFERENCE.md")
    }
