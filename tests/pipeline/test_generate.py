"""scripts/generate: exact, deterministic, driven by its config, loud when the generator moves."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codegen import generate, prepass, template_patches

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "generated" / generate.PACKAGE


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate.build(tmp_path_factory.mktemp("fresh"))


def test_generated_matches_a_fresh_run_byte_for_byte(fresh: Path) -> None:
    assert generate.differences(fresh, COMMITTED) == []


def test_two_runs_are_identical(fresh: Path, tmp_path: Path) -> None:
    assert generate.differences(fresh, generate.build(tmp_path)) == []


def test_a_description_change_changes_only_its_docstring(fresh: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    retry_count = spec["components"]["schemas"]["Retry"]["properties"]["count"]
    retry_count["description"] = "How many more times orq tries the provider."
    edited = tmp_path / "openapi.yaml"
    edited.write_text(yaml.safe_dump(spec, sort_keys=False))

    changed = generate.build(tmp_path / "out", edited)

    # The TypedDict key's docstring, nothing else.
    assert generate.differences(fresh, changed) == ["params.py"]
    for module in ("params.py",):
        before = (fresh / module).read_text().splitlines()
        after = (changed / module).read_text().splitlines()
        diff = [
            line
            for line in difflib.unified_diff(before, after, lineterm="", n=0)
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
        ]
        assert diff
        assert all(
            line.strip('+- "').startswith(("How", "5", "Range", "The server", "default"))
            for line in diff
        ), diff
        assert any("How many more times orq tries the provider." in line for line in diff)


def test_the_config_takes_effect(fresh: Path, tmp_path: Path) -> None:
    # The generator ignores unknown keys silently, so check each setting's effect.
    # relative imports between models
    assert "from orq_images._generated" not in (fresh / "models/image_response.py").read_text()
    ruff = Path(sys.executable).parent / "ruff"
    formatted = subprocess.run(
        [str(ruff), "format", "--check", "--no-cache", "--isolated", str(fresh)],
        capture_output=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout  # the post-hooks ran

    # class_overrides: a model renamed, and every annotation naming it follows
    config = yaml.safe_load((ROOT / "generator-config.yaml").read_text())
    config["class_overrides"] = {
        "GenerationUsage": {"class_name": "ImageUsage", "module_name": "image_usage"}
    }
    edited = tmp_path / "config.yaml"
    edited.write_text(yaml.safe_dump(config))
    renamed = generate.build(tmp_path / "out", config=edited)
    assert "class ImageUsage:" in (renamed / "models/image_usage.py").read_text()
    assert "usage: ImageUsage | None = None" in (renamed / "models/image_response.py").read_text()


def test_response_fields_are_typed_by_the_surfaces_mapping(tmp_path: Path) -> None:
    """One mapping types requests and responses: an enum of a response is a Literal in
    the model's annotation, with no enum module of the generator's."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    response = spec["components"]["schemas"]["ImageVariationResponse"]
    response["properties"]["background"] = {
        "type": ["string", "null"],
        "enum": ["transparent", "opaque", None],
        "description": "The background the images were drawn with.",
    }
    response["properties"]["sizes"] = {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "integer"}},
        "description": "Sizes by name.",
    }
    edited = tmp_path / "openapi.yaml"
    edited.write_text(yaml.safe_dump(spec, sort_keys=False))
    package = generate.build(tmp_path / "out", edited)
    model = (package / "models/image_variation_response.py").read_text()
    assert 'background: Literal["transparent", "opaque"] | None = None' in model
    assert "sizes: dict[str, list[int]] | None = None" in model
    assert "data: list[Image]" in model
    assert sorted(p.name for p in (package / "models").glob("*background*")) == []


def test_the_ruff_hooks_are_the_configs(fresh: Path, tmp_path: Path) -> None:
    """generator-config.yaml's post_hooks format the whole package, models and surface
    alike: a hook changed there changes both."""
    config = yaml.safe_load((ROOT / "generator-config.yaml").read_text())
    config["post_hooks"] = [*config["post_hooks"], "ruff format . --no-cache --line-length=60"]
    edited = tmp_path / "config.yaml"
    edited.write_text(yaml.safe_dump(config))
    changed = generate.differences(fresh, generate.build(tmp_path / "out", config=edited))
    assert {"router.py", "params.py", "models/image_response.py"} <= set(changed)


def test_a_template_patch_fails_loudly_when_the_generator_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "stock"
    shutil.copytree(template_patches.STOCK_TEMPLATES, moved)
    models_init = moved / "models_init.py.jinja"
    models_init.write_text(models_init.read_text().replace("imports | sort", "imports"))
    monkeypatch.setattr(template_patches, "STOCK_TEMPLATES", moved)
    with pytest.raises(template_patches.TemplatePatchError, match=r"models_init.*PEP 562"):
        template_patches.write_patched_templates(tmp_path / "out")


def test_the_prepass_fails_loudly_on_a_shape_it_does_not_know() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    spec["components"]["schemas"]["Image"]["properties"]["box"] = {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
    }
    with pytest.raises(prepass.PrepassError, match=r"^Image\.box: an inline object"):
        prepass.prepare_for_generator(prepass.prepare(spec), {})
