"""examples/orq_ai_sdk_program.py ported to orq_images: the lines the "Coming from
orq-ai-sdk" table of the README names are changed, nothing else.

Run it against orq's API, or a LocalRouter (`orq-images serve`), with ORQ_API_KEY
set and ORQ_SERVER_URL naming the server.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx2

from orq_images import APIStatusError, Orq
from orq_images.utils import BackoffStrategy, RetryConfig


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    retries = RetryConfig("backoff", BackoffStrategy(10, 100, 2.0, 5_000), True)
    http = httpx2.Client(headers={"x-app": "example-program"}, timeout=60)
    with Orq(
        api_key=os.environ["ORQ_API_KEY"],
        server_url=os.environ["ORQ_SERVER_URL"],
        http_client=http,
        retry_config=retries,
    ) as orq:
        fox = orq.router.images.generations.create(
            prompt="a red fox in the snow",
            model="openai/gpt-image-1",
            size="256x256",
            response_format="b64_json",
        )
        png = base64.b64decode(fox.data[0].b64_json or "")
        (out / "fox.png").write_bytes(png)
        print("generation:", len(fox.to_dict()["data"]), "image(s)")

        image = {"file_name": "fox.png", "content": png, "content_type": "image/png"}
        varied = orq.router.images.variations.create(
            model="openai/dall-e-2", image=image, n=2, size="256x256"
        )
        print("variation:", len(varied.data or []), "image(s)")

        edited = orq.router.images.edits.create(
            model="openai/gpt-image-1",
            prompt="give the fox a green scarf",
            image=image,
            size="256x256",
            fallback_on_codes=[429, 503],
        )
        print("edit:", len(edited.data or []), "image(s)")

        # This model fails once with 503: the retry policy sends the call again.
        flaky = orq.router.images.generations.create(
            prompt="a fox", model="openai/flaky", size="64x64"
        )
        print("after a retry:", len(flaky.data), "image(s)")

        try:
            orq.router.images.generations.create(prompt="a fox", model="m", size="huge")
        except APIStatusError as e:
            print("error:", e.status_code, "request id", e.response.headers["x-request-id"])
    http.close()


if __name__ == "__main__":
    main(Path("orq-example"))
