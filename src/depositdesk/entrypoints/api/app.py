"""The FastAPI application factory."""

from __future__ import annotations

import time
import uuid

import anyio
import structlog
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from depositdesk.bootstrap import App
from depositdesk.entrypoints import web
from depositdesk.entrypoints.api import openapi, problems
from depositdesk.entrypoints.api.routes import (
    archives,
    attachments,
    audit,
    auth,
    events,
    policies,
    records,
    refunds,
    shops,
    system,
    unlinks,
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
    # Requests that may hold a database connection at once (deps.get_call): reads and
    # writes have turns of their own, db_pool_size in all.
    readers, writers = turns(app.settings.db_pool_size, app.settings.api_readers)
    api.state.read_turns = anyio.Semaphore(readers)
    api.state.write_turns = anyio.Semaphore(writers)
    problems.install(api)
    openapi.install(api)
    for module in (
        policies,
        shops,
        refunds,
        violations,
        webhooks,
        events,
        attachments,
        auth,
        audit,
        records,
        unlinks,
        archives,
        system,
    ):
        api.include_router(module.router)
    web.install(api)  # the Seller Center and console pages (not in the OpenAPI schema)

    api.add_middleware(RequestLog)
    return api


def turns(pool_size: int, readers: int) -> tuple[int, int]:
    """(reads, writes) that may hold a connection at once in a process: `readers` for
    reads, the rest of the pool for writes, at least one each."""
    if pool_size < 2:
        return 1, 1  # the pool's overflow holds the second
    reads = min(readers, pool_size - 1)
    return reads, pool_size - reads


class RequestLog:
    """Every request: an id (`X-Request-Id`, logged), a body declared too large refused
    unread, anything unhandled answered as problem+json, the metrics and one log line.

    Plain ASGI rather than `@app.middleware("http")`, whose per-request task and
    memory streams cost about as much as a `/healthz` answer itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = _request_id(headers.get("x-request-id"))
        raw_rid = rid.encode()
        status = 500
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"x-request-id", raw_rid)],
                }
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        try:
            if _declared_length(headers) > MAX_BODY_BYTES:
                # Refused before a byte of it is read (strict_json caps chunked bodies).
                refusal = problems.problem(
                    413,
                    "payload_too_large",
                    f"the body is larger than {MAX_BODY_BYTES:,} bytes; send smaller batches",
                )
                await refusal(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception:
            # Anything no handler turned into a problem: logged with its traceback,
            # answered as problem+json that gives nothing away but the request id.
            log.exception("unhandled error", request_id=rid, path=scope["path"])
            if started_response:
                raise
            await problems.internal_error(rid)(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        route = scope.get("route")
        path = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        method = scope["method"] if scope["method"] in _METHODS else "other"
        REQUESTS.labels(method, path, str(status)).inc()
        LATENCY.labels(path).observe(elapsed)
        log.info(
            "request",
            request_id=rid,
            method=scope["method"],
            path=scope["path"],
            status=status,
            ms=round(elapsed * 1000, 1),
        )


def _declared_length(headers: Headers) -> int:
    length = headers.get("content-length", "")
    return int(length) if length.isdigit() and len(length) < 19 else 0


def _request_id(sent: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new one."""
    if sent and len(sent) <= 128 and sent.isascii() and sent.isprintable() and " " not in sent:
        return sent
    return uuid.uuid4().hex
