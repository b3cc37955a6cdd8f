"""Everything the generated code takes from the hand-written engine, in one module.

Imports run one way: the generated router and models (orq_images._generated)
import this module and nothing else of the engine; the engine never imports the
generated code; the client facade (_client.py) and the public modules put the two
together. So any module can be imported first, alone, in a fresh interpreter.

`CALL_OPTIONS` is the one list of the options every operation takes besides its
body fields. scripts/generate reads it from this file (without importing the
package) to render them as keywords; build_request (_request.py) applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ._images import ImageFile
from ._keywords import suggest_keywords
from ._legacy import warn_deprecated
from ._response import RawResponse
from ._retry import RetryConfig
from ._upload import File, ImageInput

__all__ = [
    "CALL_OPTIONS",
    "OMIT",
    "AsyncCaller",
    "File",
    "ImageFile",
    "ImageInput",
    "RawResponse",
    "RetryConfig",
    "SyncCaller",
    "suggest_keywords",
    "warn_deprecated",
]

# (keyword, annotation, docstring line): a literal, so codegen can read it with ast.
CALL_OPTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "retries",
        "RetryConfig | int | None",
        "Client-side retries for this call: a RetryConfig, or a number of retries "
        "(0 turns retrying off). Defaults to the client's retry_config.",
    ),
    ("timeout_ms", "float | None", "A deadline for this call in milliseconds."),
    ("server_url", "str | None", "Send this call to another base URL."),
    ("http_headers", "Mapping[str, str] | None", "Extra HTTP headers for this call."),
    (
        "extra_body",
        "Mapping[str, Any] | None",
        "Body fields this version of the spec does not know yet, sent as they are.",
    ),
)


# The default of a keyword whose type is one TypedDict (`orq`, `retry`, ...): None at run
# time, so the field is not sent, but typed Any so that the keyword's type is the
# TypedDict alone. mypy and pyright check a dict literal key by key, naming a misspelled
# key, only against a bare TypedDict; against `RetryParam | None` they say no more than
# that the dict is not assignable.
OMIT: Any = None


class AsyncCaller(Protocol):
    """What an async router namespace calls: the client's one entry for every operation."""

    async def _call_async(
        self,
        operation_id: str,
        fields: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        detailed: bool = False,
    ) -> Any: ...


class SyncCaller(AsyncCaller, Protocol):
    """What a sync router namespace calls; `Orq` has `create_async` methods too."""

    def _call(
        self,
        operation_id: str,
        fields: Mapping[str, Any],
        options: Mapping[str, Any],
        *,
        detailed: bool = False,
    ) -> Any: ...
