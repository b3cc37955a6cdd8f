"""scripts/upstream-diff: how openapi.yaml stands against orq's published OpenAPI document."""
