"""The OpenAPI document as the server really answers: errors are problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from depositdesk.entrypoints.api.schemas.problems import PROBLEM

_UNUSED = ("HTTPValidationError", "ValidationError")  # FastAPI's own 422 shape, replaced


def install(api: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            doc = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            for operations in doc.get("paths", {}).values():
                for operation in operations.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status[0] in "45" and content:
                            # the route's own media type (JSON, or text for /metrics)
                            schema = next(iter(content.values())).get("schema", {})
                            response["content"] = {PROBLEM: {"schema": schema}}
            schemas = doc.get("components", {}).get("schemas", {})
            for name in _UNUSED:
                schemas.pop(name, None)
            api.openapi_schema = doc
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
