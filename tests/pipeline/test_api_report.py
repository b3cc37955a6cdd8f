"""The API change report, through the real pipeline: each scenario edits a copy of
openapi.yaml (or generator-config.yaml), runs scripts/generate's main on copies of
the spec and the generated package, and checks the report's lines and exit status."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import api_report, generate, report_since
from codegen.spec_diff import diff_specs

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]


@dataclass
class Outcome:
    exit_code: int
    report: str
    printed: str

    @property
    def lines(self) -> list[str]:
        return self.report.splitlines()


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package generated from a copy of the real spec, so that uncommitted edits
    of generated/ elsewhere in the tree cannot leak into the scenarios."""
    folder = tmp_path_factory.mktemp("baseline")
    spec = folder / "openapi.yaml"
    shutil.copy(ROOT / "openapi.yaml", spec)
    argv = ["--spec", str(spec), "--generated", str(folder / "generated")]
    assert generate.main([*argv, "--report", str(folder / "report.md")]) == 0
    return folder


@pytest.fixture
def regenerate(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Outcome]:
    def run(
        edit_spec: Callable[[Spec], None] | None = None,
        edit_config: Callable[[Spec], None] | None = None,
    ) -> Outcome:
        shutil.copytree(baseline / "generated", tmp_path / "generated")
        spec = yaml.safe_load((baseline / "openapi.yaml").read_text(encoding="utf-8"))
        if edit_spec:
            edit_spec(spec)
        (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
        config = yaml.safe_load((ROOT / "generator-config.yaml").read_text(encoding="utf-8"))
        if edit_config:
            edit_config(config)
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        capsys.readouterr()
        exit_code = generate.main(
            [
                *("--spec", str(tmp_path / "openapi.yaml")),
                *("--config", str(tmp_path / "config.yaml")),
                *("--generated", str(tmp_path / "generated")),
                *("--report", str(tmp_path / "build" / "api-changes.md")),
            ]
        )
        report = (tmp_path / "build" / "api-changes.md").read_text(encoding="utf-8")
        return Outcome(exit_code, report, capsys.readouterr().out)

    return run


def schema(spec: Spec, name: str) -> Spec:
    found: Spec = spec["components"]["schemas"][name]
    return found


def variation_props(spec: Spec) -> Spec:
    return schema(spec, "CreateImageVariationRequest")["properties"]


def test_no_change_says_so_in_one_line(regenerate: Callable[..., Outcome]) -> None:
    outcome = regenerate()
    assert outcome.exit_code == 0
    assert outcome.lines == ["No change to the public API."]
    assert "No change to the public API." in outcome.printed


def test_description_only_is_no_api_change(regenerate: Callable[..., Outcome]) -> None:
    def edit(spec: Spec) -> None:
        variation_props(spec)["user"]["description"] = "Who the end user is."

    outcome = regenerate(edit)
    assert (outcome.exit_code, outcome.lines) == (0, ["No change to the public API."])


def test_new_optional_field_is_one_non_breaking_line(
    regenerate: Callable[..., Outcome],
) -> None:
    def edit(spec: Spec) -> None:
        variation_props(spec)["style"] = {"type": "string", "description": "The drawing style."}

    outcome = regenerate(edit)
    assert outcome.exit_code == 0
    assert outcome.lines == [
        "- **Non-breaking:** `CreateImageVariationRequest.style`: optional field added "
        "(createImageVariation request)"
    ]
    assert outcome.lines[0] in outcome.printed


def test_removed_field_is_breaking(regenerate: Callable[..., Outcome]) -> None:
    outcome = regenerate(lambda spec: variation_props(spec).pop("user"))
    assert outcome.exit_code == api_report.BREAKING_EXIT == 3
    # The Python attribute that went with it is the same change: listed once.
    assert outcome.lines == [
        "- **Breaking:** `CreateImageVariationRequest.user`: field removed "
        "(createImageVariation request)"
    ]


def test_narrowed_enum_is_breaking(
    regenerate: Callable[..., Outcome],
) -> None:
    def edit(spec: Spec) -> None:
        variation_props(spec)["size"]["enum"] = ["256x256", "1024x1024"]

    outcome = regenerate(edit)
    assert outcome.exit_code == 3
    assert outcome.lines[0] == (
        "- **Breaking:** `CreateImageVariationRequest.size`: enum value(s) `512x512` removed "
        "(createImageVariation request)"
    )
    assert all(line.startswith("- **Breaking:**") for line in outcome.lines)


def test_widened_enum_is_not_breaking(regenerate: Callable[..., Outcome]) -> None:
    outcome = regenerate(lambda spec: variation_props(spec)["size"]["enum"].append("2048x2048"))
    assert outcome.exit_code == 0
    assert outcome.lines == [
        "- **Non-breaking:** `CreateImageVariationRequest.size`: enum value(s) `2048x2048` added "
        "(createImageVariation request)"
    ]


def test_renamed_schema_is_one_breaking_line(regenerate: Callable[..., Outcome]) -> None:
    def edit(spec: Spec) -> None:
        renamed = json.loads(
            json.dumps(spec).replace('schemas/Fallback"', 'schemas/ModelFallback"')
        )
        renamed["components"]["schemas"]["ModelFallback"] = renamed["components"]["schemas"].pop(
            "Fallback"
        )
        spec.clear()
        spec.update(renamed)

    outcome = regenerate(edit)
    assert outcome.exit_code == 3
    # The removed class, its module and the retyped `fallbacks` fields all follow from it.
    assert outcome.lines == [
        "- **Breaking:** `Fallback`: schema renamed to `ModelFallback` "
        "(createImage request, createImageEdit request, createImageVariation request)"
    ]


def test_newly_required_field_is_breaking(regenerate: Callable[..., Outcome]) -> None:
    def edit(spec: Spec) -> None:
        schema(spec, "CreateImageVariationRequest")["required"] = ["model", "image", "user"]

    outcome = regenerate(edit)
    assert outcome.exit_code == 3
    assert outcome.lines == [
        "- **Breaking:** `CreateImageVariationRequest.user`: field is now required "
        "(createImageVariation request)"
    ]


def test_new_required_field_is_breaking(regenerate: Callable[..., Outcome]) -> None:
    def edit(spec: Spec) -> None:
        variation_props(spec)["seed"] = {"type": "integer", "description": "A random seed."}
        schema(spec, "CreateImageVariationRequest")["required"].append("seed")

    outcome = regenerate(edit)
    assert outcome.exit_code == 3
    assert outcome.lines == [
        "- **Breaking:** `CreateImageVariationRequest.seed`: required field added "
        "(createImageVariation request)"
    ]


def test_changed_type_is_breaking(regenerate: Callable[..., Outcome]) -> None:
    outcome = regenerate(lambda spec: variation_props(spec)["user"].update(type="integer"))
    assert outcome.exit_code == 3
    assert outcome.lines == [
        "- **Breaking:** `CreateImageVariationRequest.user`: type changed from `string` to "
        "`integer` (createImageVariation request)"
    ]


def test_removed_operation_is_breaking(regenerate: Callable[..., Outcome]) -> None:
    outcome = regenerate(lambda spec: spec["paths"].pop("/v2/router/images/variations"))
    assert outcome.exit_code == 3
    assert outcome.lines[0] == (
        "- **Breaking:** `createImageVariation`: operation "
        "`POST /v2/router/images/variations` removed"
    )


def test_generator_level_rename_is_caught_from_the_python_api(
    regenerate: Callable[..., Outcome],
) -> None:
    """The spec is unchanged; only generator-config.yaml renames a class."""

    def edit(config: Spec) -> None:
        config["class_overrides"] = {
            "GenerationUsage": {"class_name": "ImageUsage", "module_name": "image_usage"}
        }

    outcome = regenerate(edit_config=edit)
    assert outcome.exit_code == 3
    assert outcome.lines == [
        "- **Breaking:** `orq_images.models.GenerationUsage`: public object was removed",
        "- **Breaking:** `orq_images.models.ImageResponse.usage`: "
        "type changed from `GenerationUsage | None` to `ImageUsage | None`",
        "- **Non-breaking:** `orq_images.models.ImageUsage`: added",
    ]


def test_check_keeps_its_drift_meaning(baseline: Path, tmp_path: Path) -> None:
    shutil.copytree(baseline / "generated", tmp_path / "generated")
    spec = yaml.safe_load((baseline / "openapi.yaml").read_text(encoding="utf-8"))
    variation_props(spec).pop("user")
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    argv = ["--spec", str(tmp_path / "openapi.yaml"), "--generated", str(tmp_path / "generated")]
    report = tmp_path / "report.md"
    assert generate.main([*argv, "--check", "--report", str(report)]) == 1
    assert not report.exists()
    current = ["--spec", str(baseline / "openapi.yaml"), "--generated", str(tmp_path / "generated")]
    assert generate.main([*current, "--check"]) == 0


def spec_with(**request_props: Any) -> Spec:
    """A one-operation spec whose request body has `request_props`."""
    return {
        "paths": {
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "parameters": [],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ThingRequest"}
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {"ThingRequest": {"type": "object", "properties": request_props}}
        },
    }


def test_a_field_clients_read_may_not_become_nullable() -> None:
    """The same schema in a response: readers would meet a None they never handled."""
    before, after = spec_with(count={"type": "integer"}), spec_with(count={"type": "integer"})
    after["components"]["schemas"]["ThingRequest"]["properties"]["count"]["type"] = [
        "integer",
        "null",
    ]
    for spec in (before, after):
        ok = spec["paths"]["/things"]["post"]["responses"]["200"]
        ok["content"] = {
            "application/json": {"schema": {"$ref": "#/components/schemas/ThingRequest"}}
        }
    changes = diff_specs(before, after).changes
    # Null is a wider input (no break for senders) and a wider output (a break for
    # readers): one line, breaking, for both places.
    assert [(c.breaking, c.description) for c in changes] == [
        (True, "may now be `null` (createThing request, createThing response)")
    ]


def test_parameters_and_media_types() -> None:
    old = spec_with()
    new = copy.deepcopy(old)
    operation = new["paths"]["/things"]["post"]
    operation["parameters"] = [
        {"in": "query", "name": "dry_run", "schema": {"type": "boolean"}},
        {"in": "header", "name": "x-team", "required": True, "schema": {"type": "string"}},
    ]
    content = operation["requestBody"]["content"]
    content["multipart/form-data"] = content.pop("application/json")
    described = [(c.breaking, c.subject, c.description) for c in diff_specs(old, new).changes]
    assert described == [
        (False, "createThing query dry_run parameter", "optional parameter added"),
        (True, "createThing header x-team parameter", "required parameter added"),
        (True, "createThing request body", "media type `application/json` removed"),
        (False, "createThing request body", "media type `multipart/form-data` added"),
    ]
    reverse = [(c.breaking, c.description) for c in diff_specs(new, old).changes[:2]]
    assert reverse == [(True, "parameter removed"), (True, "parameter removed")]


@pytest.fixture
def repo(baseline: Path, tmp_path: Path) -> Path:
    """A committed copy of the project: spec, generator settings, both packages."""
    repo = tmp_path / "repo"
    shutil.copytree(baseline / "generated", repo / "generated")
    shutil.copytree(ROOT / "overlays", repo / "overlays", ignore=shutil.ignore_patterns("__py*"))
    shutil.copy(baseline / "openapi.yaml", repo / "openapi.yaml")
    shutil.copy(ROOT / "generator-config.yaml", repo / "generator-config.yaml")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )
    return repo


