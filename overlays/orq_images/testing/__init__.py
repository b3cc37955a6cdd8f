"""Test against orq's image router without an account or a network.

    from orq_images.testing import LocalRouter

    with LocalRouter() as router:
        ...  # point a client at router.url

The names below load on first use: pytest imports this package for its
`orq_router` fixture in every test session, and that must stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._log import LoggedRequest, UploadedFile
    from ._router import LocalRouter
    from ._routing import ModelFailure

_EXPORTS = {
    "LocalRouter": "._router",
    "LoggedRequest": "._log",
    "ModelFailure": "._routing",
    "UploadedFile": "._log",
}

__all__ = ["LocalRouter", "LoggedRequest", "ModelFailure", "UploadedFile"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
