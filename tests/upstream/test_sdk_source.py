"""orq-ai-sdk as the second source of scripts/upstream-diff.

The SDK comes from the package index (a pinned release, which pip's cache usually
holds) or from the copy installed in the dev environment; nothing else is reached.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from upstream import declared
from upstream.compare import SCOPE
from upstream.diff import DECLARATIONS, main, run
from upstream.sdk import read_sdk, with_documented_limits
from upstream.source import SourceError

ROOT = Path(__file__).resolve().parents[2]
AUGUST = Path(__file__).parent / "orq-openapi-2026-08-images.yaml"
PINNED = "4.17.13"
SDK = f"orq-ai-sdk {PINNED}"
GENERATIONS = "POST /v2/router/images/generations"
VARIATIONS = "POST /v2/router/images/variations"
EDITS = "POST /v2/router/images/edits"
Document = dict[str, Any]


def installed_site() -> Path:
    """The site-packages of the dev environment's orq-ai-sdk, found without importing it."""
    spec = importlib.util.find_spec("orq_ai_sdk")
    assert spec is not None, "orq-ai-sdk is a dev dependency (requirements/dev.in)"
    assert spec.origin is not None
    return Path(spec.origin).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned release's wheel, from the index (or pip's cache)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "--quiet", "--dest", str(folder),
         f"orq-ai-sdk=={PINNED}"],
        check=True,
        timeout=300,
    )  # fmt: skip
    [found] = folder.glob("*.whl")
    return found


@pytest.fixture(scope="module")
def installed() -> tuple[str, Document]:
    return read_sdk(str(installed_site()), SCOPE)


def schemas(document: Document) -> Document:
    found: Document = document["components"]["schemas"]
    return found


def body(document: Document, path: str) -> Document:
    operation = document["paths"][path]["post"]
    [content] = operation["requestBody"]["content"].values()
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    found: Document = schemas(document)[name]
    return found


def test_the_image_operations_are_read_from_the_models(installed: tuple[str, Document]) -> None:
    name, document = installed
    assert name == SDK
    operations = {
        (path, method): (op["operationId"], list(op["requestBody"]["content"]))
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert operations == {
        ("/v2/router/images/generations", "post"): ("createImage", ["application/json"]),
        ("/v2/router/images/variations", "post"): ("createImageVariation", ["multipart/form-data"]),
        ("/v2/router/images/edits", "post"): ("createImageEdit", ["multipart/form-data"]),
    }  # fmt: skip
    assert document["servers"] == [{"url": "https://my.orq.ai"}]
    edit = body(document, "/v2/router/images/edits")
    assert edit["required"] == ["model", "prompt"]
    # Speakeasy's OptionalNullable: may be left out, may be null, defaults to 1.
    assert edit["properties"]["n"]["anyOf"] == [{"type": "number"}, {"type": "null"}]
    assert edit["properties"]["n"]["default"] == 1
    # A plain Optional may be left out, but None is never sent: not nullable.
    assert edit["properties"]["user"]["type"] == "string"
    cache = schemas(document)["CreateImageEditCache"]["properties"]
    assert cache["type"] == {"type": "string", "const": "exact_match"}
    assert cache["ttl"]["default"] == 3600


def test_limits_stated_in_the_prose_are_compared(installed: tuple[str, Document]) -> None:
    _, document = installed
    edit = body(document, "/v2/router/images/edits")["properties"]
    assert (edit["n"]["minimum"], edit["n"]["maximum"]) == (1, 10)
    binary = {"type": "string", "format": "binary"}
    assert edit["image"]["anyOf"] == [binary, {"type": "array", "items": binary, "maxItems": 16}]
    codes = edit["fallback_on_codes"]
    assert (codes["maxItems"], codes["uniqueItems"]) == (20, True)
    assert (codes["items"]["minimum"], codes["items"]["maximum"]) == (400, 599)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Must be between 1 and 10.", {"minimum": 1, "maximum": 10}),
        ("Maximum 259200 seconds (3 days).", {"maximum": 259200}),
        ("Must be between 0.5 and 2.5 units", {"minimum": 0.5, "maximum": 2.5}),
        ("The number of images to generate.", {}),
    ],
)
def test_documented_limits(description: str, expected: dict[str, Any]) -> None:
    field = {"type": "number", "description": description}
    with_documented_limits({"components": {"schemas": {"X": {"properties": {"n": field}}}}})
    assert {k: v for k, v in field.items() if k not in ("type", "description")} == expected


