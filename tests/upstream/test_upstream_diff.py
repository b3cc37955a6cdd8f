"""scripts/upstream-diff on orq's August 2026 document and on small variations of it.

Each variation edits the loaded document the way orq might change its API and
asserts the exact report lines, so a missed or a false difference fails.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from schemadiff.compare import Difference, Place
from upstream import declared
from upstream.compare import Finding
from upstream.diff import DECLARATIONS, main, run
from upstream.source import read_document

from tests.support.server import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
AUGUST = HERE / "orq-openapi-2026-08-images.yaml"
BEFORE = HERE / "openapi-before-edits.yaml"
SHARED_AUGUST = ROOT.parent / "shared" / "upstream" / "orq-openapi-2026-08-images.yaml"
GENERATIONS = "POST /v2/router/images/generations"
VARIATIONS = "POST /v2/router/images/variations"
EDITS = "POST /v2/router/images/edits"
DOCUMENT = "orq OpenAPI (Aug 2026)"
Document = dict[str, Any]


def load(path: Path) -> Document:
    loaded: Document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def august() -> Document:
    return load(AUGUST)


@pytest.fixture(scope="module")
def before() -> Document:
    return load(BEFORE)


def news(ours: Document, theirs: Document) -> list[str]:
    report = run({DOCUMENT: theirs}, ours, declared.load(DECLARATIONS))
    return [difference.line() for difference in report.news]


def compare(ours: Document, theirs: Document) -> list[Finding]:
    """Every difference, declared or not."""
    return run({DOCUMENT: theirs}, ours, []).news


def edited(document: Document, edit: Callable[[Document], object]) -> Document:
    changed = copy.deepcopy(document)
    edit(changed)
    return changed


def body(document: Document, path: str, media: str) -> Document:
    schema: Document = document["paths"][path]["post"]["requestBody"]["content"][media]["schema"]
    return schema


def generation(document: Document) -> Document:
    return body(document, "/v2/router/images/generations", "application/json")


def variation(document: Document) -> Document:
    return body(document, "/v2/router/images/variations", "multipart/form-data")


def test_fixture_is_the_shared_august_document() -> None:
    if not SHARED_AUGUST.exists():
        pytest.skip(f"{SHARED_AUGUST} is not beside this checkout")
    assert load(AUGUST) == load(SHARED_AUGUST)


def test_before_following_orq_it_reports_edits_and_plugins_only(
    before: Document, august: Document
) -> None:
    assert news(before, august) == [
        f"{GENERATIONS} request plugins: field only at orq (optional array of object)",
        f"{EDITS}: operation only at orq (createImageEdit)",
    ]


NEWER_THAN_AUGUST = {
    "fallback_on_codes, at the top level and inside orq": [
        f"{operation} request {field}: field only here (optional array of integer)"
        for operation in (GENERATIONS, VARIATIONS, EDITS)
        for field in ("fallback_on_codes", "orq.fallback_on_codes")
    ],
    "the PII redaction plugin in its newer form": [
        f"{GENERATIONS} request plugins[]: one shape here, one of 3 shapes at orq",
        f"{GENERATIONS} request plugins[].language: values free here, limited to en, nl at orq",
        f"{GENERATIONS} request plugins[].regions: field only here (optional array of string)",
        f"{GENERATIONS} request plugins[].entities[]: values free here, limited to AGE, API_KEY, "
        "BANK_ROUTING, BIC, BIOMETRIC_ID, BLOOD_TYPE, BSN, CREDIT_CARD, and 46 more at orq",
        f"{GENERATIONS} request plugins[].entity_thresholds: field only here (optional object)",
    ],
    "cache.ttl defaults to 3600 seconds": [
        f"{operation} request {field}: default 3600 here, 1800 at orq"
        for operation in (GENERATIONS, VARIATIONS, EDITS)
        for field in ("cache.ttl", "orq.cache.ttl")
    ],
}


def test_after_following_orq_only_what_is_newer_than_august_differs(august: Document) -> None:
    """openapi.yaml follows edits, plugins and fallback_on_codes: nothing is news, and what
    differs from August is what orq-ai-sdk 4.17.13 (October) has and August lacks."""
    report = run({DOCUMENT: august}, load(ROOT / "openapi.yaml"), declared.load(DECLARATIONS))
    assert [difference.line() for difference in report.news] == []
    covered = {d.what: sorted(p.line() for p in places) for d, places in report.covered.items()}
    for what, lines in NEWER_THAN_AUGUST.items():
        assert covered[what] == sorted(lines)
        assert next(d for d in report.covered if d.what == what).why.startswith(
            "orq-ai-sdk 4.17.13, October 2026, is newer than the August document"
        )
    assert main([str(AUGUST), "--no-sdk"]) == 0


def test_declared_differences_are_shown_as_declared(before: Document, august: Document) -> None:
    report = run({DOCUMENT: august}, before, declared.load(DECLARATIONS))
    text = report.text().splitlines()
    assert text[0] == f"{DOCUMENT} differs from openapi.yaml in 2 undeclared ways:"
    assert "Declared in upstream-differences.yaml, not news:" in text
    by_what = {d.what: [p.line() for p in places] for d, places in report.covered.items()}
    assert (
        f"{GENERATIONS} request retry.count: type integer here, number at orq"
        in (by_what["integer where orq says number"])
    )
    assert by_what["our server is https://api.orq.ai"] == [
        "servers: https://api.orq.ai here, https://my.orq.ai at orq"
    ]
    assert (
        f"{VARIATIONS} response 4XX: declared here, not at orq"
        in (by_what["error responses are declared"])
    )
    verbose = report.text(verbose=True)
    assert f"    {GENERATIONS} response 200 created: type integer here, number at orq" in verbose


def test_a_restyled_document_is_no_different(august: Document) -> None:
    """Named components against inline schemas, member order, both spellings of nullable,
    const against a one-value enum, the order of `required`: style, not structure."""

    def restyle(document: Document) -> None:
        schemas = document["components"]["schemas"]
        request = generation(document)
        schemas["Retry"] = request["properties"]["retry"]
        request["properties"]["retry"] = {"$ref": "#/components/schemas/Retry"}
        request["properties"]["plugins"]["items"]["anyOf"].reverse()
        background = request["properties"]["background"]
        request["properties"]["background"] = {
            "anyOf": [
                {"type": "string", "enum": [v for v in background["enum"] if v is not None]},
                {"type": "null"},
            ]
        }
        request["required"].reverse()
        schemas["PIIRedactionPluginNl"]["properties"]["language"] = {
            "const": "nl",
            "type": "string",
        }
        document["paths"]["/v2/router/images/edits"]["post"]["x-speakeasy-ignore"] = True

    assert compare(august, edited(august, restyle)) == []


CASES: list[tuple[str, Callable[[Document], object], list[str]]] = [
    (
        "a nested field added",
        lambda d: generation(d)["properties"]["orq"]["properties"].update(
            fallback_on_codes={"type": "array", "items": {"type": "number"}, "maxItems": 20}
        ),
        [
            f"{GENERATIONS} request orq.fallback_on_codes: "
            "field only at orq (optional array of number)"
        ],
    ),
    (
        "a field removed",
        lambda d: generation(d)["properties"].pop("style"),
        [f"{GENERATIONS} request style: field only here (optional string or null)"],
    ),
    (
        "enum values added and removed",
        lambda d: generation(d)["properties"]["quality"].update(
            enum=["auto", "high", "medium", "low", "standard", "ultra", None]
        ),
        [
            f"{GENERATIONS} request quality: values only at orq: ultra",
            f"{GENERATIONS} request quality: values only here: hd",
        ],
    ),
    (
        "a range widened",
        lambda d: variation(d)["properties"]["n"].update(maximum=20),
        [f"{VARIATIONS} request n: maximum 10 here, 20 at orq"],
    ),
    (
        "a field now required",
        lambda d: generation(d)["required"].append("size"),
        [f"{GENERATIONS} request size: optional here, required at orq"],
    ),
    (
        "a default changed",
        lambda d: variation(d)["properties"]["response_format"].update(default="b64_json"),
        [f"{VARIATIONS} request response_format: default url here, b64_json at orq"],
    ),
    (
        "a field deprecated",
        lambda d: generation(d)["properties"]["name"].update(deprecated=True),
        [f"{GENERATIONS} request name: not deprecated here, deprecated at orq"],
    ),
    (
        "a type changed",
        lambda d: generation(d)["properties"]["size"].update(type=["integer", "null"]),
        [f"{GENERATIONS} request size: type string here, integer at orq"],
    ),
    (
        "null no longer allowed",
        lambda d: generation(d)["properties"]["moderation"].update(type="string"),
        [f"{GENERATIONS} request moderation: null allowed here, refused at orq"],
    ),
    (
        "a nested response field removed",
        lambda d: d["paths"]["/v2/router/images/generations"]["post"]["responses"]["200"][
            "content"
        ]["application/json"]["schema"]["properties"]["usage"]["properties"].pop("total_tokens"),
        [f"{GENERATIONS} response 200 usage.total_tokens: field only here (optional integer)"],
    ),
    (
        "an operation removed",
        lambda d: d["paths"].pop("/v2/router/images/variations"),
        [f"{VARIATIONS}: operation only here"],
    ),
    (
        "a parameter added",
        lambda d: d["paths"]["/v2/router/images/generations"]["post"].update(
            parameters=[{"name": "x-trace", "in": "header", "schema": {"type": "string"}}]
        ),
        [f"{GENERATIONS} header parameter x-trace: parameter only at orq"],
    ),
    (
        "a body's media type changed",
        lambda d: d["paths"]["/v2/router/images/variations"]["post"]["requestBody"].update(
            content={"application/json": {"schema": variation(d)}}
        ),
        [
            f"{VARIATIONS} request: media type multipart/form-data only here",
            f"{VARIATIONS} request: media type application/json only at orq",
        ],
    ),
    (
        "operations outside the image endpoints are not ours",
        lambda d: d["paths"].update(
            {"/v2/router/chat/completions": d["paths"]["/v2/router/images/generations"]}
        ),
        [],
    ),
    (
        "orq taking our side of a declared difference is no news",
        lambda d: d.update(servers=[{"url": "https://api.orq.ai"}]),
        [],
    ),
    (
        "a whole number that orq makes a string is news despite the integer declaration",
        lambda d: variation(d)["properties"]["n"].update(type=["string", "null"]),
        [f"{VARIATIONS} request n: type integer here, string at orq"],
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_change_is_reported_exactly(
    before: Document,
    august: Document,
    edit: Callable[[Document], object],
    expected: list[str],
) -> None:
    baseline = news(before, august)
    after = news(before, edited(august, edit))
    assert [line for line in after if line not in baseline] == expected
    assert [line for line in baseline if line not in after] == []


def test_a_new_variant_of_a_union_is_reported_by_its_fields(august: Document) -> None:
    def add_german(document: Document) -> None:
        schemas = document["components"]["schemas"]
        german = copy.deepcopy(schemas["PIIRedactionPluginNl"])
        german["properties"]["language"]["enum"] = ["de"]
        schemas["PIIRedactionPluginDe"] = german
        generation(document)["properties"]["plugins"]["items"]["anyOf"].append(
            {"$ref": "#/components/schemas/PIIRedactionPluginDe"}
        )

    assert [d.line() for d in compare(august, edited(august, add_german))] == [
        f"{GENERATIONS} request plugins[]: one of 3 shapes here, one of 4 shapes at orq",
        f"{GENERATIONS} request plugins[].language: values only at orq: de",
    ]


def test_exit_status_and_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(AUGUST), "--no-sdk", "--ours", str(BEFORE)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[1:3] == [
        f"  {GENERATIONS} request plugins: field only at orq (optional array of object)",
        f"  {EDITS}: operation only at orq (createImageEdit)",
    ]
    assert main([str(AUGUST), "--no-sdk", "--ours", str(AUGUST)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"openapi.yaml is in step with {DOCUMENT}: nothing undeclared differs."
    # Compared with itself, nothing is different, so no declaration is needed any more.
    assert lines[1].startswith("Declared but not seen; if orq has caught up, remove from")
    assert "  integer where orq says number" in lines
    assert main([str(tmp_path / "missing.yaml"), "--no-sdk"]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_a_spec_it_cannot_read_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = edited(
        load(BEFORE),
        lambda d: d["components"]["schemas"]["CreateImageRequest"]["properties"].update(retry=[]),
    )
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert main([str(AUGUST), "--no-sdk", "--ours", str(path)]) == 2
    assert capsys.readouterr().err == (
        "upstream-diff: openapi.yaml: #/components/schemas/CreateImageRequest/properties/retry: "
        "a schema must be a mapping, found list\n"
    )


def test_source_may_be_a_url(server: LoopbackServer) -> None:
    server.queue(Reply(200, AUGUST.read_text(encoding="utf-8")))
    assert read_document(f"{server.url}/openapi.yaml") == load(AUGUST)
    assert [r.path for r in server.requests] == ["/openapi.yaml"]


def test_the_script_runs_from_anywhere(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "upstream-diff"), str(AUGUST), "--no-sdk"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Declared in upstream-differences.yaml" in result.stdout


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"what": "x", "why": "y", "kind": "colour"}, "kind 'colour' is not one of"),
        ({"what": "x", "kind": "type"}, "`why` is required"),
        ({"what": "x", "why": "y", "kind": "type", "wher": "*"}, "unknown keys ['wher']"),
    ],
)
def test_a_malformed_declaration_is_named(
    tmp_path: Path, entry: dict[str, str], message: str
) -> None:
    path = tmp_path / "differences.yaml"
    path.write_text(yaml.safe_dump({"differences": [entry]}), encoding="utf-8")
    with pytest.raises(declared.DeclarationError, match=r"differences\[0\] \(x\)") as caught:
        declared.load(path)
    assert message in str(caught.value)


def test_where_patterns_read_brackets_as_items_and_kinds_may_be_listed(tmp_path: Path) -> None:
    path = tmp_path / "differences.yaml"
    entry = {
        "what": "x",
        "why": "y",
        "kind": ["enum", "field"],
        "where": ["* request plugins[].entities[]", "* response [45]XX"],
    }
    path.write_text(yaml.safe_dump({"differences": [entry]}), encoding="utf-8")
    [declaration] = declared.load(path)

    def covers(kind: str, where: str) -> bool:
        difference = Difference(Place(where), kind, "", "", breaking=False)
        return declaration.covers(Finding(DOCUMENT, difference))

    assert covers("enum", f"{GENERATIONS} request plugins[].entities[]")
    assert covers("field", f"{GENERATIONS} response 4XX")
    assert not covers("enum", f"{GENERATIONS} request plugins[].entitiesx")
    assert not covers("enum", f"{GENERATIONS} request plugins.entities[]")
    assert not covers("type", f"{GENERATIONS} request plugins[].entities[]")


class IndentedLists(yaml.SafeDumper):
    """Lists indented under their key, as orq's own document writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def in_scope(path: str) -> bool:
    return path.startswith("/v2/router/images")


