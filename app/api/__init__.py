"""Read-only JSON for the township's other systems, described by an OpenAPI document."""
