"""pytest fixtures, registered through the `pytest11` entry point of orq-images.

    def test_my_app(orq_router):
        app = MyApp(orq_server_url=orq_router.url, orq_api_key="test")
        ...
        assert orq_router.requests[0].status == 200

The router is imported inside the fixture, so that a test session that does
not use it pays nothing for this plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from orq_images.testing import LocalRouter


@pytest.fixture
def orq_router() -> Iterator[LocalRouter]:
    """A LocalRouter running for the duration of one test."""
    from orq_images.testing import LocalRouter  # noqa: PLC0415 - lazy, see above

    with LocalRouter() as router:
        yield router
