"""What LocalRouter answers to a valid image request: routing, cache, and the images.

The routing headers tell a test what happened: `x-orq-served-by` names the
model that drew the images, `x-orq-attempts` counts the model calls
(retries included, 0 for a cache hit), `x-orq-cache` is `hit` or `miss`
when the request asked for the cache.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .._spec import Operation, load_spec
from . import _pictures, _png
from ._cache import CachedResponse, ResponseCache, cache_key
from ._files import FileStore
from ._requests import ImageRequest
from ._routing import Balancer, ModelBoard, Plan, plan, route

_TIMEOUT_STATUS = 504


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(
    status: int, value: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Answer:
    return Answer(
        status,
        json.dumps(value, separators=(",", ":")).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


# The error shape orq documents for the image operations: orq-ai-sdk 4.17.13, which is
# generated from orq's OpenAPI, reads an image call's error body as
# `{"error": {"message", "type", "code", "param"}}` (its `APIErrorResponse` model, in
# orq_ai_sdk/models/apierrorresponse.py and apierror.py); it is OpenAI's error shape too.
# orq's published definition of the image operations (August 2026) declares no error
# response at all, so that model is the only statement of the shape.
_ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def error_body(status: int, message: str, code: str, param: str | None = None) -> dict[str, Any]:
    """An error response body in orq's shape; `param` names the offending field, if any."""
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "code": code, "param": param}}


def error_answer(
    status: int,
    message: str,
    code: str,
    headers: Mapping[str, str] | None = None,
    *,
    param: str | None = None,
) -> Answer:
    return json_answer(status, error_body(status, message, code, param), headers)


class ImageService:
    def __init__(self, board: ModelBoard, latency: float, stopping: threading.Event) -> None:
        self.files = FileStore()
        self._board = board
        self._latency = latency
        self._stopping = stopping
        self._cache = ResponseCache()
        self._balancer = Balancer()

    def answer(self, operation: Operation, request: ImageRequest, base_url: str) -> Answer:
        routing = plan(request.fields, self._balancer)
        key = None
        headers: dict[str, str] = {}
        if routing.cache_ttl is not None:
            upload = request.upload.value if request.upload else None
            key = cache_key(operation.path, request.fields, upload)
            hit = self._cache.get(key)
            if hit is not None:
                return Answer(
                    200,
                    hit.body,
                    {
                        "Content-Type": "application/json",
                        "x-orq-cache": "hit",
                        "x-orq-served-by": _header_text(hit.served_by),
                        "x-orq-attempts": "0",
                    },
                )
            headers["x-orq-cache"] = "miss"
        outcome = route(routing, self._caller(routing))
        headers["x-orq-attempts"] = str(outcome.attempts)
        if outcome.served_by is None:
            tried = ", ".join(f"{model} answered {status}" for model, status in outcome.failures)
            return error_answer(
                outcome.failures[-1][1],
                f"every model failed: {tried}",
                "all_models_failed",
                headers,
            )
        headers["x-orq-served-by"] = _header_text(outcome.served_by)
        draw = _draw_from_upload if request.upload is not None else _draw_from_prompt
        pngs = draw(request, outcome.served_by)
        body = json_answer(200, self._body(operation, request, pngs, base_url), headers)
        if key is not None and routing.cache_ttl is not None:
            self._cache.put(key, CachedResponse(body.body, outcome.served_by), routing.cache_ttl)
        return body

    def _caller(self, routing: Plan) -> Callable[[str], int | None]:
        def call(model: str) -> int | None:
            if self._latency:
                limit = routing.call_timeout_ms
                if limit is not None and limit / 1000 < self._latency:
                    self._stopping.wait(limit / 1000)
                    return _TIMEOUT_STATUS
                self._stopping.wait(self._latency)
            return self._board.outcome(model)

        return call

    def _body(
        self, operation: Operation, request: ImageRequest, pngs: list[bytes], base_url: str
    ) -> dict[str, Any]:
        if request.response_format == "b64_json":
            data = [{"b64_json": base64.b64encode(png).decode("ascii")} for png in pngs]
        else:
            data = [{"url": f"{base_url}/files/{self.files.add(png)}"} for png in pngs]
        output_tokens = len(pngs) * (request.width * request.height // 256)
        prompt = request.fields.get("prompt")
        text_tokens = max(1, len(prompt) // 4) if isinstance(prompt, str) else 0
        image_tokens = max(1, len(request.upload.value) // 1024) if request.upload else 0
        # Every field the operation's response schema names, as the live router fills it.
        known: dict[str, Any] = {
            "created": int(time.time()),
            "data": data,
            "output_format": "png",
            "size": f"{request.width}x{request.height}",
            "quality": "standard",
            "usage": _usage(text_tokens, image_tokens, output_tokens),
        }
        fields = response_fields(operation.response_schema)
        return {name: value for name, value in known.items() if name in fields}


def _header_text(value: str) -> str:
    # Model names are free text; a header value must be Latin-1 without line breaks.
    return quote(value, safe=" /:@-._~!$&'()*+,;=")


def _usage(text_tokens: int, image_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": text_tokens + image_tokens,
        "output_tokens": output_tokens,
        "total_tokens": text_tokens + image_tokens + output_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
    }


def response_fields(schema_name: str) -> frozenset[str]:
    return frozenset(load_spec()["components"]["schemas"][schema_name]["properties"])


def _draw_from_prompt(request: ImageRequest, model: str) -> list[bytes]:
    size = f"{request.width}x{request.height}"
    prompt = str(request.fields.get("prompt", ""))
    return [
        _png.encode(_pictures.pattern(request.width, request.height, prompt, model, size, index))
        for index in range(request.n)
    ]


def _draw_from_upload(request: ImageRequest, model: str) -> list[bytes]:
    assert request.upload is not None  # checked with the request
    salt = hashlib.sha256(request.upload.value + model.encode()).digest()
    if request.source is None:
        # No codec here for this upload: the variations derive from its bytes instead.
        return [
            _png.encode(_pictures.pattern(request.width, request.height, salt.hex(), index))
            for index in range(request.n)
        ]
    base = _pictures.resize(request.source, request.width, request.height)
    return [_png.encode(_pictures.recolour(base, index, salt)) for index in range(request.n)]
