"""Deprecation, from the spec to the user: `deprecated: true` on an operation or a field,
with or without `x-use-instead`, reaches the docstring, REFERENCE.md and a
DeprecationWarning at the caller's line. And a spec the generator cannot take is
refused in one line naming the place, never with a traceback.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import generate, layout
from tests.conftest import PNG_1X1

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]


def _spec() -> Spec:
    spec: Spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    return spec


def _deprecating(spec: Spec) -> Spec:
    paths = spec["paths"]
    # An operation with a replacement (named by operationId), and one without.
    paths["/v2/router/images/variations"]["post"].update(
        {"deprecated": True, "x-use-instead": "createImageEdit"}
    )
    paths["/v2/router/images/edits"]["post"]["deprecated"] = True
    # A nullable enum field without a replacement.
    spec["components"]["schemas"]["CreateImageRequest"]["properties"]["style"]["deprecated"] = True
    return spec


@pytest.fixture(scope="module")
def deprecated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and REFERENCE.md generated from the deprecating spec."""
    folder = tmp_path_factory.mktemp("deprecated")
    spec_path = folder / "openapi.yaml"
    spec_path.write_text(yaml.safe_dump(_deprecating(_spec()), sort_keys=False), encoding="utf-8")
    package = generate.build(folder / "out", spec_path)
    layout.assemble(folder / "package", package)
    return folder


CALLS = """
import asyncio, base64, inspect, json, sys, warnings
from orq_images import AsyncOrq, Orq
from orq_images.testing import LocalRouter

PNG = base64.b64decode(sys.argv[1])
with LocalRouter() as router, Orq(api_key="k", server_url=router.url) as orq:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        orq.router.images.generations.create(prompt="p", model="m", style="vivid")  # field
        orq.router.images.variations.create(model="m", image=PNG)  # replaced
        orq.router.images.edits.create(model="m", prompt="p", image=PNG)  # not replaced

        async def main() -> None:
            async with AsyncOrq(api_key="k", server_url=router.url) as aorq:
                await aorq.router.images.variations.create(model="m", image=PNG)  # awaited

        asyncio.run(main())
        orq.router.images.generations.create(prompt="p", model="m")  # no warning
    sent = router.requests[0].body
print(json.dumps({
    "warnings": [
        [w.category.__name__, str(w.message), w.filename == __file__, w.lineno] for w in caught
    ],
    "sent_style": sent.get("style"),
    "variations_doc": inspect.getdoc(orq.router.images.variations.create),
    "edits_doc": inspect.getdoc(orq.router.images.edits.create),
    "generations_doc": inspect.getdoc(orq.router.images.generations.create),
}))
"""


def _line(marker: str) -> int:
    """The line of CALLS that ends with `# marker`, as the script file numbers it."""
    lines = CALLS.lstrip("\n").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.endswith(f"# {marker}"))


@pytest.fixture(scope="module")
def outcome(deprecated: Path) -> dict[str, Any]:
    script = deprecated / "calls.py"
    script.write_text(CALLS.lstrip("\n"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), base64.b64encode(PNG_1X1).decode()],
        env={**os.environ, "PYTHONPATH": str(deprecated / "package")},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_each_deprecated_use_warns_once_at_the_callers_line(outcome: dict[str, Any]) -> None:
    replaced = (
        "orq.router.images.variations.create is deprecated; "
        "use orq.router.images.edits.create instead."
    )
    assert outcome["warnings"] == [
        ["DeprecationWarning", "style is deprecated. It was still sent.", True, _line("field")],
        ["DeprecationWarning", replaced, True, _line("replaced")],
        [
            "DeprecationWarning",
            "orq.router.images.edits.create is deprecated.",
            True,
            _line("not replaced"),
        ],
        ["DeprecationWarning", replaced, True, _line("awaited")],
    ]
    assert outcome["sent_style"] == "vivid"


def test_the_docstrings_say_it(outcome: dict[str, Any]) -> None:
    assert (
        "Deprecated: use `orq.router.images.edits.create` instead." in (outcome["variations_doc"])
    )
    assert "\nDeprecated.\n" in outcome["edits_doc"]
    # A nullable enum keeps its deprecation, and its values.
    assert (
        "style: Deprecated. The drawing style (dall-e-3 only). One of `vivid`, `natural`."
        in (outcome["generations_doc"])
    )


def test_the_reference_says_it(deprecated: Path) -> None:
    reference = (deprecated / "out" / generate.REFERENCE).read_text(encoding="utf-8")
    variations = reference.index("## `orq.router.images.variations.create(...)`")
    edits = reference.index("## `orq.router.images.edits.create(...)`")
    assert reference.index("**Deprecated: use `orq.router.images.edits.create` instead.**") in (
        range(variations, edits)
    )
    assert "**Deprecated.**" in reference[edits:]
    assert '| `style` | `Literal["vivid", "natural"] \\| None` |  | Deprecated. The drawing' in (
        reference
    )


def run_generate(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    spec_path = tmp_path / "openapi.yaml"
    spec_path.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "codegen.generate", "--spec", str(spec_path),
         "--generated", str(tmp_path / "generated"), "--report", str(tmp_path / "report.md")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def _broken(edit: Any) -> str:
    spec = _spec()
    edit(spec)
    return yaml.safe_dump(spec, sort_keys=False)


GENERATIONS = "/v2/router/images/generations"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openapi: 3.1.0\ninfo: {title: x\n", "line 3, column 1: expected ',' or '}'"),
        (_broken(lambda s: s.pop("paths")), "`paths` is missing or has the wrong type"),
        (
            _broken(lambda s: s["paths"][GENERATIONS]["post"].pop("operationId")),
            f"POST {GENERATIONS}: has no operationId",
        ),
        (
            _broken(
                lambda s: s["components"]["schemas"]["CreateImageRequest"]["properties"].update(
                    seed={"$ref": "#/components/schemas/Seed"}
                )
            ),
            "createImage.seed: refers to Seed, which components/schemas lacks",
        ),
        (
            _broken(
                lambda s: s["paths"][GENERATIONS]["post"]["requestBody"]["content"][
                    "application/json"
                ].update(schema={"type": "object"})
            ),
            f"POST {GENERATIONS} request body: must be a $ref to a schema under components/schemas",
        ),
    ],
    ids=["not yaml", "no paths", "no operationId", "missing ref", "inline body"],
)
def test_a_spec_error_is_one_line_naming_the_place(tmp_path: Path, text: str, message: str) -> None:
    result = run_generate(tmp_path, text)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("scripts/generate: openapi.yaml: "), line
    assert message in line
    assert not (tmp_path / "generated").exists()