def report_since_head(repo: Path) -> tuple[int, list[str]]:
    """The PR report: HEAD (the base branch) against the working tree."""
    report = repo / "build" / "api-changes.md"
    code = report_since.main(["--since", "HEAD", "--tree", str(repo), "--report", str(report)])
    return code, report.read_text(encoding="utf-8").splitlines()


def test_a_spec_edit_is_reported_before_it_is_regenerated(repo: Path) -> None:
    spec = yaml.safe_load((repo / "openapi.yaml").read_text(encoding="utf-8"))
    variation_props(spec).pop("name")
    (repo / "openapi.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert report_since_head(repo) == (
        3,
        [
            "- **Breaking:** `CreateImageVariationRequest.name`: field removed "
            "(createImageVariation request)"
        ],
    )


def test_a_keyword_renamed_in_the_hand_written_code_is_breaking(repo: Path) -> None:
    # Orq takes its options from the base class both clients share.
    (module,) = [
        path
        for path in (repo / "overlays" / "orq_images").glob("*.py")
        if "\nclass Orq(" in path.read_text(encoding="utf-8")
    ]
    text = module.read_text(encoding="utf-8")
    renamed = text.replace("        timeout_ms: float", "        timeout_millis: float", 1)
    assert renamed != text
    module.write_text(renamed, encoding="utf-8")
    code, lines = report_since_head(repo)
    assert code == 3
    # The __init__ both clients inherit: listed once, under the first public name.
    assert lines == [
        "- **Breaking:** `orq_images.AsyncOrq.__init__`: keyword `timeout_ms` removed",
        "- **Non-breaking:** `orq_images.AsyncOrq.__init__`: keyword `timeout_millis` added",
    ]


