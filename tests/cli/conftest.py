"""The CLI in-process, against a LocalRouter."""

from __future__ import annotations

import io

import pytest

from orq_images.testing import LocalRouter


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def router(orq_router: LocalRouter, monkeypatch: pytest.MonkeyPatch) -> LocalRouter:
    """A LocalRouter the CLI finds through ORQ_BASE_URL (ORQ_API_KEY is set for every test)."""
    monkeypatch.setenv("ORQ_BASE_URL", orq_router.url)
    return orq_router
