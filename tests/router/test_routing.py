"""orq's routing fields, observed through the router's response headers."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from orq_images.testing import LocalRouter, ModelFailure
from orq_images.testing._cache import CachedResponse, ResponseCache
from orq_images.testing._routing import Balancer, plan
from tests.router.conftest import GENERATIONS, NO_TLS, VARIATIONS
from tests.router.pngcheck import encode_png


def _generate(http: httpx2.Client, **body: Any) -> httpx2.Response:
    return http.post(
        GENERATIONS,
        json={"prompt": "a fox", "model": "openai/gpt-image-1", "size": "16x16", **body},
    )


def _client(router: LocalRouter) -> httpx2.Client:
    return httpx2.Client(base_url=router.url, headers={"Authorization": "Bearer k"}, verify=NO_TLS)


@pytest.fixture
def broken() -> Iterator[tuple[LocalRouter, httpx2.Client]]:
    with LocalRouter(failing_models={"openai/broken"}) as router, _client(router) as client:
        yield router, client


CACHE = {"type": "exact_match", "ttl": 60}


@pytest.mark.parametrize("where", ["top", "orq"])
def test_cache_serves_the_identical_response(broken: Any, where: str) -> None:
    router, client = broken
    cache = {"cache": CACHE} if where == "top" else {"orq": {"cache": CACHE}}
    first = _generate(client, model="m", **cache)
    # Had the second call reached the model, it would fail now.
    router.fail_model("m")
    second = _generate(client, model="m", **cache)
    assert first.headers["x-orq-cache"] == "miss"
    assert second.status_code == 200
    assert second.headers["x-orq-cache"] == "hit"
    assert second.content == first.content
    assert second.headers["x-orq-served-by"] == "m"
    assert second.headers["x-orq-attempts"] == "0"


def test_a_different_request_misses_the_cache(http: httpx2.Client) -> None:
    _generate(http, cache=CACHE)
    assert _generate(http, cache=CACHE, prompt="a wolf").headers["x-orq-cache"] == "miss"
    assert "x-orq-cache" not in _generate(http).headers


def test_cache_covers_the_uploaded_image(http: httpx2.Client) -> None:
    def vary(pixel: int) -> httpx2.Response:
        upload = encode_png(2, 2, 2, [bytes([pixel] * 6)] * 2, [0, 0])
        return http.post(
            VARIATIONS,
            data={"model": "m", "size": "256x256", "cache": '{"type": "exact_match"}'},
            files={"image": ("a.png", upload, "image/png")},
        )

    assert [
        vary(1).headers["x-orq-cache"],
        vary(1).headers["x-orq-cache"],
        vary(2).headers["x-orq-cache"],
    ] == ["miss", "hit", "miss"]


@pytest.mark.parametrize("where", ["top", "orq"])
def test_a_cache_without_ttl_keeps_responses_for_the_spec_default(where: str) -> None:
    """orq's default (3600 s since orq-ai-sdk 4.17.13), as openapi.yaml states it."""
    spec_path = Path(__file__).resolve().parents[2] / "openapi.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    default = spec["components"]["schemas"]["Cache"]["properties"]["ttl"]["default"]
    cache = {"type": "exact_match"}
    request = {"model": "m", **({"cache": cache} if where == "top" else {"orq": {"cache": cache}})}
    assert plan(request, Balancer()).cache_ttl == default == 3600
    assert plan({**request, "cache": CACHE}, Balancer()).cache_ttl == CACHE["ttl"]


def test_cache_entries_expire_after_their_ttl() -> None:
    now = [100.0]
    cache = ResponseCache(clock=lambda: now[0])
    cache.put("k", CachedResponse(b"body", "m"), ttl=30)
    now[0] = 129.9
    assert cache.get("k") == CachedResponse(b"body", "m")
    now[0] = 130.0
    assert cache.get("k") is None


def test_a_failing_model_falls_back(broken: Any) -> None:
    _, client = broken
    response = _generate(client, model="openai/broken", fallbacks=[{"model": "openai/dall-e-3"}])
    assert response.status_code == 200
    assert response.headers["x-orq-served-by"] == "openai/dall-e-3"
    assert response.headers["x-orq-attempts"] == "2"


def test_fallbacks_under_orq_are_honoured(broken: Any) -> None:
    _, client = broken
    response = _generate(
        client,
        model="openai/broken",
        orq={"fallbacks": [{"model": "openai/broken"}, {"model": "b"}]},
    )
    assert response.headers["x-orq-served-by"] == "b"


