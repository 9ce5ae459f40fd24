"""Every error as application/problem+json (RFC 9457) with a machine `code`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import anyio
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from depositdesk.domain.eligibility import Blocker
from depositdesk.domain.errors import (
    DomainError,
    FieldProblem,
    NotEligible,
    PolicyProblems,
    Refused,
    ValidationProblem,
)
from depositdesk.entrypoints.api.schemas.eligibility import BlockerOut
from depositdesk.entrypoints.api.schemas.problems import PROBLEM, TITLES
from depositdesk.entrypoints.api.strict_json import BodyRejected
from depositdesk.services import audit
from depositdesk.services.webhooks import time_data

log = structlog.get_logger("depositdesk.api")
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
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


def internal_error(request_id: str) -> JSONResponse:
    """A 500 that says nothing of the error (it is logged with the request id)."""
    return problem(
        500,
        "internal_error",
        "something went wrong on our side; nothing was changed. Quote the request id "
        "to the operator.",
        request_id=request_id,
    )


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


async def _audit_refusal(request: Request, status: int, code: str) -> None:
    """AUD-1, issue 10: a refused call (no or a bad token, a role that may not, a
    missing step-up) is one audit record in a transaction of its own, since the
    request's rolled back: who (when known), what was tried, and the answer."""
    app = getattr(request.app.state, "depositdesk", None)
    if app is None:
        return
    who = getattr(request.state, "who", None)

    def write() -> None:
        record = audit.entry(
            who,
            app.clock.now(),
            "access.refused",
            target=f"{request.method} {request.url.path}"[:300],
            after={"status": status, "code": code},
        )
        if who is None:  # no token, or one not in force: nobody depositdesk knows
            record = replace(record, actor="anonymous", role="anonymous", party="public")
        with app.uow() as uow:
            uow.audit.append(record)
            uow.commit()

    try:
        await anyio.to_thread.run_sync(write)
    except Exception:  # the refusal is answered even if its record cannot be written
        log.exception("refusal not audited", path=request.url.path)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, ValidationProblem):
            return problem(exc.status, exc.code, exc.detail, errors=_errors(exc.problems))
        if isinstance(exc, NotEligible):  # REF-3: what blocks, and when it clears
            blockers = [
                BlockerOut.of(b).model_dump(mode="json")
                for b in exc.blockers
                if isinstance(b, Blocker)
            ]
            return problem(exc.status, exc.code, exc.detail, blockers=blockers)
        if exc.status in (401, 403) and request.url.path != "/v1/auth/login":
            await _audit_refusal(request, exc.status, exc.code)  # sign-in audits itself
        if isinstance(exc, Refused):  # facts the caller acts on (locked_until, …)
            extra = {
                k: time_data(v) if isinstance(v, datetime) else v for k, v in exc.extra.items()
            }
            response = problem(exc.status, exc.code, exc.detail, **extra)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return problem(exc.status, exc.code, exc.detail)

    @app.exception_handler(PolicyProblems)
    async def _policy(_: Request, exc: PolicyProblems) -> JSONResponse:
        return problem(
            422,
            "validation_error",
            f"the policy pack has {len(exc.problems)} problem(s); nothing was loaded",
            errors=_errors(exc.problems),
        )

    @app.exception_handler(BodyRejected)
    async def _body(_: Request, exc: BodyRejected) -> JSONResponse:
        errors = [{"field": exc.field, "rule": exc.rule, "message": exc.message}]
        return problem(422, "validation_error", f"{exc.field}: {exc.message}", errors=errors)

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
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code in (401, 403):
            await _audit_refusal(request, exc.status_code, code)
        response = problem(exc.status_code, code, str(exc.detail))
        for name, value in (getattr(exc, "headers", None) or {}).items():
            response.headers[name] = value
        return response
