"""Queued faults and the request log."""

from __future__ import annotations

import threading
import time

import httpx2
import pytest

from orq_images.testing import LocalRouter
from tests.router.conftest import GENERATIONS, VARIATIONS
from tests.router.pngcheck import encode_png

BODY = {"prompt": "p", "model": "m", "size": "8x8"}


def test_a_fault_answers_one_request_then_normal_service_resumes(
    http: httpx2.Client, orq_router: LocalRouter
) -> None:
    orq_router.queue_fault(status=429, headers={"Retry-After": "3"})
    limited = http.post(GENERATIONS, json=BODY)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert limited.json() == {
        "error": {
            "message": "injected fault: status 429",
            "type": "rate_limit_error",
            "code": "injected_fault",
            "param": None,
        }
    }
    assert http.post(GENERATIONS, json=BODY).status_code == 200
    assert orq_router.pending_faults == 0


def test_faults_answer_in_order_whatever_the_request(
    http: httpx2.Client, orq_router: LocalRouter
) -> None:
    orq_router.queue_fault(status=500, body="<html>upstream down</html>")
    orq_router.queue_fault(status=502, body=b"\x00raw")
    orq_router.queue_fault(status=503, body={"error": {"message": "busy"}})
    first = http.post(GENERATIONS, json=BODY)
    second = http.get("/anything")
    third = http.post(GENERATIONS, json=BODY)
    assert (first.status_code, first.text) == (500, "<html>upstream down</html>")
    assert first.headers["content-type"].startswith("text/plain")
    assert (second.status_code, second.content) == (502, b"\x00raw")
    assert (third.status_code, third.json()) == (503, {"error": {"message": "busy"}})


def test_a_fault_can_be_delayed(http: httpx2.Client, orq_router: LocalRouter) -> None:
    orq_router.queue_fault(status=200, body={"created": 1, "data": []}, delay=0.15)
    started = time.perf_counter()
    response = http.post(GENERATIONS, json=BODY)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_a_dropped_connection_is_a_transport_error(
    http: httpx2.Client, orq_router: LocalRouter
) -> None:
    orq_router.queue_fault(drop_connection=True)
    with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
        http.post(GENERATIONS, json=BODY)
    assert http.post(GENERATIONS, json=BODY).status_code == 200
    dropped = orq_router.requests[0]
    assert dropped.status is None
    assert dropped.fault
    assert dropped.body == BODY


def test_faults_are_checked_when_queued(orq_router: LocalRouter) -> None:
    with pytest.raises(ValueError, match="status"):
        orq_router.queue_fault(status=42)
    with pytest.raises(ValueError, match="delay"):
        orq_router.queue_fault(delay=-1)


def test_the_log_records_each_request_with_the_key_redacted(
    http: httpx2.Client, orq_router: LocalRouter
) -> None:
    http.post(GENERATIONS, json=BODY, headers={"Authorization": "Bearer sk-secret-123"})
    upload = encode_png(2, 2, 2, [bytes(6)] * 2, [0, 0])
    http.post(
        VARIATIONS, data={"model": "m", "n": "7"}, files={"image": ("cat.png", upload, "image/png")}
    )
    http.post(GENERATIONS, json={"model": "m"})
    generation, variation, refused = orq_router.requests
    assert (generation.method, generation.path, generation.status) == ("POST", GENERATIONS, 200)
    assert generation.headers["authorization"] == "Bearer [REDACTED]"
    assert "sk-secret-123" not in repr(orq_router.requests)
    assert generation.body == BODY
    assert generation.response_headers["x-orq-served-by"] == "m"
    assert generation.response_headers["x-request-id"].startswith("req_")
    assert not generation.fault
    assert generation.duration > 0
    assert variation.body == {"model": "m", "n": 7}
    assert variation.file is not None
    assert (variation.file.filename, variation.file.size) == ("cat.png", len(upload))
    assert (refused.status, refused.body) == (400, {"model": "m"})
    orq_router.clear_requests()
    assert orq_router.requests == []


def test_the_log_and_the_queue_are_thread_safe(orq_router: LocalRouter) -> None:
    for _ in range(10):
        orq_router.queue_fault(status=503)
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx2.Client(base_url=orq_router.url, headers={"Authorization": "Bearer k"}) as c:
            for _ in range(5):
                status = c.post(GENERATIONS, json=BODY).status_code
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] * 30 + [503] * 10
    logged = orq_router.requests
    assert len(logged) == 40
    assert sum(entry.fault for entry in logged) == 10
