"""orq_images: a typed client for the orq.ai router's image endpoints."""

from ._aiohttp_transport import DefaultAioHttpClient
from ._client import DEFAULT_CONNECTION_LIMITS, AsyncOrq, Orq
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DownloadError,
    IncompleteResponseError,
    InternalServerError,
    InvalidRequestError,
    InvalidRequestTypeError,
    NotFoundError,
    OrqError,
    PermissionDeniedError,
    RateLimitError,
    SaveError,
    UnprocessableEntityError,
)
from ._response import RawResponse
from ._retry import RetryConfig
from ._version import __version__

__all__ = [
    "DEFAULT_CONNECTION_LIMITS",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncOrq",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DefaultAioHttpClient",
    "DownloadError",
    "IncompleteResponseError",
    "InternalServerError",
    "InvalidRequestError",
    "InvalidRequestTypeError",
    "NotFoundError",
    "Orq",
    "OrqError",
    "PermissionDeniedError",
    "RateLimitError",
    "RawResponse",
    "RetryConfig",
    "SaveError",
    "UnprocessableEntityError",
    "__version__",
]
