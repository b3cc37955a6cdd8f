"""The typed surface and the spec cannot drift apart.

Every operation, request field and response field of openapi.yaml is on both
clients, typed, documented and nothing more; and a field or an operation added to
a copy of the spec reaches users by regenerating alone: type checkers accept the
right call and refuse a misspelled keyword, and the local router answers it.
"""

from __future__ import annotations

import base64
import collections.abc
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

from codegen import generate, layout
from codegen.surface import ROUTER_PREFIX, call_options
from orq_images import AsyncOrq, Orq, RawResponse, RetryConfig, models
from orq_images import types as param_types
from orq_images._spec import load_spec
from tests.conftest import PNG_1X1
from tests.support.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]
PYRIGHT = ROOT / "node_modules" / "pyright" / "index.js"
SPEC = load_spec()
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
OPTIONS = [name for name, _, _ in call_options()]


def _operations() -> list[tuple[str, tuple[str, ...], dict[str, Any], str]]:
    found = []
    for path, methods in SPEC["paths"].items():
        for op in methods.values():
            ((_, body),) = op["requestBody"]["content"].items()
            request = SCHEMAS[body["schema"]["$ref"].rsplit("/", 1)[-1]]
            response = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            segments = tuple(path.removeprefix(ROUTER_PREFIX).split("/"))
            found.append((op["operationId"], segments, request, response.rsplit("/", 1)[-1]))
    return found


OPERATIONS = _operations()


def _namespace(client: Orq | AsyncOrq, segments: tuple[str, ...]) -> Any:
    node: Any = client.router
    for segment in segments:
        node = getattr(node, segment)
    return node


def _hints(obj: Any) -> dict[str, Any]:
    """The resolved annotations of a generated method or model."""
    names = {
        **vars(typing),
        **vars(collections.abc),
        **vars(models),
        **vars(param_types),
        "RetryConfig": RetryConfig,
        "RawResponse": RawResponse,
    }
    return typing.get_type_hints(obj, localns=names)


def _public(node: object) -> set[str]:
    return {name for name in dir(node) if not name.startswith("_")}


@pytest.fixture(scope="module")
def clients() -> tuple[Orq, AsyncOrq]:
    return Orq(api_key="k", server_url="http://127.0.0.1:9"), AsyncOrq(
        api_key="k", server_url="http://127.0.0.1:9"
    )


def test_the_router_offers_exactly_the_spec_operations(clients: tuple[Orq, AsyncOrq]) -> None:
    for client in clients:
        tree: dict[tuple[str, ...], set[str]] = {}
        for _, segments, _, _ in OPERATIONS:
            for depth in range(len(segments)):
                tree.setdefault(segments[:depth], set()).add(segments[depth])
        for prefix, children in tree.items():
            assert _public(_namespace(client, prefix)) == children, prefix
        methods = {"create", "create_detailed"}
        if isinstance(client, Orq):
            methods.add("create_async")
        for _, segments, _, _ in OPERATIONS:
            assert _public(_namespace(client, segments)) == methods


@pytest.mark.parametrize(("operation_id", "segments", "request_schema", "response"), OPERATIONS)
def test_each_method_takes_exactly_the_spec_fields(
    clients: tuple[Orq, AsyncOrq],
    operation_id: str,
    segments: tuple[str, ...],
    request_schema: dict[str, Any],
    response: str,
) -> None:
    properties = list(request_schema["properties"])
    required = [name for name in properties if name in request_schema.get("required", [])]
    optional = [name for name in properties if name not in required]
    for client in clients:
        namespace = _namespace(client, segments)
        for method_name in _public(namespace):
            method = getattr(namespace, method_name)
            parameters = inspect.signature(method).parameters
            # Required first, then optional, each in the spec's order, then the per-call options.
            assert list(parameters) == required + optional + OPTIONS, method
            for name, parameter in parameters.items():
                assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
                assert (parameter.default is inspect.Parameter.empty) == (name in required)
                assert f"{name}:" in (method.__doc__ or ""), f"{name} is not documented"
            hints = _hints(method)
            returned = str(hints["return"])
            assert response in returned, (method, returned)


def _enum_values(schema: dict[str, Any]) -> set[Any]:
    return {value for value in schema.get("enum", ()) if value is not None}