def test_openapi_yaml_follows_the_sdk(installed: tuple[str, Document]) -> None:
    """Nothing orq-ai-sdk has is left unfollowed or undeclared."""
    name, document = installed
    ours = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    report = run({name: document}, ours, declared.load(DECLARATIONS))
    assert [finding.line() for finding in report.news] == []
    # Every difference the report shows names its source.
    assert {f.source for places in report.covered.values() for f in places} == {name}


def test_edits_of_several_images_are_news_while_the_spec_takes_one(
    installed: tuple[str, Document],
) -> None:
    """orq-ai-sdk says it only in prose: "an array of images ... up to 16 images"."""
    name, document = installed
    ours = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    edit = ours["components"]["schemas"]["CreateImageEditRequest"]["properties"]
    edit["image"] = {"type": "string", "format": "binary", "description": "One image."}
    report = run({name: document}, ours, declared.load(DECLARATIONS))
    assert [finding.line() for finding in report.news] == [
        f"{EDITS} request image: type string (binary) here, array or string at orq",
        f"{EDITS} request image: one shape here, one of 2 shapes at orq",
    ]


def test_a_different_default_is_news_from_its_source(
    wheel: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The release read is the one given, in a process of its own: an unpacked copy with
    another cache default and version is what the report shows, beside the document."""
    shutil.unpack_archive(wheel, tmp_path, format="zip")
    (info,) = tmp_path.glob("orq_ai_sdk-*.dist-info")
    info.rename(tmp_path / "orq_ai_sdk-9.9.9.dist-info")
    models = tmp_path / "orq_ai_sdk" / "models" / "createimagevariationop.py"
    text = models.read_text(encoding="utf-8")
    assert text.count("ttl: Optional[float] = 3600.0") == 2
    models.write_text(text.replace("ttl: Optional[float] = 3600.0", "ttl: Optional[float] = 60.0"))

    assert main([str(AUGUST), "--sdk", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0] == "openapi.yaml is in step with orq OpenAPI (Aug 2026): nothing undeclared differs."
    )
    assert out[1].startswith("orq-ai-sdk 9.9.9 differs from openapi.yaml in ")
    ttl = [line.strip() for line in out if "cache.ttl: default" in line]
    ours = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    default = ours["components"]["schemas"]["Cache"]["properties"]["ttl"]["default"]
    assert ttl == [
        f"{VARIATIONS} request {field}: default {default} here, 60.0 at orq"
        for field in ("cache.ttl", "orq.cache.ttl")
    ]


def test_a_release_is_read_from_the_index_by_version(wheel: Path) -> None:
    name, document = read_sdk(PINNED, SCOPE)
    assert name == SDK
    assert document == read_sdk(str(wheel), SCOPE)[1]


def test_the_newest_release_is_the_default() -> None:
    name, document = read_sdk("newest", SCOPE)
    assert re.fullmatch(r"orq-ai-sdk \d+\.\d+\.\d+", name), name
    assert {f"{SCOPE}/{name}" for name in ("generations", "variations", "edits")} <= set(
        document["paths"]
    )


def test_a_declaration_may_be_scoped_to_one_source(
    installed: tuple[str, Document], tmp_path: Path
) -> None:
    name, document = installed
    august = yaml.safe_load(AUGUST.read_text(encoding="utf-8"))
    ours = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "differences.yaml"
    entry = {"what": "x", "why": "y", "kind": "server", "source": "orq-ai-sdk *"}
    path.write_text(yaml.safe_dump({"differences": [entry]}), encoding="utf-8")
    report = run({"orq OpenAPI (Aug 2026)": august, name: document}, ours, declared.load(path))
    [declaration] = report.covered
    assert [f.source for f in report.covered[declaration]] == [name]
    servers = [f for f in report.news if f.kind == "server"]
    assert [(f.source, f.line()) for f in servers] == [
        ("orq OpenAPI (Aug 2026)", "servers: https://api.orq.ai here, https://my.orq.ai at orq")
    ]


def test_an_unreadable_sdk_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sdk", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"upstream-diff: {tmp_path}: no orq_ai_sdk package there\n"
    not_a_wheel = tmp_path / "orq_ai_sdk-1.0.0-py3-none-any.whl"
    not_a_wheel.write_bytes(b"not a zip")
    with pytest.raises(SourceError, match="not a wheel"):
        read_sdk(str(not_a_wheel), SCOPE)
    broken = tmp_path / "broken"
    (broken / "orq_ai_sdk").mkdir(parents=True)
    (broken / "orq_ai_sdk-1.0.0.dist-info").mkdir()
    (broken / "orq_ai_sdk" / "__init__.py").write_text("raise ImportError('half a package')\n")
    with pytest.raises(SourceError, match="cannot read the SDK's models: ImportError: half a"):
        read_sdk(str(broken), SCOPE)
