"""What code written for orq-ai-sdk passes keeps working, or fails saying what to write:
its RetryConfig/BackoffStrategy (by import or as its own objects), `client=` and
`async_client=`."""

from __future__ import annotations

import httpx
import httpx2
import pytest
from orq_ai_sdk import utils as orq_ai_sdk_utils

import orq_images
from orq_images import AsyncOrq, InvalidRequestError, InvalidRequestTypeError, Orq
from orq_images.testing import LocalRouter
from orq_images.utils import BackoffStrategy, RetryConfig

FAST = BackoffStrategy(initial_interval=1, max_interval=5, exponent=2.0, max_elapsed_time=400)


def test_orq_ai_sdk_retry_form_maps_to_the_same_policy() -> None:
    config = RetryConfig("backoff", BackoffStrategy(500, 60_000, 1.5, 3_600_000), True)
    assert isinstance(config, orq_images.RetryConfig)
    assert (config.backoff_initial, config.backoff_max, config.backoff_multiplier) == (
        0.5,
        60.0,
        1.5,
    )
    assert config.retry_statuses == {429, 500, 502, 503, 504}
    assert config.retry_connection_errors
    # orq-ai-sdk retries for an hour at these settings: the waits it would make.
    assert 60 <= config.max_retries <= 75
    assert RetryConfig("none", None, False).max_retries == 0
    override = RetryConfig("backoff", FAST, False, ["5XX", "429"])
    assert override.retry_statuses == {429, *range(500, 600)}
    assert not override.retry_connection_errors


@pytest.mark.parametrize(
    ("args", "field", "says"),
    [
        (("linear", FAST, True), "strategy", '"backoff" or "none"'),
        (("backoff", None, True), "backoff", "needs a BackoffStrategy"),
        (("backoff", FAST, "yes"), "retry_connection_errors", "True or False"),
        (("backoff", FAST, True, ["5xx9"]), "status_codes_override[0]", "such as"),
    ],
)
def test_a_bad_orq_ai_sdk_retry_form_names_its_field(
    args: tuple[object, ...], field: str, says: str
) -> None:
    with pytest.raises(InvalidRequestError, match=says) as caught:
        RetryConfig(*args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_orq_ai_sdk_form_given_to_this_sdks_retry_config_says_what_to_write() -> None:
    with pytest.raises(InvalidRequestTypeError) as caught:
        orq_images.RetryConfig("backoff", None, False)  # type: ignore[arg-type]
    assert caught.value.field == "max_retries"
    assert "from orq_images.utils import BackoffStrategy, RetryConfig" in str(caught.value)


def test_orq_ai_sdks_own_retry_objects_retry_here(orq_router: LocalRouter) -> None:
    theirs = orq_ai_sdk_utils.RetryConfig(
        "backoff", orq_ai_sdk_utils.BackoffStrategy(1, 5, 2.0, 400, jitter_ms=0), False
    )
    for _ in range(2):
        orq_router.queue_fault(status=503)
    with Orq(api_key="k", server_url=orq_router.url, retry_config=theirs) as orq:
        orq.router.images.generations.create(prompt="p", model="m", size="8x8")
        orq_router.queue_fault(status=502)
        orq.router.images.generations.create(prompt="p", model="m", size="8x8", retries=theirs)
    assert [r.status for r in orq_router.requests] == [503, 503, 200, 502, 200]


def test_client_and_async_client_take_httpx2_clients(orq_router: LocalRouter) -> None:
    seen: list[str] = []
    with (
        httpx2.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]}) as mine,
        Orq(api_key="k", server_url=orq_router.url, client=mine) as orq,
    ):
        orq.router.images.generations.create(prompt="p", model="m", size="8x8")
        orq.close()
        assert not mine.is_closed  # used as it is: the SDK does not close it
    assert seen == ["/v2/router/images/generations"]


async def test_async_client_is_asyncorqs_http_client(orq_router: LocalRouter) -> None:
    async with (
        httpx2.AsyncClient() as mine,
        AsyncOrq(api_key="k", server_url=orq_router.url, async_client=mine) as orq,
    ):
        await orq.router.images.generations.create(prompt="p", model="m", size="8x8")
        assert not mine.is_closed
    assert len(orq_router.requests) == 1


@pytest.mark.parametrize(
    ("options", "field", "write"),
    [
        (
            {"client": httpx.Client()},
            "client",
            "httpx2.Client(...), same arguments, and pass it as http_client=",
        ),
        ({"http_client": httpx.Client()}, "http_client", "pass it as http_client="),
        ({"async_client": httpx.AsyncClient()}, "async_client", "pass it as async_http_client="),
        ({"client": "a client"}, "client", "expected an httpx2.Client"),
        ({"client": httpx2.Client(), "http_client": httpx2.Client()}, "client", "give one"),
    ],
)
def test_clients_from_httpx_are_refused_with_the_line_to_write(
    options: dict[str, object], field: str, write: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        Orq(api_key="k", **options)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert write in str(caught.value)


def test_asyncorq_refuses_a_sync_client_and_an_httpx_async_one() -> None:
    with pytest.raises(InvalidRequestError, match="as http_client="):
        AsyncOrq(api_key="k", client=httpx2.Client())
    with pytest.raises(InvalidRequestTypeError, match="pass it as http_client="):
        AsyncOrq(api_key="k", async_client=httpx.AsyncClient())  # type: ignore[arg-type]