HAND_WRITTEN_CLIENT = """
from typing import Required, TypedDict, Unpack


class _CreateParams(TypedDict, total=False):
    prompt: Required[str]
    {keyword}: dict[str, object]


class _Images:
    def create(self, **params: Unpack[_CreateParams]) -> None: ...


class Client:
    def __init__(self) -> None:
        self.images = _Images()
"""


def test_keywords_taken_through_an_unpacked_typed_dict_are_compared(tmp_path: Path) -> None:
    """`**params: Unpack[...]` is one parameter to griffe; users pass each key by name,
    and reach the method through attributes (`client.images.create`)."""
    snapshots = []
    for version, keyword in (("old", "extra_body"), ("new", "extra_json")):
        package = tmp_path / version / "orq_images"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(HAND_WRITTEN_CLIENT.format(keyword=keyword))
        snapshots.append(api_report.Snapshot({}, (package.parent,)))
    report = api_report.compare(*snapshots)
    assert report.markdown().splitlines() == [
        "- **Breaking:** `orq_images.Client.images.create`: keyword `extra_body` removed",
        "- **Non-breaking:** `orq_images.Client.images.create`: keyword `extra_json` added",
    ]


def test_a_keyword_removed_from_what_create_takes_is_breaking(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `orq.router.images.generations.create` takes, however it is declared: the
    per-call options every operation takes are named once, in the engine (orq_images/_engine.py)."""
    from codegen import surface

    renamed = [
        ("extra_json", *option[1:]) if option[0] == "extra_body" else option
        for option in surface.call_options()
    ]
    assert renamed != list(surface.call_options()), "the engine no longer names extra_body"
    monkeypatch.setattr(surface, "call_options", lambda: tuple(renamed))
    code, lines = report_since_head(repo)
    assert code == 3
    assert any(
        line.startswith("- **Breaking:** `orq_images")
        and ".images.generations.create" in line
        and "`extra_body`" in line
        for line in lines
    ), lines


def test_no_change_since_head(repo: Path) -> None:
    assert report_since_head(repo) == (0, ["No change to the public API."])


def test_enum_value_added_in_the_middle_is_not_breaking(
    regenerate: Callable[..., Outcome],
) -> None:
    """Enums are Literal types: no member names by position that could shift."""
    outcome = regenerate(lambda spec: variation_props(spec)["size"]["enum"].insert(1, "384x384"))
    assert outcome.exit_code == 0
    assert outcome.lines == [
        "- **Non-breaking:** `CreateImageVariationRequest.size`: enum value(s) `384x384` added "
        "(createImageVariation request)",
    ]


@pytest.mark.parametrize(
    ("edit", "line"),
    [
        (
            lambda spec: variation_props(spec)["user"].update(pattern="^[a-z0-9-]+$"),
            "`CreateImageVariationRequest.user`: `pattern` changed from none to ^[a-z0-9-]+$",
        ),
        (
            lambda spec: schema(spec, "Fallback").update(additionalProperties=False),
            "`Fallback`: unknown fields now refused",
        ),
        (
            lambda spec: schema(spec, "Retry")["properties"]["on_codes"].update(uniqueItems=True),
            "`Retry.on_codes`: `uniqueItems` changed from none to true",
        ),
    ],
    ids=["pattern", "additionalProperties false", "uniqueItems"],
)
def test_a_narrowed_input_is_breaking(
    regenerate: Callable[..., Outcome], edit: Callable[[Spec], object], line: str
) -> None:
    """Calls that worked would now be refused before they are sent."""
    outcome = regenerate(edit)
    assert outcome.exit_code == api_report.BREAKING_EXIT
    assert len(outcome.lines) == 1
    assert outcome.lines[0].startswith(f"- **Breaking:** {line} (")


@pytest.mark.parametrize(
    ("name", "field"), [("Cache", "type"), ("PromptRef", "version")], ids=["Cache", "PromptRef"]
)
def test_a_value_added_to_a_request_enum_is_not_breaking(
    regenerate: Callable[..., Outcome], name: str, field: str
) -> None:
    """A wider input breaks no caller, though the field's Python type changes with it."""
    outcome = regenerate(lambda spec: schema(spec, name)["properties"][field]["enum"].append("x"))
    assert outcome.exit_code == 0
    assert len(outcome.lines) == 1
    assert outcome.lines[0].startswith(
        f"- **Non-breaking:** `{name}.{field}`: enum value(s) `x` added ("
    )


def test_a_deprecated_operation_is_one_non_breaking_line(
    regenerate: Callable[..., Outcome],
) -> None:
    outcome = regenerate(
        lambda spec: spec["paths"]["/v2/router/images/variations"]["post"].update(deprecated=True)
    )
    assert outcome.exit_code == 0
    assert outcome.lines == ["- **Non-breaking:** `createImageVariation`: operation deprecated"]


def test_a_spec_the_report_cannot_read_is_one_line() -> None:
    old = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    new = copy.deepcopy(old)
    variation_props(new)["fallbacks"] = {"type": "array", "items": {"$ref": "#/nowhere"}}
    with pytest.raises(SystemExit) as caught:
        api_report.compare(api_report.Snapshot(old, ()), api_report.Snapshot(new, ()))
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        "API change report: the spec: #/components/schemas/CreateImageVariationRequest"
        "/properties/fallbacks/items: cannot resolve $ref '#/nowhere'"
    )
