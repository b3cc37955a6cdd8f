"""scripts/generate: exact, deterministic, driven by its config, loud when the generator moves."""

from __future__ import annotations

import difflib
import importlib
import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from codegen import generate, prepass, template_patches
from tests.support.scratch_package import scratch_package

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

    assert generate.differences(fresh, changed) == ["models/retry.py"]
    before = (fresh / "models/retry.py").read_text().splitlines()
    after = (changed / "models/retry.py").read_text().splitlines()
    diff = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert diff
    assert all("count (int | Unset)" in line or line.strip("+- ").startswith(("How", "5"))
               for line in diff), diff  # fmt: skip
    assert any("How many more times orq tries the provider." in line for line in diff)


def test_the_config_takes_effect(fresh: Path, tmp_path: Path) -> None:
    # The generator ignores unknown keys silently, so check each setting's effect.
    assert (fresh / "models/variation_size.py").is_file()  # class_overrides
    assert "class VariationSize(" in (fresh / "models/variation_size.py").read_text()
    assert not list(fresh.glob("models/create_image_variation_request_size.py"))
    assert "from orq_images_generated" not in (fresh / "client.py").read_text()  # relative imports
    ruff = Path(sys.executable).parent / "ruff"
    formatted = subprocess.run(
        [str(ruff), "format", "--check", "--no-cache", "--isolated", str(fresh)],
        capture_output=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout  # the post-hooks ran

    config = yaml.safe_load((ROOT / "generator-config.yaml").read_text())
    config["class_overrides"]["CreateImageVariationRequestSize"]["class_name"] = "OutputSize"
    config["class_overrides"]["CreateImageVariationRequestSize"]["module_name"] = "output_size"
    edited = tmp_path / "config.yaml"
    edited.write_text(yaml.safe_dump(config))
    renamed = generate.build(tmp_path / "out", config=edited)
    assert "class OutputSize(" in (renamed / "models/output_size.py").read_text()


def test_a_template_patch_fails_loudly_when_the_generator_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "stock"
    shutil.copytree(template_patches.STOCK_TEMPLATES, moved)
    endpoint = moved / "endpoint_module.py.jinja"
    endpoint.write_text(endpoint.read_text().replace("boundary=+++", "boundary=***"))
    monkeypatch.setattr(template_patches, "STOCK_TEMPLATES", moved)
    with pytest.raises(template_patches.TemplatePatchError, match=r"endpoint_module.*\+\+\+"):
        template_patches.write_patched_templates(tmp_path / "out")


def test_the_prepass_fails_loudly_on_a_shape_it_does_not_know() -> None:
    spec = {
        "components": {
            "schemas": {
                "X": {"properties": {"mode": {"type": ["string", "null"], "enum": ["a", "b"]}}}
            }
        }
    }
    with pytest.raises(prepass.PrepassError, match=r"X\.mode: a nullable enum must list null"):
        prepass.prepare_for_generator(spec)


@pytest.fixture
def scratch_client(tmp_path: Path) -> Iterator[object]:
    """A tiny multipart API with the field kinds the real spec lacks, through the same pipeline."""
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "scratch", "version": "1"},
        "paths": {
            "/upload": {
                "post": {
                    "operationId": "upload",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {"$ref": "#/components/schemas/Upload"}
                            }
                        },
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Upload": {
                    "type": "object",
                    "properties": {
                        "flag": {"type": "boolean"},
                        "file": {"type": "string", "format": "binary"},
                    },
                }
            }
        },
    }
    with scratch_package(spec, tmp_path, "scratch_client") as package:
        yield importlib.import_module(f"{package.__name__}.models.upload")


def test_booleans_and_unnamed_files_in_multipart(scratch_client: object) -> None:
    """Defects: booleans went out as `True`/`False`; a File without a name as a text field."""
    from orq_images_generated.types import File

    upload = scratch_client.Upload(flag=True, file=File(payload=io.BytesIO(b"x")))  # type: ignore[attr-defined]
    fields = dict(upload.to_multipart())
    assert fields["flag"] == (None, b"true", "text/plain")
    filename, _, content_type = fields["file"]
    assert filename == "upload"
    assert content_type == "application/octet-stream"
