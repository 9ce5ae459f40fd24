from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from depositdesk.bootstrap import App
from depositdesk.domain.clock import rfc3339
from depositdesk.domain.errors import NotFound
from depositdesk.entrypoints.api.deps import get_app, get_principal
from depositdesk.entrypoints.api.models import ClockIn
from depositdesk.services.access import Principal, require
from depositdesk.services.sandbox import SandboxClock, move
from depositdesk.services.usecase import run

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", summary="Prometheus metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _sandbox(app: App) -> SandboxClock:
    clock = app.sandbox_clock
    if clock is None:
        raise NotFound("the sandbox clock exists only with DEPOSITDESK_SANDBOX=1")
    return clock


@router.get("/v1/sandbox/clock", summary="The sandbox time")
def get_clock(
    app: App = Depends(get_app), who: Principal = Depends(get_principal)
) -> dict[str, Any]:
    clock = _sandbox(app)
    require(who, "platform_admin")
    clock.refresh()
    return {"now": rfc3339(clock.now())}


@router.post("/v1/sandbox/clock", summary="Move the sandbox clock forward")
def post_clock(
    body: ClockIn, app: App = Depends(get_app), who: Principal = Depends(get_principal)
) -> dict[str, Any]:
    clock = _sandbox(app)
    return run(app, move, who, clock, body.advance, body.now)
