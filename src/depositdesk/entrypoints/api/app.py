"""The FastAPI application factory."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import anyio
import structlog
from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import Counter, Histogram

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api import openapi, problems
from depositdesk.entrypoints.api.routes import (
    attachments,
    events,
    policies,
    refunds,
    shops,
    system,
    violations,
    webhooks,
)
from depositdesk.entrypoints.api.strict_json import MAX_BODY_BYTES

log = structlog.get_logger("depositdesk.api")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = Counter(
    "depositdesk_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
LATENCY = Histogram("depositdesk_http_request_seconds", "HTTP request latency", ["route"])

DESCRIPTION = """
Security deposits and shop offboarding for marketplaces.

Authenticate with `Authorization: Bearer <token>` (tokens from `depositdesk token create`).
Money is `{"amount": "5000.00", "currency": "CNY"}` with exactly the currency's decimals.
Errors are `application/problem+json` with a machine `code` and, for bad input,
`errors: [{field, rule, message}]`.
"""


def create_app(app: App) -> FastAPI:
    # /docs and /redoc served from packaged assets: no CDN, so they work offline.
    api = FastAPIOffline(title="depositdesk", version="0.1.0", description=DESCRIPTION)
    api.state.depositdesk = app
    # Requests that may hold a database connection at once (deps._connection_turn).
    api.state.connection_turns = anyio.Semaphore(app.settings.db_pool_size)
    problems.install(api)
    openapi.install(api)
    for module in (policies, shops, refunds, violations, webhooks, events, attachments, system):
        api.include_router(module.router)

    @api.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = _request_id(request.headers.get("X-Request-Id"))
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        response: Response
        try:
            if _declared_length(request) > MAX_BODY_BYTES:
                # Refused before a byte of it is read (strict_json caps chunked bodies).
                response = problems.problem(
                    413,
                    "payload_too_large",
                    f"the body is larger than {MAX_BODY_BYTES:,} bytes; send smaller batches",
                )
            else:
                response = await call_next(request)
        except Exception:
            # Anything no handler turned into a problem: logged with its traceback,
            # answered as problem+json that gives nothing away but the request id.
            log.exception("unhandled error", request_id=rid, path=request.url.path)
            response = problems.internal_error(rid)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(method, path, str(response.status_code)).inc()
        LATENCY.labels(path).observe(elapsed)
        log.info(
            "request",
            request_id=rid,
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            ms=round(elapsed * 1000, 1),
        )
        response.headers["X-Request-Id"] = rid
        return response

    return api


def _declared_length(request: Request) -> int:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() and len(length) < 19 else 0


def _request_id(sent: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new one."""
    if sent and len(sent) <= 128 and sent.isascii() and sent.isprintable() and " " not in sent:
        return sent
    return uuid.uuid4().hex
