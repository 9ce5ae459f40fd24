"""The FastAPI application factory."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import Counter, Histogram

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api import problems
from depositdesk.entrypoints.api.routes import events, policies, shops, system

log = structlog.get_logger("depositdesk.api")
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
    problems.install(api)
    for module in (policies, shops, events, system):
        api.include_router(module.router)

    @api.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        REQUESTS.labels(request.method, path, str(response.status_code)).inc()
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
