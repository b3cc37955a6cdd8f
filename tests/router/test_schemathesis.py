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

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from orq_images.testing import LocalRouter
from tests.router.spec_check import SPEC_PATH

KEY = "schemathesis-key"
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
