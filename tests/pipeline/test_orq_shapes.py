"""The pipeline takes orq's shapes: unions, and inline enums of the same name.

orq's August document has the PII plugin as a union of three objects told apart by
`language`: the pipeline must type it as a union of the members' TypedDicts, check
it client-side choosing the member as the discriminator says, and refuse, before
generating anything, a union that nothing tells apart. Its operations also repeat
field names (`quality` on generations and edits, with different values): each keeps
its own values, as a Literal in its annotation, never a clash of names.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import prepass, surface, unions
from orq_images import InvalidRequestError
from orq_images._schema import _Compiler

ROOT = Path(__file__).resolve().parents[2]
AUGUST = ROOT / "tests" / "upstream" / "orq-openapi-2026-08-images.yaml"
PLUGINS = ("PIIRedactionPluginAuto", "PIIRedactionPluginEn", "PIIRedactionPluginNl")
Spec = dict[str, Any]


def scratch_spec(items: Spec, schemas: Spec) -> Spec:
    """One JSON operation whose body has `plugins`, an array of `items`."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "scratch", "version": "1"},
        "paths": {
            "/run": {
                "post": {
                    "operationId": "run",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Run"}}
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Run": {
                    "type": "object",
                    "properties": {"plugins": {"type": "array", "items": items}},
                },
                **schemas,
            }
        },
    }


@pytest.fixture(scope="module")
def orq_plugins() -> Spec:
    """orq's August PII plugin union, in orq's order: the catch-all member first."""
    schemas = yaml.safe_load(AUGUST.read_text(encoding="utf-8"))["components"]["schemas"]
    members = [{"$ref": f"#/components/schemas/{name}"} for name in PLUGINS]
    return scratch_spec({"anyOf": members}, {name: schemas[name] for name in PLUGINS})


def two_objects(**second: Any) -> Spec:
    kind = {"type": "string"}
    members = {
        "First": {"type": "object", "required": ["kind"], "properties": {"kind": kind}},
        "Second": {"type": "object", "required": ["kind"], "properties": {"kind": kind, **second}},
    }
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in members]
    return scratch_spec({"oneOf": refs}, members)


# --- the pre-pass ------------------------------------------------------------------------------


def test_an_implied_discriminator_is_named_and_the_catch_all_goes_last(orq_plugins: Spec) -> None:
    prepared = prepass.prepare(orq_plugins)
    items = prepared["components"]["schemas"]["Run"]["properties"]["plugins"]["items"]
    assert items["discriminator"] == {"propertyName": "language"}
    assert [m["$ref"].rsplit("/", 1)[1] for m in items["anyOf"]] == [
        "PIIRedactionPluginEn",
        "PIIRedactionPluginNl",
        "PIIRedactionPluginAuto",
    ]
    assert orq_plugins["components"]["schemas"]["Run"]["properties"]["plugins"]["items"]["anyOf"][
        0
    ] == {"$ref": "#/components/schemas/PIIRedactionPluginAuto"}, "the input is not changed"


def test_a_declared_discriminator_with_consts_is_taken() -> None:
    spec = two_objects()
    schemas = spec["components"]["schemas"]
    schemas["First"]["properties"]["kind"] = {"const": "first"}
    schemas["Second"]["properties"]["kind"] = {"const": "second"}
    items = schemas["Run"]["properties"]["plugins"]["items"]
    items["discriminator"] = {"propertyName": "kind"}
    assert unions.discriminator_of(spec, "Run.plugins[]", items) == "kind"


def test_members_of_different_types_need_no_discriminator() -> None:
    union = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    assert unions.discriminator_of({}, "X.y", union) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            two_objects(),
            "Run.plugins[]: the members of this union (First, Second) cannot be told apart; "
            "give each object member a required property with its own `const` value",
        ),
        (
            two_objects(extra={"type": "integer"}),
            "Run.plugins[]: the members of this union (First, Second) cannot be told apart",
        ),
        (
            scratch_spec({"anyOf": [{"type": "integer"}, {"type": "number"}]}, {}),
            "Run.plugins[]: two members of this union both accept number values",
        ),
    ],
    ids=["same fields", "one has an extra field", "integer and number"],
)
def test_a_union_nothing_tells_apart_is_refused(spec: Spec, message: str) -> None:
    with pytest.raises(prepass.PrepassError) as caught:
        prepass.prepare(spec)
    assert str(caught.value).startswith(message)


def test_a_declared_discriminator_that_does_not_work_is_refused() -> None:
    spec = two_objects()
    spec["components"]["schemas"]["Run"]["properties"]["plugins"]["items"]["discriminator"] = {
        "propertyName": "kind"
    }
    with pytest.raises(prepass.PrepassError, match="'kind' has no `const` or `enum` in First"):
        prepass.prepare(spec)


