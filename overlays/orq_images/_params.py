"""The keyword arguments of each `create`, typed once and shared by the sync and async clients.

Field names and meanings follow openapi.yaml; each nested object may be given
as a plain dict (as orq's docs show) or as the generated model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Required, TypedDict

if TYPE_CHECKING:
    # Types only: importing every generated model at run time would slow `import orq_images`.
    from orq_images_generated.models import (
        Background,
        Cache,
        Fallback,
        GenerationOrq,
        LoadBalancer,
        Moderation,
        OutputFormat,
        Quality,
        ResponseFormat,
        Retry,
        Style,
        Timeout,
        VariationOrq,
        VariationResponseFormat,
        VariationSize,
    )

    from ._retry import RetryConfig

JsonMapping = Mapping[str, Any]
ImageInput = (
    str
    | os.PathLike[str]
    | bytes
    | bytearray
    | memoryview
    | IO[bytes]
    | tuple[str, Any]
    | tuple[str, Any, str]
    | JsonMapping
)


class RequestOptions(TypedDict, total=False):
    """Per-call options; none of them is sent as a body field."""

    retries: RetryConfig | int
    """Client-side retries for this call: a RetryConfig, or a number (0 turns retrying off)."""
    server_url: str
    timeout_ms: int
    http_headers: Mapping[str, str]
    extra_body: JsonMapping
    """Fields the spec does not know yet, sent as they are (JSON values)."""


class RoutingParams(TypedDict, total=False):
    """orq's routing fields, accepted at the top level of both operations."""

    name: str
    fallbacks: Sequence[Fallback | JsonMapping]
    retry: Retry | JsonMapping
    cache: Cache | JsonMapping
    load_balancer: LoadBalancer | JsonMapping | Sequence[JsonMapping]
    timeout: Timeout | JsonMapping


class CreateImageParams(RoutingParams, RequestOptions, total=False):
    prompt: Required[str]
    model: Required[str]
    background: Background | str | None
    moderation: Moderation | str | None
    n: int | None
    output_compression: int | None
    output_format: OutputFormat | str | None
    quality: Quality | str | None
    response_format: ResponseFormat | str | None
    size: str | None
    style: Style | str | None
    metadata: Mapping[str, str]
    orq: GenerationOrq | JsonMapping


class CreateImageVariationParams(RoutingParams, RequestOptions, total=False):
    model: Required[str]
    image: ImageInput
    n: int | None
    response_format: VariationResponseFormat | str
    size: VariationSize | str
    user: str
    orq: VariationOrq | JsonMapping


REQUEST_OPTIONS = frozenset(RequestOptions.__annotations__)
