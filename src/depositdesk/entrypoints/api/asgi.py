"""ASGI factory for `uvicorn --factory depositdesk.entrypoints.api.asgi:create`."""

from __future__ import annotations

import gc

import structlog
from fastapi import FastAPI

from depositdesk.bootstrap import App, build
from depositdesk.domain.calendar import BusinessCalendar
from depositdesk.domain.policy import PolicyPack
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.logging import configure
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.usecase import read

log = structlog.get_logger("depositdesk.api")


def create() -> FastAPI:
    app = build()
    configure(app.settings.log_level, app.settings.log_json)
    api = create_app(app)
    warm_up(app)
    settle_the_heap()
    return api


def warm_up(app: App) -> None:
    """Do at start what the first requests of each process would otherwise wait for:
    parse the stored policy packs (the first parse checks a pack's country against
    every holiday calendar the `holidays` package has, importing each: 0.3 s idle,
    seconds on a busy machine) and build each market's business-day calendar
    (2020-2040). A database not ready yet is no reason not to start: the first
    request then does it."""
    try:
        packs = read(app, _packs)
    except Exception as exc:  # the API answers what it can; the request will say more
        log.warning("warm_up_skipped", error=f"{type(exc).__name__}: {exc}")
        return
    today = app.clock.now().date()
    for pack in packs:
        BusinessCalendar(pack.country, pack.timezone).is_business_day(today)


def _packs(uow: UnitOfWork) -> list[PolicyPack]:
    return uow.policies.versions()


def settle_the_heap() -> None:
    """Move what the process made to start (modules, tables, routes, schemas: some
    280,000 objects, all living as long as the process) out of the garbage collector's
    reach. A full collection walks every tracked object: about 150 ms on the 2-core
    machine, during which no request of the process moves, and under load it came
    every few seconds — the slowest percent of answers (issue 9). Frozen, they are
    never walked again; what requests make is collected as before."""
    gc.collect()
    gc.freeze()
