"""Older request shapes that orq's docs still show, upgraded to what the live API takes.

These shapes are not in the spec (fields the spec marks deprecated warn through
the validator, _schema.py). Each upgrade warns with a DeprecationWarning that
points at the caller's line, so pasted examples keep working while their authors
learn the current shape.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The client's frames: its engine and, in its _generated subpackage, its surface.
_PACKAGE_DIRS = (str(Path(__file__).parent),)


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside this package, for warnings.warn."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn_deprecated(message: str) -> None:
    """A DeprecationWarning that points at the first line outside orq_images."""
    warnings.warn(message, DeprecationWarning, stacklevel=_caller_stacklevel())


def _upgrade_load_balancer(value: Any, where: str) -> Any:
    # Seed docs show `load_balancer` as a list of {type, model, weight}; the API
    # takes {"type": "weight_based", "models": [{model, weight}]}.
    if not isinstance(value, list | tuple):
        return value
    warn_deprecated(
        f"{where} as a list of {{type, model, weight}} is deprecated; pass "
        '{"type": "weight_based", "models": [{"model": ..., "weight": ...}]}. '
        "The list was sent in that form."
    )
    models = []
    for entry in value:
        if isinstance(entry, Mapping):
            models.append({k: v for k, v in entry.items() if k != "type"})
        else:
            models.append(entry)  # left for validation to name
    types = {entry.get("type") for entry in value if isinstance(entry, Mapping)}
    kind = types.pop() if len(types) == 1 else "weight_based"
    return {"type": kind, "models": models}


def upgrade_legacy_shapes(body: dict[str, Any]) -> dict[str, Any]:
    """Upgrade deprecated shapes in a request body, warning once for each."""
    if "load_balancer" in body:
        body["load_balancer"] = _upgrade_load_balancer(body["load_balancer"], "load_balancer")
    orq = body.get("orq")
    if isinstance(orq, Mapping) and "load_balancer" in orq:
        orq = dict(orq)  # the caller's own stays as it was
        orq["load_balancer"] = _upgrade_load_balancer(orq["load_balancer"], "orq.load_balancer")
        body["orq"] = orq
    return body