@pytest.mark.parametrize("dumper", [yaml.SafeDumper, IndentedLists], ids=["pyyaml", "orq"])
def test_only_the_compared_operations_and_what_they_use_are_read(
    august: Document, before: Document, tmp_path: Path, dumper: type[yaml.SafeDumper]
) -> None:
    """orq's full document is several MB: the rest of its API is skipped unparsed."""
    padded = copy.deepcopy(august)
    for number in range(3):
        padded["paths"][f"/v2/other/{number}"] = {
            "get": {"responses": {"200": {"$ref": "#/components/responses/Other"}}}
        }
    padded["components"]["responses"] = {
        "Other": {"description": "x", "content": {"application/json": {"schema": {}}}}
    }
    path = tmp_path / "orq.yaml"
    path.write_text(yaml.dump(padded, Dumper=dumper, sort_keys=False), encoding="utf-8")

    sliced = read_document(str(path), in_scope)

    assert set(sliced["paths"]) == set(august["paths"])
    assert sliced["components"] == august["components"]
    assert {k: v for k, v in sliced.items() if k != "components"} == {
        k: v for k, v in august.items() if k != "components"
    }
    assert compare(before, sliced) == compare(before, august)


@pytest.mark.parametrize(
    "text",
    [
        '{"openapi": "3.1.0", "paths": {"/v2/router/images/x": {"get": {}}}}',
        "openapi: 3.1.0\npaths: {/v2/router/images/x: {get: {}}}\n",
        "---\nopenapi: 3.1.0\npaths:\n  /v2/router/images/x:\n    get: {}\n",
        "x-empty: &empty {}\npaths:\n  /v2/router/images/x:\n    get: *empty\n",
    ],
    ids=["json", "flow style", "document marker", "an alias across entries"],
)
def test_a_document_laid_out_otherwise_is_read_whole(tmp_path: Path, text: str) -> None:
    path = tmp_path / "orq.yaml"
    path.write_text(text, encoding="utf-8")
    assert read_document(str(path), in_scope)["paths"] == {"/v2/router/images/x": {"get": {}}}
