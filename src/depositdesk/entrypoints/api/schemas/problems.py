"""Errors as application/problem+json (RFC 9457), with depositdesk's machine codes."""

from __future__ import annotations

from typing import Any

from depositdesk.entrypoints.api.schemas.common import Out

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
}


class FieldErrorOut(Out):
    field: str  # e.g. "amount.amount", "categories[1]", "Idempotency-Key"
    rule: str  # e.g. "currency_precision", "marketplace_id", "int64"
    message: str


class ProblemOut(Out):
    type: str
    title: str
    status: int
    detail: str
    code: str  # not_found, forbidden, validation_error, idempotency_conflict, …
    errors: list[FieldErrorOut] | None = None  # bad input: every field at fault
    request_id: str | None = None  # on internal errors: quote it to the operator
    locked_until: str | None = None  # 429 too_many_attempts: when signing in works again


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: these statuses answer problem+json (openapi.py moves
    their schema from application/json to application/problem+json)."""
    return {s: {"model": ProblemOut, "description": TITLES[s]} for s in statuses}
