"""orq-ai-sdk's retry settings, by the names it gives them.

    from orq_images.utils import BackoffStrategy, RetryConfig

    retry = RetryConfig("backoff", BackoffStrategy(500, 8_000, 2.0, 60_000), True)
    orq = Orq(retry_config=retry)

is the line ported from `from orq_ai_sdk.utils import BackoffStrategy, RetryConfig`
with nothing else changed. `RetryConfig(...)` here returns an orq_images.RetryConfig
doing what orq-ai-sdk's would: waits of `initial_interval * exponent**n`
milliseconds capped at `max_interval`, for as many retries as fit in
`max_elapsed_time`, on orq-ai-sdk's status codes for the image operations
(429, 500, 502, 503, 504) unless `status_codes_override` names others. Three
differences remain: a wait is jittered by up to a quarter of itself rather than
by adding up to `jitter_ms`; a Retry-After above 60 s is not waited for
(orq-ai-sdk waits any time the server asks); and `retry_connection_errors`
retries what never reached the server, not a request that was sent and then
timed out or was cut off (orq-ai-sdk sends that again, and the images may be
generated, and billed, twice; `retry_unanswered=True` on an
orq_images.RetryConfig does the same). orq-ai-sdk's own RetryConfig
objects are converted the same way wherever the SDK takes a RetryConfig.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._exceptions import InvalidRequestError, InvalidRequestTypeError
from ._retry import RetryConfig as _RetryConfig

__all__ = ["BackoffStrategy", "RetryConfig"]

# What orq-ai-sdk 4.17.13 retries for the image operations when no override is given.
_ORQ_AI_SDK_STATUSES = ("429", "500", "502", "503", "504")
# Waits of 0 ms would let orq-ai-sdk retry for all of max_elapsed_time; a bound is kept.
_MOST_RETRIES = 1_000


@dataclass(frozen=True)
class BackoffStrategy:
    """orq-ai-sdk's backoff, in milliseconds: the first wait, the longest wait, the
    factor each wait grows by, and the time after which no retry starts."""

    initial_interval: int
    max_interval: int
    exponent: float
    max_elapsed_time: int
    jitter_ms: int | None = None

    def __post_init__(self) -> None:
        for name in ("initial_interval", "max_interval", "exponent", "max_elapsed_time"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidRequestTypeError(
                    f"backoff.{name}", f"expected a number, got {value!r}"
                )
            if not (math.isfinite(value) and value >= 0):
                raise InvalidRequestError(f"backoff.{name}", f"must be 0 or more, got {value!r}")
        if self.jitter_ms is not None and not (
            isinstance(self.jitter_ms, int | float) and self.jitter_ms >= 0
        ):
            raise InvalidRequestError(
                "backoff.jitter_ms", f"must be 0 or more, got {self.jitter_ms}"
            )


# Named as orq-ai-sdk's class, so that a ported import line works unchanged.
def RetryConfig(
    strategy: str,
    backoff: BackoffStrategy | None,
    retry_connection_errors: bool,
    status_codes_override: Sequence[str] | None = None,
) -> _RetryConfig:
    """orq-ai-sdk's `RetryConfig(strategy, backoff, retry_connection_errors,
    status_codes_override)`, as the orq_images.RetryConfig that does the same.

    `strategy` is "backoff" or "none"; `status_codes_override` lists codes as text,
    "5XX" standing for every code from 500 to 599.
    """
    if strategy not in ("backoff", "none"):
        raise InvalidRequestError("strategy", f'must be "backoff" or "none", got {strategy!r}')
    if not isinstance(retry_connection_errors, bool):
        raise InvalidRequestTypeError(
            "retry_connection_errors", f"expected True or False, got {retry_connection_errors!r}"
        )
    if strategy == "none":
        return _RetryConfig(max_retries=0)
    if backoff is None:
        raise InvalidRequestError(
            "backoff",
            "the backoff strategy needs a BackoffStrategy(initial_interval, max_interval, "
            'exponent, max_elapsed_time), or use RetryConfig("none", None, False) for no retries',
        )
    if not isinstance(backoff, BackoffStrategy):
        backoff = _backoff_of(backoff)
    return _RetryConfig(
        max_retries=_retries_within(backoff),
        backoff_initial=backoff.initial_interval / 1000,
        backoff_max=backoff.max_interval / 1000,
        backoff_multiplier=backoff.exponent,
        retry_statuses=_statuses(status_codes_override or _ORQ_AI_SDK_STATUSES),
        retry_connection_errors=retry_connection_errors,
    )


def converted(value: Any) -> _RetryConfig:
    """orq-ai-sdk's own RetryConfig object, as an orq_images.RetryConfig."""
    return RetryConfig(
        value.strategy,
        value.backoff,
        value.retry_connection_errors,
        getattr(value, "status_codes_override", None),
    )


def _backoff_of(value: Any) -> BackoffStrategy:
    """orq-ai-sdk's own BackoffStrategy object, as this module's."""
    try:
        return BackoffStrategy(
            value.initial_interval,
            value.max_interval,
            value.exponent,
            value.max_elapsed_time,
            getattr(value, "jitter_ms", None),
        )
    except AttributeError:
        raise InvalidRequestTypeError(
            "backoff", f"expected a BackoffStrategy, got {type(value).__name__}"
        ) from None


def _retries_within(backoff: BackoffStrategy) -> int:
    """How many retries orq-ai-sdk starts within `max_elapsed_time`, counting its waits.

    It retries while less than that has passed since the first attempt, each wait
    being `initial_interval * exponent**n` plus a random jitter (up to `jitter_ms`,
    1 s by default; counted here at its mean), capped at `max_interval`. The
    attempts' own time is unknown here, so only the waits are counted.
    """
    jitter = (1000 if backoff.jitter_ms is None else backoff.jitter_ms) / 2
    waited, retries = 0.0, 0
    grown = float(backoff.initial_interval)
    while retries < _MOST_RETRIES:
        waited += min(grown + jitter, backoff.max_interval)
        if waited > backoff.max_elapsed_time:
            break
        retries += 1
        grown = min(grown * backoff.exponent, float(backoff.max_interval))
    return retries


def _statuses(codes: Sequence[str]) -> frozenset[int]:
    found: set[int] = set()
    for index, code in enumerate(codes):
        text = str(code).strip().upper()
        if len(text) == 3 and text[0] in "12345" and text[1:] == "XX":
            found.update(range(int(text[0]) * 100, int(text[0]) * 100 + 100))
        elif text.isdigit() and 100 <= int(text) <= 599:
            found.add(int(text))
        else:
            raise InvalidRequestError(
                f"status_codes_override[{index}]",
                f'expected a status code such as "429" or a range such as "5XX", got {code!r}',
            )
    return frozenset(found)