@pytest.mark.parametrize(("operation_id", "segments", "request_schema", "response"), OPERATIONS)
def test_enums_are_literals_of_exactly_the_spec_values(
    operation_id: str, segments: tuple[str, ...], request_schema: dict[str, Any], response: str
) -> None:
    method = _namespace(Orq(api_key="k"), segments).create
    hints = _hints(method)
    for name, prop in request_schema["properties"].items():
        target = SCHEMAS[prop["$ref"].rsplit("/", 1)[-1]] if "$ref" in prop else prop
        values = _enum_values(target)
        if not values:
            continue
        literals = {
            arg for member in typing.get_args(hints[name]) for arg in typing.get_args(member)
        } | set(typing.get_args(hints[name]))
        assert values <= literals, name
        assert {v for v in literals if isinstance(v, str)} == values, name


@pytest.mark.parametrize(("operation_id", "segments", "request_schema", "response"), OPERATIONS)
def test_enum_values_are_in_help_and_the_reference(
    operation_id: str, segments: tuple[str, ...], request_schema: dict[str, Any], response: str
) -> None:
    """help() shows each enum's values in its keyword's description, and so does
    REFERENCE.md, both generated from the spec."""
    doc = inspect.getdoc(_namespace(Orq(api_key="k"), segments).create) or ""
    reference = (layout.GENERATED / "REFERENCE.md").read_text(encoding="utf-8")
    section = reference[reference.index(f"(`{operation_id}`)") :].split("\n## ", 1)[0]
    checked = 0
    for name, prop in request_schema["properties"].items():
        target = SCHEMAS[prop["$ref"].rsplit("/", 1)[-1]] if "$ref" in prop else prop
        for option in [target, *target.get("anyOf", ())]:
            member = SCHEMAS[option["$ref"].rsplit("/", 1)[-1]] if "$ref" in option else option
            values = sorted(_enum_values(member))
            if len(values) < 2:
                continue
            checked += 1
            words = "One of " + ", ".join(f"`{v}`" for v in _enum_values_in_order(member))
            args = doc[doc.index(f"\n    {name}: ") + 1 :]
            entry = " ".join(re.split(r"\n    (?=\w+: )", args, maxsplit=1)[0].split())
            assert words in entry, (name, entry)
            row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
            assert words in row, row
    assert checked


def _enum_values_in_order(schema: dict[str, Any]) -> list[Any]:
    return [value for value in schema.get("enum", ()) if value is not None]


def _object_schemas() -> dict[str, dict[str, Any]]:
    return {
        name: schema
        for name, schema in SCHEMAS.items()
        if schema.get("type") == "object" and "properties" in schema
    }


def test_every_object_of_a_request_has_a_typed_dict_with_exactly_its_keys() -> None:
    offered = {name for name in param_types.__all__ if name.endswith("Param")}
    in_requests = set()
    for _, _, request_schema, _ in OPERATIONS:
        in_requests |= _reachable(_refs(request_schema))
    reached = {f"{name}Param" for name in in_requests if name in _object_schemas()}
    assert offered == reached
    for name in offered:
        typed_dict = getattr(param_types, name)
        schema = SCHEMAS[name.removesuffix("Param")]
        assert set(typed_dict.__annotations__) == set(schema["properties"]), name
        assert typed_dict.__required_keys__ == frozenset(schema.get("required", ())), name


