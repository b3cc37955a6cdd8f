"""The retry policy: when a failed request is sent again, and after how long.

The decision is one pure function, `next_delay`; the send flow (_send.py) asks
it after every attempt. A call can override the client's policy through the
request extension `RETRY_EXTENSION`.
"""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx2

from ._exceptions import InvalidRequestError, InvalidRequestTypeError

RETRY_EXTENSION = "orq_images.retry"
# Sent with every attempt of a request: 0 on the first, 1 on the first retry, ...
RETRY_COUNT_HEADER = "X-Retry-Count"


@dataclass(frozen=True)
class RetryConfig:
    """When and how often a failed request is sent again.

    What is retried depends on what the server may have done with the attempt:
    - not sent (connection refused, connect or pool timeout, an upload cut off
      before its end): retried, unless `retry_connection_errors` is False;
    - sent whole but not answered (read timeout, connection reset or closed
      before a status): the server may be generating the images, so it is not
      sent again unless `retry_unanswered` is True (downloads, plain GETs, are);
    - answered with a status: retried on `retry_statuses` (or when the answer
      says `x-should-retry: true`); a success is never sent again, whatever
      becomes of its body.

    The wait before retry n (from 0) is `backoff_initial * backoff_multiplier**n`
    seconds, capped at `backoff_max`, less up to `jitter` of itself at random,
    unless the server asks for a wait with Retry-After or retry-after-ms: that
    wait is kept, plus up to `jitter` of itself, so that clients told the same
    wait do not all come back at once. A requested wait above `max_retry_after`
    is not honoured by waiting: the error is raised at once. A Retry-After that
    is not a number of seconds or a date is ignored.

    orq-ai-sdk's `RetryConfig("backoff", BackoffStrategy(...), ...)` is built by
    `orq_images.utils.RetryConfig`, which returns one of these.
    """

    max_retries: int = 2
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = field(
        default_factory=lambda: frozenset({408, 409, 429, 500, 502, 503, 504})
    )
    retry_connection_errors: bool = True
    backoff_multiplier: float = 2.0
    retry_unanswered: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, str):
            raise InvalidRequestTypeError(
                "max_retries",
                f"{self.max_retries!r} starts orq-ai-sdk's RetryConfig(strategy, backoff, "
                "retry_connection_errors); this RetryConfig takes max_retries=. To keep "
                "orq-ai-sdk's form, import it as `from orq_images.utils import BackoffStrategy, "
                "RetryConfig`",
            )
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise InvalidRequestTypeError(
                "max_retries", f"expected a whole number, got {self.max_retries!r}"
            )
        if self.max_retries < 0:
            raise InvalidRequestError("max_retries", f"must be 0 or more, got {self.max_retries}")
        for name in ("backoff_initial", "backoff_max", "max_retry_after", "backoff_multiplier"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidRequestTypeError(name, f"expected a number, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise InvalidRequestError(name, f"must be a finite number, 0 or more: {value!r}")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, int | float):
            raise InvalidRequestTypeError("jitter", f"expected a number, got {self.jitter!r}")
        if not 0 <= self.jitter <= 1:
            raise InvalidRequestError("jitter", f"must be between 0 and 1, got {self.jitter}")

    @classmethod
    def coerce(cls, value: RetryConfig | int, base: RetryConfig) -> RetryConfig:
        """`retries=` takes a RetryConfig or a number of retries on top of the client's policy.

        orq-ai-sdk's own RetryConfig objects are converted (orq_images.utils).
        """
        if isinstance(value, RetryConfig):
            return value
        if is_orq_ai_sdk_retry_config(value):
            from .utils import converted  # noqa: PLC0415 - only ported code needs it

            return converted(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequestTypeError(
                "retries", f"expected a RetryConfig or a whole number, got {value!r}"
            )
        if value < 0:
            raise InvalidRequestError("retries", f"must be 0 or more, got {value}")
        return cls(**{**base.__dict__, "max_retries": value})


NO_RETRIES = RetryConfig(max_retries=0)


def is_orq_ai_sdk_retry_config(value: object) -> bool:
    """Whether `value` is orq-ai-sdk's RetryConfig (read by its attributes, not imported)."""
    return all(hasattr(value, name) for name in ("strategy", "backoff", "retry_connection_errors"))


def _seconds(value: str | None) -> float | None:
    """A header's number, never negative; None when it is absent or not a finite number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return max(number, 0.0) if math.isfinite(number) else None


def _date_seconds(value: str) -> float | None:
    """Seconds from now until an HTTP date, never negative; None when it is not one."""
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max((when - datetime.now(UTC)).total_seconds(), 0.0)
    except Exception:  # any header text: a zone of 10**19 overflows, others fail otherwise
        return None


def retry_after_seconds(headers: httpx2.Headers) -> float | None:
    """The wait a response asks for: retry-after-ms, or Retry-After in seconds or as a date.

    None when it asks for none, or for one that cannot be read: never an exception.
    """
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    return seconds if seconds is not None else _date_seconds(value)


def _backoff(config: RetryConfig, retry_number: int) -> float:
    try:
        grown = config.backoff_initial * config.backoff_multiplier**retry_number
    except OverflowError:  # a float power past 1e308, long after the cap
        grown = config.backoff_max
    delay = min(grown, config.backoff_max)
    return delay * (1 - config.jitter * random.random())  # noqa: S311 - jitter, not crypto


# The attempt never reached the server whole: nothing can have been done with it.
_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.WriteError,
             httpx2.WriteTimeout)  # fmt: skip
# The request went out and no status came back: the server may be working on it.
_UNANSWERED = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)


def succeeded(response: httpx2.Response) -> bool:
    """A 2xx answer: `response.is_success`, without its lookup through httpx2's status
    enum, which costs every call a few allocations at each of the places that ask."""
    return 200 <= response.status_code < 300


def next_delay(
    config: RetryConfig,
    retry_number: int,
    *,
    response: httpx2.Response | None = None,
    error: Exception | None = None,
    idempotent: bool = False,
    unsent: bool = False,
) -> float | None:
    """Seconds to wait before sending again, or None to stop and hand back the outcome.

    `idempotent`: sending the request twice has no more effect than once (a GET).
    `unsent`: the request is known not to have reached the server whole.
    """
    if retry_number >= config.max_retries:
        return None
    if error is not None:
        resend = _resend(config, error, idempotent, unsent)
        return _backoff(config, retry_number) if resend else None
    assert response is not None
    if succeeded(response):
        return None  # a success is never sent twice, whatever x-should-retry says
    should_retry = response.headers.get("x-should-retry")
    if should_retry == "false" or (
        should_retry != "true" and response.status_code not in config.retry_statuses
    ):
        return None
    return _told_or_backoff(config, retry_number, response.headers)


def _told_or_backoff(
    config: RetryConfig, retry_number: int, headers: httpx2.Headers
) -> float | None:
    """The wait the answer asks for, made longer by up to `jitter` of itself so that clients
    told the same wait spread out (never shorter: the server asked for at least that);
    None if it is above max_retry_after; the backoff when it asks for none."""
    asked = retry_after_seconds(headers)
    if asked is None:
        return _backoff(config, retry_number)
    if asked > config.max_retry_after:
        return None
    return asked * (1 + config.jitter * random.random())  # noqa: S311 - jitter, not crypto


def _resend(config: RetryConfig, error: Exception, idempotent: bool, unsent: bool) -> bool:
    """Whether an attempt that failed with `error` may be sent again (see RetryConfig)."""
    if not config.retry_connection_errors:
        return False
    if unsent or isinstance(error, _NOT_SENT):
        return True
    return isinstance(error, _UNANSWERED) and (idempotent or config.retry_unanswered)
