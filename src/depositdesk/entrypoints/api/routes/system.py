from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from depositdesk.bootstrap import App
from depositdesk.domain.errors import NotFound
from depositdesk.entrypoints.api.deps import get_app, get_principal
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import ClockIn
from depositdesk.entrypoints.api.schemas.system import ClockOut, HealthOut
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.sandbox import SandboxClock, move
from depositdesk.services.timers import run_due
from depositdesk.services.usecase import run

router = APIRouter(tags=["system"], route_class=StrictJsonRoute, responses=problem_responses(500))
SANDBOX = problem_responses(401, 403, 404, 422)


@router.get("/healthz", summary="Liveness")
def healthz() -> HealthOut:
    return HealthOut()


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _sandbox(app: App) -> SandboxClock:
    clock = app.sandbox_clock
    if clock is None:
        raise NotFound("the sandbox clock exists only with DEPOSITDESK_SANDBOX=1")
    return clock


@router.get("/v1/sandbox/clock", summary="The sandbox time", responses=SANDBOX)
def get_clock(app: App = Depends(get_app), who: Principal = Depends(get_principal)) -> ClockOut:
    clock = _sandbox(app)
    require(who, Role.PLATFORM_ADMIN)
    clock.refresh()
    return ClockOut(now=clock.now())


@router.post(
    "/v1/sandbox/clock",
    summary="Move the sandbox clock forward; returns once every timer due by then has run",
    responses=SANDBOX,
)
def post_clock(
    body: ClockIn, app: App = Depends(get_app), who: Principal = Depends(get_principal)
) -> ClockOut:
    clock = _sandbox(app)
    now = run(app, move, who, clock.now(), clock=clock, advance=body.advance, to=body.now)
    # interface.md: the move returns once every timer due by the new time has run.
    run_due(app.uow, now)
    return ClockOut(now=now)