def _refs(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def _reachable(names: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = set(names)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo |= _refs(SCHEMAS[name])
    return seen


def test_every_response_model_has_exactly_the_spec_fields_none_when_optional() -> None:
    for name in _reachable({response for _, _, _, response in OPERATIONS}):
        schema = SCHEMAS[name]
        if "properties" not in schema:
            continue
        model = getattr(models, name)
        fields = {f.name: f for f in attrs.fields(model) if f.name != "additional_properties"}
        python_names = {prop.removesuffix("_") for prop in fields}
        assert python_names == {prop.rstrip("_") for prop in schema["properties"]}, name
        hints = _hints(model)
        for field_name, field in fields.items():
            optional = field_name.rstrip("_") not in schema.get("required", [])
            if optional:
                assert field.default is None, (name, field_name)
                assert type(None) in typing.get_args(hints[field_name]), (name, field_name)
            assert "Unset" not in str(hints[field_name])


def test_a_deprecated_field_warns_at_the_callers_line_naming_its_replacement(
    server: LoopbackServer,
) -> None:
    with Orq(server_url=server.url) as orq, pytest.warns(DeprecationWarning) as caught:
        orq.router.images.generations.create(prompt="p", model="m", orq={"contact": {"id": "c"}})
    (warning,) = caught
    assert str(warning.message) == (
        "orq.contact is deprecated; use orq.identity instead. It was still sent."
    )
    assert Path(warning.filename).name == Path(__file__).name
    params = (layout.GENERATED / layout.GENERATED_PACKAGE / "params.py").read_text()
    assert "Deprecated: use `identity` instead." in params


def _reached_from(roots: list[object]) -> set[object]:
    """Every class a user meets from `roots`: namespaces by attribute, and the types their
    methods take and return, down through TypedDict keys and model fields."""
    seen: set[object] = set()
    todo = list(roots)
    while todo:
        node = todo.pop()
        if isinstance(node, type):
            if node in seen:
                continue
            seen.add(node)
            if typing.is_typeddict(node) or attrs.has(node):
                todo.extend(_hints(node).values())
            continue
        args = typing.get_args(node)
        if args:
            todo.extend(args)
            continue
        if callable(node):
            todo.extend(_hints(node).values())
            continue
        if not hasattr(node, "__dict__"):
            continue  # a Literal's value
        todo.append(type(node))
        todo.extend(
            value
            for name, value in vars(node).items()
            if not name.startswith("_") and hasattr(value, "__dict__")
        )
        todo.extend(getattr(node, name) for name in _public(node) if callable(getattr(node, name)))
    return seen


def test_everything_generated_is_reached_from_the_clients(clients: tuple[Orq, AsyncOrq]) -> None:
    """Nothing is generated that no call uses: every public class or function of the
    generated package is a type a call of Orq or AsyncOrq takes or returns, or a router
    namespace of theirs."""
    reached = _reached_from([client.router for client in clients])
    package = ROOT / "generated" / layout.GENERATED_PACKAGE
    unreached = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        module = importlib.import_module(
            ".".join(("orq_images._generated", *parts)).removesuffix(".__init__")
        )
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            if defined_here and not name.startswith("_") and value not in reached:
                unreached.append(f"{module.__name__}.{name}")
    assert unreached == []
    assert models.ImageResponse in reached
    assert param_types.RetryParam in reached


# A maintainer's change: an optional field on generations, and a whole new operation.
NEW_OPERATION = "/v2/router/images/upscales"
SNIPPET = """
from orq_images import AsyncOrq, Orq


def sync_call(orq: Orq) -> None:
    orq.router.images.generations.create(prompt="p", model="m", seed=7)
    res = orq.router.images.upscales.create(model="m", image=b"x", factor=2)
    print(res.data[0].url)


async def async_call(orq: AsyncOrq) -> None:
    await orq.router.images.upscales.create(model="m", image=b"x", factor=2)
"""
MISSPELLED = """
from orq_images import Orq


def call(orq: Orq) -> None:
    orq.router.images.upscales.create(model="m", image=b"x", factr=2)
"""


SPEC_SERVER = "https://images.example.test"
SPEC_MAX_BYTES = 4096


def _maintainers_spec() -> dict[str, Any]:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    schemas["CreateImageRequest"]["properties"]["seed"] = {
        "type": "integer",
        "minimum": 0,
        "description": "A seed for repeatable images.",
    }
    # Facts the spec states, changed: the client and LocalRouter must follow them.
    spec["servers"][0]["url"] = SPEC_SERVER
    schemas["CreateImageVariationRequest"]["properties"]["image"]["x-max-bytes"] = SPEC_MAX_BYTES
    variations = spec["paths"]["/v2/router/images/variations"]["post"]
    upscale = json.loads(json.dumps(variations))
    upscale["operationId"] = "createImageUpscale"
    upscale["x-cli"] = {"command": "upscale", "help": "upscale an image", "doing": "upscaling"}
    upscale["summary"] = "Upscale an image"
    schema = upscale["requestBody"]["content"]["multipart/form-data"]
    schema["schema"]["$ref"] = "#/components/schemas/CreateImageUpscaleRequest"
    schemas["CreateImageUpscaleRequest"] = {
        "type": "object",
        "description": "The image to upscale and by how much.",
        "required": ["model", "image"],
        "properties": {
            "model": {"type": "string", "description": "The upscaling model."},
            "image": {"type": "string", "format": "binary", "description": "The image."},
            "factor": {
                "type": "integer",
                "minimum": 2,
                "maximum": 4,
                "description": "How many times larger.",
            },
        },
    }
    spec["paths"][NEW_OPERATION] = {"post": upscale}
    return spec


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generated/ as `scripts/generate` makes it from the maintainer's spec."""
    folder = tmp_path_factory.mktemp("maintainer")
    spec_path = folder / "openapi.yaml"
    spec_path.write_text(yaml.safe_dump(_maintainers_spec(), sort_keys=False), encoding="utf-8")
    shutil.copytree(ROOT / "generated", folder / "generated")
    code = generate.main(
        ["--spec", str(spec_path), "--generated", str(folder / "generated"),
         "--report", str(folder / "report.md")]
    )  # fmt: skip
    assert code == 0  # a field and an operation added: nothing breaks
    report = (folder / "report.md").read_text()
    assert "createImageUpscale" in report
    assert "CreateImageRequest.seed" in report
    generated = folder / "generated" / layout.GENERATED_PACKAGE
    return layout.assemble(folder / "package", generated)


def _checked(folder: Path, source: str, regenerated: Path) -> tuple[int, str, int, str]:
    """mypy --strict and pyright --strict on `source`, against the regenerated package."""
    folder.mkdir(exist_ok=True)
    (folder / "user_code.py").write_text(textwrap.dedent(source), encoding="utf-8")
    paths = [str(regenerated)]
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file=",
         "--python-version=3.11", "user_code.py"],
        cwd=folder, env={**os.environ, "MYPYPATH": os.pathsep.join(paths)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.11", "extraPaths": paths}
    (folder / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    pyright = subprocess.run(
        [shutil.which("node", path=path) or "node", str(PYRIGHT), "--pythonpath",
         sys.executable, "--project", str(folder)],
        cwd=folder, env={**os.environ, "PATH": path},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return mypy.returncode, mypy.stdout, pyright.returncode, pyright.stdout


def test_type_checkers_accept_the_new_keyword_and_operation(
    regenerated: Path, tmp_path: Path
) -> None:
    mypy_code, mypy_out, pyright_code, pyright_out = _checked(tmp_path, SNIPPET, regenerated)
    assert mypy_code == 0, mypy_out
    assert pyright_code == 0, pyright_out


def test_type_checkers_refuse_a_misspelled_keyword_of_the_new_operation(
    regenerated: Path, tmp_path: Path
) -> None:
    mypy_code, mypy_out, pyright_code, pyright_out = _checked(tmp_path, MISSPELLED, regenerated)
    assert mypy_code == 1
    assert '"factr"' in mypy_out, mypy_out
    assert pyright_code == 1
    assert '"factr"' in pyright_out, pyright_out


RUN_AGAINST_LOCAL_ROUTER = """
import base64, inspect, json, sys
from orq_images import AsyncOrq, Orq
from orq_images.testing import LocalRouter

PNG = base64.b64decode(sys.argv[1])
with LocalRouter() as router, Orq(api_key="k", server_url=router.url) as orq:
    res = orq.router.images.upscales.create(model="m", image=PNG, factor=2)
    gen = orq.router.images.generations.create(prompt="p", model="m", seed=7)
    bad = None
    try:
        orq.router.images.upscales.create(model="m", image=PNG, factor=9)
    except Exception as exc:
        bad = f"{type(exc).__name__}: {exc}"
    logged = [r.body for r in router.requests if r.method == "POST"]
    too_large = PNG + bytes(4097 - len(PNG))
    try:
        orq.router.images.variations.create(model="m", image=too_large)
    except Exception as exc:
        client_limit = str(exc)
    import httpx2
    router_limit = httpx2.post(
        router.url + "/v2/router/images/variations", headers={"Authorization": "Bearer k"},
        data={"model": "m"}, files={"image": ("big.png", too_large, "image/png")},
    ).text
async_upscale = AsyncOrq(api_key="k").router.images.upscales.create
print(json.dumps({
    "upscaled": len(res.data),
    "generated": len(gen.data),
    "refused": bad,
    "sent": logged,
    "doc": "factor: How many times larger." in inspect.getdoc(orq.router.images.upscales.create),
    "async": "factor" in inspect.signature(async_upscale).parameters,
    "client_limit": client_limit,
    "router_limit": router_limit,
    "default_server": repr(Orq(api_key="k")),
}))
"""


NESTED_TYPOS = """
from orq_images import Orq


def call(orq: Orq) -> None:
    orq.router.images.generations.create(prompt="p", model="m", orq={"identiy": {"id": "u"}})
    orq.router.images.generations.create(prompt="p", model="m", retry={"cont": 2})
    orq.router.images.generations.create(
        prompt="p", model="m", orq={"identity": {"id": "u", "emial": "e@example.com"}}
    )
"""


def test_type_checkers_name_a_misspelled_key_inside_a_nested_object(
    regenerated: Path, tmp_path: Path
) -> None:
    mypy_code, mypy_out, pyright_code, pyright_out = _checked(tmp_path, NESTED_TYPOS, regenerated)
    assert mypy_code == 1
    assert pyright_code == 1
    for key, typed_dict in (
        ("identiy", "GenerationOrqParam"),
        ("cont", "RetryParam"),
        ("emial", "IdentityParam"),
    ):
        for checker, out in (("mypy", mypy_out), ("pyright", pyright_out)):
            line = next((line for line in out.splitlines() if f'"{key}"' in line), "")
            assert typed_dict in line, (checker, key, out)


def test_the_new_operation_works_on_both_clients_and_the_local_router_answers_it(
    regenerated: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(regenerated)}
    result = subprocess.run(
        [sys.executable, "-c", RUN_AGAINST_LOCAL_ROUTER, base64.b64encode(PNG_1X1).decode()],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["upscaled"] == 1
    assert outcome["generated"] == 1
    assert outcome["refused"] == "InvalidRequestError: factor: 9 is above the maximum 4"
    assert outcome["sent"][0] == {"model": "m", "factor": 2}
    assert outcome["sent"][1]["seed"] == 7
    assert outcome["doc"]
    assert outcome["async"]
    assert outcome["client_limit"].endswith(f"the limit is {SPEC_MAX_BYTES:,} bytes")
    assert f"over the limit of {SPEC_MAX_BYTES:,}" in outcome["router_limit"]
    assert outcome["default_server"] == f"Orq(server_url={SPEC_SERVER!r})"


def test_pyright_knows_the_type_of_everything_public() -> None:
    """`pyright --verifytypes orq_images`: every public symbol has a known type."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    packages = str(ROOT / "overlays")
    result = subprocess.run(
        [shutil.which("node", path=path) or "node", str(PYRIGHT), "--pythonpath",
         sys.executable, "--verifytypes", "orq_images", "--ignoreexternal"],
        cwd=ROOT, env={**os.environ, "PATH": path, "PYTHONPATH": packages},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert "Type completeness score: 100%" in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("segments", [op[1] for op in OPERATIONS])
def test_every_async_method_is_a_coroutine_function(segments: tuple[str, ...]) -> None:
    """Frameworks ask `inspect.iscoroutinefunction` whether to await a method."""
    async_orq, orq = AsyncOrq(api_key="k"), Orq(api_key="k")
    async_namespace, namespace = _namespace(async_orq, segments), _namespace(orq, segments)
    assert inspect.iscoroutinefunction(async_namespace.create)
    assert inspect.iscoroutinefunction(async_namespace.create_detailed)
    assert inspect.iscoroutinefunction(namespace.create_async)
    assert not inspect.iscoroutinefunction(namespace.create)
    assert not inspect.iscoroutinefunction(namespace.create_detailed)


def test_the_clients_public_names_are_their_api_alone() -> None:
    """The download plumbing images call back into is private, on clients and images."""
    for client in (Orq(api_key="k"), AsyncOrq(api_key="k")):
        public = {name for name in dir(client) if not name.startswith("_")}
        assert public == {"router", "close", "aclose"}, client
    assert "bind" not in dir(models.Image)


@pytest.mark.parametrize("client", [Orq, AsyncOrq])
def test_help_lists_every_constructor_option_and_environment_variable(client: type) -> None:
    """Declared once, on the shared __init__, and shown by help() on both clients."""
    import pydoc

    page = pydoc.render_doc(client, renderer=pydoc.plaintext)
    options = [name for name in inspect.signature(client).parameters if name != "self"]
    assert {"api_key", "server_url", "retry_config", "http_client"} <= set(options)
    for option in options:
        assert f"{option}: " in page, option
    for variable in ("ORQ_API_KEY", "ORQ_BASE_URL", "ORQ_STRICT_RESPONSE_VALIDATION"):
        assert variable in page, variable
    assert inspect.signature(Orq) == inspect.signature(AsyncOrq)
