"""Requests generated from openapi.yaml: LocalRouter never answers 5xx and always as the spec says.

Every built-in check runs except positive_data_acceptance: like the live API,
the router refuses some requests the spec cannot rule out (a generation size
that is not WIDTHxHEIGHT, a variation without an image or with one that is
not a PNG, JPEG or WEBP file); test_validation.py covers those refusals.

Positive and negative cases, 50 per operation, with the key schemathesis is
given (so negative cases reach body validation rather than stopping at 401).
The coverage phase is off: its ~1200 boundary requests take 8 s more.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from orq_images.testing import LocalRouter
from tests.router.pngcheck import encode_png
from tests.support.spec_check import SPEC_PATH, spec

KEY = "schemathesis-key"
SMALL_PNG = encode_png(3, 2, 2, [bytes(range(9))] * 2, [0, 1])
config = SchemathesisConfig.from_dict(
    {
        "auth": {"openapi": {"bearerAuth": {"bearer": KEY}}},
        "generation": {
            "mode": "all",
            "max-examples": 50,
            "database": "none",
            "with-security-parameters": False,
        },
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)


class _Form:
    """A multipart operation's body: its fields' schemas and which go as JSON parts."""

    def __init__(self, form: dict[str, Any]) -> None:
        name = form["schema"]["$ref"].rsplit("/", 1)[-1]
        self.fields: dict[str, Any] = spec()["components"]["schemas"][name]["properties"]
        self.json_parts = {
            field
            for field, how in form["encoding"].items()
            if how.get("contentType") == "application/json"
        }
        # Lists sent as repeated `name[]` parts (`style: form, explode: true`); a generator
        # that follows OpenAPI to the letter repeats `name` itself, which is another request.
        self.exploded = {field for field, how in form["encoding"].items() if "style" in how}
        self.files = {field for field, sub in self.fields.items() if sub.get("format") == "binary"}

    def survives_as_text(self, name: str, value: Any) -> bool:
        """Whether a plain form field reads back as the value that was generated."""
        if name in self.exploded and isinstance(value, list):
            return False
        if isinstance(value, str):
            return True
        declared = self.fields.get(name, {}).get("type", [])
        numeric = {"integer", "number"} & set(
            declared if isinstance(declared, list) else [declared]
        )
        return isinstance(value, int | float) and not isinstance(value, bool) and bool(numeric)


_FORMS = {
    path: _Form(content["multipart/form-data"])
    for path, item in spec()["paths"].items()
    if "multipart/form-data" in (content := item["post"]["requestBody"]["content"])
}


@schema.hook
def filter_body(context: schemathesis.HookContext, body: Any) -> bool:
    """Skip form bodies whose wire form is not the body the checks believe was sent.

    A plain (non-JSON) form field carries text only: None goes out as no part,
    a list as one part per item, a number or true in a string field as its text.
    The request on the wire is then a different, often valid one, which the
    negative-data check would wrongly expect to be refused.
    """
    form = None if context.operation is None else _FORMS.get(context.operation.path)
    if form is None or not isinstance(body, dict):
        return True
    return all(
        form.survives_as_text(name, value)
        for name, value in body.items()
        if name not in form.json_parts and name not in form.files
    )


@pytest.fixture(scope="module")
def router() -> Iterator[LocalRouter]:
    # With a fixed key, so that the check that wrong credentials are refused has teeth.
    with LocalRouter(api_key=KEY) as running:
        yield running


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests(case: schemathesis.Case, router: LocalRouter) -> None:
    case.call_and_validate(
        base_url=router.url,
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
