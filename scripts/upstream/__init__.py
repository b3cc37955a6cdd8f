"""scripts/upstream-diff: how openapi.yaml stands against orq's OpenAPI document and SDK."""
