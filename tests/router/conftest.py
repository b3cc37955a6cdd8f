"""Plain-httpx access to a LocalRouter, independent of the SDK's client."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx2
import pytest

from orq_images.testing import LocalRouter

GENERATIONS = "/v2/router/images/generations"
VARIATIONS = "/v2/router/images/variations"
# Loading the CA bundle costs ~40 ms per client; these plain-HTTP clients share one.
NO_TLS = ssl.create_default_context()


@pytest.fixture
def http(orq_router: LocalRouter) -> Iterator[httpx2.Client]:
    with httpx2.Client(
        base_url=orq_router.url,
        headers={"Authorization": "Bearer test-key"},
        timeout=10,
        verify=NO_TLS,
    ) as client:
        yield client