def test_when_every_model_fails_the_error_names_them(broken: Any) -> None:
    router, client = broken
    router.fail_model("openai/also-broken", ModelFailure(status=502))
    response = _generate(client, model="openai/broken", fallbacks=[{"model": "openai/also-broken"}])
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "all_models_failed"
    assert "openai/broken answered 503" in response.json()["error"]["message"]
    assert "openai/also-broken answered 502" in response.json()["error"]["message"]
    assert "x-orq-served-by" not in response.headers


def test_a_healed_model_serves_again(broken: Any) -> None:
    router, client = broken
    assert _generate(client, model="openai/broken").status_code == 503
    router.heal_model("openai/broken")
    assert _generate(client, model="openai/broken").status_code == 200


def test_retry_on_a_listed_code_until_the_model_recovers() -> None:
    failing = {"openai/flaky": ModelFailure(status=429, times=2)}
    with LocalRouter(failing_models=failing) as router, _client(router) as client:
        response = _generate(client, model="openai/flaky", retry={"count": 3, "on_codes": [429]})
    assert response.status_code == 200
    assert response.headers["x-orq-served-by"] == "openai/flaky"
    assert response.headers["x-orq-attempts"] == "3"


def test_retries_stop_at_count_then_fall_back(broken: Any) -> None:
    _, client = broken
    response = _generate(
        client,
        model="openai/broken",
        fallbacks=[{"model": "ok"}],
        orq={"retry": {"count": 2, "on_codes": [503]}},
    )
    assert response.headers["x-orq-attempts"] == "4"  # 1 + 2 retries, then the fallback
    assert response.headers["x-orq-served-by"] == "ok"


def test_a_code_not_listed_is_not_retried(broken: Any) -> None:
    _, client = broken
    response = _generate(client, model="openai/broken", retry={"count": 5, "on_codes": [429]})
    assert response.status_code == 503
    assert response.headers["x-orq-attempts"] == "1"


def test_load_balancer_shares_calls_by_weight(http: httpx2.Client) -> None:
    balancer = {
        "type": "weight_based",
        "models": [{"model": "a", "weight": 0.7}, {"model": "b", "weight": 0.3}],
    }
    served = Counter(
        _generate(http, load_balancer=balancer).headers["x-orq-served-by"] for _ in range(10)
    )
    assert served == {"a": 7, "b": 3}


def test_load_balancer_moves_off_a_failing_model(broken: Any) -> None:
    _, client = broken
    balancer = {
        "type": "weight_based",
        "models": [{"model": "openai/broken", "weight": 0.9}, {"model": "b", "weight": 0.1}],
    }
    responses = [_generate(client, orq={"load_balancer": balancer}) for _ in range(4)]
    assert {r.status_code for r in responses} == {200}
    assert {r.headers["x-orq-served-by"] for r in responses} == {"b"}


def test_an_empty_load_balancer_uses_the_model(http: httpx2.Client) -> None:
    response = _generate(http, load_balancer={"type": "weight_based", "models": []})
    assert response.headers["x-orq-served-by"] == "openai/gpt-image-1"


def test_a_call_timeout_below_the_model_latency_fails_over() -> None:
    with LocalRouter(latency=0.2) as router, _client(router) as client:
        started = time.perf_counter()
        slow = _generate(client, timeout={"call_timeout": 50})
        elapsed = time.perf_counter() - started
        fell_back = _generate(client, timeout={"call_timeout": 50}, fallbacks=[{"model": "b"}])
        patient = _generate(client, timeout={"call_timeout": 1000})
    assert slow.status_code == 504
    assert 0.04 < elapsed < 0.19
    assert fell_back.status_code == 504  # the fallback is just as slow
    assert fell_back.headers["x-orq-attempts"] == "2"
    assert patient.status_code == 200


def test_a_model_name_is_made_safe_for_a_header(http: httpx2.Client) -> None:
    response = _generate(http, model="café\r\nX-Injected: 1")
    assert response.status_code == 200
    assert response.headers["x-orq-served-by"] == "caf%C3%A9%0D%0AX-Injected: 1"
    assert "x-injected" not in response.headers


def test_model_failures_are_checked() -> None:
    with pytest.raises(ValueError, match="error status"):
        ModelFailure(status=200)
    with pytest.raises(ValueError, match="times"):
        ModelFailure(times=0)
