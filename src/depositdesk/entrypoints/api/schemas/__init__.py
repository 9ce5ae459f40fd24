"""API shapes: pydantic request bodies and response models, and nowhere else.

Responses are built from the services' result dataclasses with each model's
`of(...)`, so /openapi.json documents every answer.
"""
