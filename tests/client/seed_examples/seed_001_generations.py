# The Python example of orq's docs (shared seed 001), exactly as published (the page lost its indentation; it is restored).
# Tests run it with only the import line changed.
from orq_ai_sdk import Orq
import os
with Orq(
    api_key=os.getenv("ORQ_API_KEY", ""),
) as orq:
    res = orq.router.images.generations.create(prompt="<value>", model="2", n=1, retry={
            "on_codes": [
                429,
                500,
                502,
                503,
                504,
            ],
        }, cache={
            "ttl": 3600,
            "type": "exact_match",
        }, load_balancer={
            "type": "weight_based",
            "models": [],
        }, timeout={
            "call_timeout": 30000,
        }, orq={
            "retry": {
                "on_codes": [
                    429,
                    500,
                    502,
                    503,
                    504,
                ],
            },
            "fallbacks": [
                {
                    "model": "openai/gpt-4o-mini",
                },
            ],
            "identity": {
                "id": "contact_01ARZ3NDEKTSV4RRFFQ69G5FAV",
                "display_name": "Jane Doe",
                "email": "jane.doe@example.com",
                "metadata": [
                    {
                        "department": "Engineering",
                        "role": "Senior Developer",
                    },
                ],
                "logo_url": "https://example.com/avatars/jane-doe.jpg",
                "tags": [
                    "hr",
                    "engineering",
                ],
            },
            "cache": {
                "ttl": 3600,
                "type": "exact_match",
            },
            "load_balancer": {
                "type": "weight_based",
                "models": [
                    {
                        "model": "openai/gpt-4o",
                        "weight": 0.7,
                    },
                    {
                        "model": "anthropic/claude-3-5-sonnet",
                        "weight": 0.3,
                    },
                ],
            },
            "timeout": {
                "call_timeout": 30000,
            },
        })
    # Handle response
    print(res)