def run_generate(tmp_path: Path, spec: Spec) -> subprocess.CompletedProcess[str]:
    spec_path = tmp_path / "openapi.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    # The command scripts/generate runs, without its environment check.
    return subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--spec", str(spec_path),
         "--generated", str(tmp_path / "generated"), "--report", str(tmp_path / "report.md")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def test_scripts_generate_refuses_it_in_one_line(tmp_path: Path) -> None:
    result = run_generate(tmp_path, two_objects())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "scripts/generate: openapi.yaml: Run.plugins[]: the members of this union "
        "(First, Second) cannot be told apart; give each object member a required property "
        "with its own `const` value (a discriminator, e.g. `kind: {const: ...}`), "
        "or merge the members into one object"
    ]
    assert not (tmp_path / "generated").exists()


# --- the typed surface and the models --------------------------------------------------------


def test_the_union_is_typed_by_its_members_typed_dicts(orq_plugins: Spec) -> None:
    rendered = surface.render(prepass.prepare(orq_plugins))
    members = " | ".join(f"{name}Param" for name in PLUGINS[1:] + PLUGINS[:1])
    assert f"plugins: Sequence[{members}] | None = None," in rendered["router.py"]
    for name in PLUGINS:
        assert f"class {name}Param(TypedDict, total=False):" in rendered["params.py"]


def test_a_response_union_of_objects_is_refused_in_one_line(
    orq_plugins: Spec, tmp_path: Path
) -> None:
    orq_plugins["paths"]["/run"]["post"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/Run"}}
    }
    result = run_generate(tmp_path, orq_plugins)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "scripts/generate: openapi.yaml: Run.plugins[]: a response field that is one of "
        "several objects is not supported; merge the members into one object with optional "
        "fields"
    ]


# --- the client-side check ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def check_run(orq_plugins: Spec) -> Any:
    runtime = unions.explicit_discriminators(orq_plugins)
    return _Compiler(runtime, drop_none=True).named_check("Run")


def test_the_check_chooses_the_member_by_its_discriminator(check_run: Any) -> None:
    plugins = [
        {"id": "pii_redaction", "language": "nl", "entities": ["BSN"]},
        {"id": "pii_redaction", "language": "en", "entities": ["JWT"]},
        {"id": "pii_redaction"},
    ]
    assert check_run({"plugins": copy.deepcopy(plugins)}, "") == {"plugins": plugins}


@pytest.mark.parametrize(
    ("plugin", "field", "problem"),
    [
        ({"id": "pii_redaction", "language": "fr"}, "plugins[0].language", "'fr' is not one of"),
        # JWT is in the English list only: the Dutch member is checked, not the first that fits.
        (
            {"id": "pii_redaction", "language": "nl", "entities": ["JWT"]},
            "plugins[0].entities[0]",
            "'JWT' is not one of",
        ),
        ({"id": "pii_redaction", "regions": ["nl"]}, "plugins[0].regions", "is not a field"),
    ],
)
def test_the_check_names_the_field(check_run: Any, plugin: Spec, field: str, problem: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check_run({"plugins": [plugin]}, "")
    assert caught.value.field == field
    assert problem in str(caught.value)


# --- inline enums of the same name -------------------------------------------------------------


def with_qualities(generation: list[Any], edit: list[Any]) -> Spec:
    """Two response schemas with a `quality` field each, both reached by the response."""

    def response(values: list[Any]) -> Spec:
        quality = {"type": ["string", "null"], "enum": values, "description": "Quality."}
        return {"type": "object", "properties": {"quality": quality}}

    spec = scratch_spec({"type": "string"}, {})
    spec["components"]["schemas"].update(
        CreateImageRequest=response(generation),
        CreateImageEditRequest=response(edit),
        Answer={
            "type": "object",
            "properties": {
                "generation": {"$ref": "#/components/schemas/CreateImageRequest"},
                "edit": {"$ref": "#/components/schemas/CreateImageEditRequest"},
            },
        },
    )
    spec["paths"]["/run"]["post"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}
    }
    return spec


def test_same_named_enums_with_different_values_each_keep_theirs(tmp_path: Path) -> None:
    result = run_generate(
        tmp_path, with_qualities(["auto", "hd", None], ["auto", "standard", None])
    )
    assert result.returncode == 0, result.stderr
    models = tmp_path / "generated" / "orq_images" / "_generated" / "models"
    generation = (models / "create_image_request.py").read_text()
    edit = (models / "create_image_edit_request.py").read_text()
    assert 'quality: Literal["auto", "hd"] | None = None' in generation
    assert 'quality: Literal["auto", "standard"] | None = None' in edit
