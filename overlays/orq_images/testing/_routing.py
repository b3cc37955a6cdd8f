"""orq's routing fields, applied to models that fail on purpose.

The routing settings come from the top level of the request or from under
`orq`; when a field is set in both places the top-level one applies. The
models are tried in order: the load balancer's pick first (then its other
models, heaviest first), or the request's `model` when there is no balancer;
then each fallback. A failed call whose status is in `retry.on_codes` is
retried on the same model up to `retry.count` times before moving on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._spec import field_default


@dataclass(frozen=True)
class ModelFailure:
    """How a model fails: with `status`, on every call or only on the first `times` calls."""

    status: int = 503
    times: int | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"a failing model needs an error status (400-599), got {self.status}")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be at least 1, got {self.times}")


class ModelBoard:
    """Which models fail and how; counts down the failures that are limited in number."""

    def __init__(self) -> None:
        self._failures: dict[str, ModelFailure] = {}
        self._left: dict[str, int] = {}
        self._lock = threading.Lock()

    def fail(self, model: str, failure: ModelFailure) -> None:
        with self._lock:
            self._failures[model] = failure
            if failure.times is not None:
                self._left[model] = failure.times
            else:
                self._left.pop(model, None)

    def heal(self, model: str) -> None:
        with self._lock:
            self._failures.pop(model, None)
            self._left.pop(model, None)

    def outcome(self, model: str) -> int | None:
        """The status this call to `model` fails with, or None when it succeeds."""
        with self._lock:
            failure = self._failures.get(model)
            if failure is None:
                return None
            if model in self._left:
                if self._left[model] == 0:
                    return None
                self._left[model] -= 1
            return failure.status


class Balancer:
    """Smooth weighted round robin: over any run of calls each model gets its share,
    in a fixed and repeatable order, so tests can predict which model serves."""

    def __init__(self) -> None:
        self._current: dict[tuple[tuple[str, float], ...], list[float]] = {}
        self._lock = threading.Lock()

    def order(self, weighted: tuple[tuple[str, float], ...]) -> list[str]:
        total = sum(weight for _, weight in weighted)
        with self._lock:
            current = self._current.setdefault(weighted, [0.0] * len(weighted))
            for i, (_, weight) in enumerate(weighted):
                current[i] += weight
            pick = max(range(len(weighted)), key=current.__getitem__)
            current[pick] -= total
        rest = sorted(
            (model for i, (model, _) in enumerate(weighted) if i != pick),
            key=lambda model: -dict(weighted)[model],
        )
        return [weighted[pick][0], *rest]


@dataclass(frozen=True)
class Plan:
    candidates: list[str]
    retry_count: int = 0
    retry_codes: frozenset[int] = field(default_factory=frozenset)
    call_timeout_ms: int | None = None
    cache_ttl: int | None = None


def _setting(request: Mapping[str, Any], name: str) -> Any:
    if name in request:
        return request[name]
    nested = request.get("orq")
    return nested.get(name) if isinstance(nested, Mapping) else None


def plan(request: Mapping[str, Any], balancer: Balancer) -> Plan:
    """The routing of a validated request."""
    balanced = _setting(request, "load_balancer") or {}
    weighted = tuple(
        (m["model"], float(m.get("weight", field_default("LoadBalancerModel", "weight"))))
        for m in balanced.get("models", ())
    )
    candidates = balancer.order(weighted) if weighted else [request["model"]]
    candidates += [fallback["model"] for fallback in _setting(request, "fallbacks") or ()]
    retry = _setting(request, "retry") or {}
    timeout = _setting(request, "timeout") or {}
    cache = _setting(request, "cache") or {}
    return Plan(
        candidates=list(dict.fromkeys(candidates)),
        retry_count=retry.get("count", field_default("Retry", "count")) if retry else 0,
        retry_codes=frozenset(retry.get("on_codes", ())),
        call_timeout_ms=timeout.get("call_timeout"),
        cache_ttl=cache.get("ttl", field_default("Cache", "ttl")) if cache else None,
    )


@dataclass(frozen=True)
class Outcome:
    served_by: str | None
    attempts: int
    failures: list[tuple[str, int]]


def route(routing: Plan, call: Callable[[str], int | None]) -> Outcome:
    """Try the candidates in turn; `call(model)` returns a failure status or None on success."""
    attempts = 0
    failures: list[tuple[str, int]] = []
    for model in routing.candidates:
        retries_left = routing.retry_count
        while True:
            attempts += 1
            status = call(model)
            if status is None:
                return Outcome(model, attempts, failures)
            failures.append((model, status))
            if retries_left == 0 or status not in routing.retry_codes:
                break
            retries_left -= 1
    return Outcome(None, attempts, failures)
