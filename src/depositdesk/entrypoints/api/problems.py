"""Every error as application/problem+json (RFC 9457) with a machine `code`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from depositdesk.domain.errors import DomainError, FieldProblem, PolicyProblems, ValidationProblem

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal error",
}


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://depositdesk.dev/problems/{code}",
        "title": TITLES.get(status, code),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _errors(problems: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"field": p.field, "rule": p.rule, "message": p.message} for p in problems]


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, ValidationProblem):
            return problem(exc.status, exc.code, exc.detail, errors=_errors(exc.problems))
        return problem(exc.status, exc.code, exc.detail)

    @app.exception_handler(PolicyProblems)
    async def _policy(_: Request, exc: PolicyProblems) -> JSONResponse:
        return problem(
            422,
            "validation_error",
            f"the policy pack has {len(exc.problems)} problem(s); nothing was loaded",
            errors=_errors(exc.problems),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            rule = "json" if err["type"] == "json_invalid" else err["type"]
            field = "body" if rule == "json" else _field(tuple(err["loc"]))
            message = err["msg"]
            if rule == "json":
                message = f"the body is not valid JSON ({err.get('ctx', {}).get('error', '')})"
            errors.append({"field": field, "rule": rule, "message": message})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "validation_error", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        response = problem(
            exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail)
        )
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        return response
