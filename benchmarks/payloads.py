"""What every contender sends and what the server answers: one definition for all.

Images are real PNG files of random pixels, so they do not compress and any
client that sniffs or checks them accepts them.
"""

from __future__ import annotations

import base64
import json
import math
import random
import struct
import zlib
from pathlib import Path
from typing import Any

API_KEY = "bench-key-not-secret"
GENERATIONS_PATH = "/v2/router/images/generations"
VARIATIONS_PATH = "/v2/router/images/variations"
EDITS_PATH = "/v2/router/images/edits"

GENERATION_PLAIN: dict[str, Any] = {
    "prompt": "a red fox in the snow, watercolour",
    "model": "openai/gpt-image-1",
    "n": 1,
    "size": "1024x1024",
    "response_format": "b64_json",
}
# What an orq user sends besides: the router's fallbacks, retries and cache, and
# who the call is for. Every generations case but "without routing fields" sends these.
ROUTING: dict[str, Any] = {
    "fallbacks": [{"model": "openai/dall-e-3"}, {"model": "google/imagen-4"}],
    "retry": {"count": 2, "on_codes": [429, 500, 502, 503]},
    "cache": {"type": "exact_match", "ttl": 3600},
    "orq": {
        "identity": {
            "id": "user-4711",
            "display_name": "Ada Lovelace",
            "email": "ada@example.com",
            "tags": ["beta", "design"],
        }
    },
}
GENERATION: dict[str, Any] = GENERATION_PLAIN | ROUTING
VARIATION: dict[str, Any] = {
    "model": "openai/dall-e-2",
    "n": 1,
    "size": "256x256",
    "response_format": "b64_json",
}

EDIT: dict[str, Any] = {
    "prompt": "give the fox a red scarf",
    "model": "openai/gpt-image-1",
    "n": 1,
    "size": "1024x1024",
}

UPLOAD_SIZES_MB = (1, 10)
UPLOAD_IMAGE_BYTES = 40 * 1024 * 1024
LARGE_RESPONSE_BYTES = 15 * 1024 * 1024
CREATED = 1_732_233_600


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(approx_bytes: int, seed: int = 0) -> bytes:
    """A valid RGB PNG of random pixels, a little over `approx_bytes` long."""
    side = max(1, math.isqrt(max(approx_bytes // 3 - 1, 0)) + 1)
    rows = random.Random(seed).randbytes(side * side * 3)
    stride = side * 3
    raw = b"".join(b"\x00" + rows[i : i + stride] for i in range(0, len(rows), stride))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 0))
        + _chunk(b"IEND", b"")
    )


def write_png(path: Path, approx_bytes: int) -> Path:
    path.write_bytes(png(approx_bytes))
    return path


def _json(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _image_datum(image: bytes) -> dict[str, object]:
    prompt = GENERATION_PLAIN["prompt"]
    return {"b64_json": base64.b64encode(image).decode(), "revised_prompt": prompt}


def generation_response(image_bytes: int = 1024) -> bytes:
    """A generations body with one image; about 1 KB unless asked for more."""
    usage = {
        "input_tokens": 14,
        "output_tokens": 1056,
        "total_tokens": 1070,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": 14},
    }
    return _json({"created": CREATED, "data": [_image_datum(png(image_bytes))], "usage": usage})


def large_generation_response() -> bytes:
    """A generations body of about 15 MB, nearly all of it one b64_json string."""
    return generation_response(LARGE_RESPONSE_BYTES * 3 // 4)


def variation_response() -> bytes:
    usage = {
        "input_tokens": 258,
        "output_tokens": 272,
        "total_tokens": 530,
        "input_tokens_details": {"image_tokens": 258, "text_tokens": 0},
    }
    datum = {"b64_json": base64.b64encode(png(1024, seed=1)).decode()}
    body = {
        "created": CREATED,
        "data": [datum],
        "output_format": "png",
        "size": "256x256",
        "quality": "standard",
        "usage": usage,
    }
    return _json(body)
