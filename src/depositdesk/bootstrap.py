"""Composition root: settings → engine, unit of work, clock, gateways. Nothing runs at import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import Engine

from depositdesk.adapters.db.engine import make_engine, upgrade
from depositdesk.adapters.db.uow import SqlUnitOfWork
from depositdesk.adapters.gateways import Gateways, build_gateways
from depositdesk.domain.clock import Clock, SystemClock
from depositdesk.services.sandbox import SandboxClock
from depositdesk.settings import Settings


@dataclass
class App:
    """Everything a request, a CLI command or the worker needs."""

    settings: Settings
    engine: Engine
    clock: Clock
    gateways: Gateways  # mail, webhooks, payouts, files: real or stub, from the settings

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=read_only)

    @property
    def sandbox_clock(self) -> SandboxClock | None:
        return self.clock if isinstance(self.clock, SandboxClock) else None

    def now_in(self, uow: SqlUnitOfWork) -> datetime:
        """The clock's now, the sandbox clock's offset read in `uow` (a request's one
        transaction) rather than a transaction of its own."""
        if isinstance(self.clock, SandboxClock):
            self.clock.refresh(uow)
        return self.clock.now()

    def now_refreshed(self) -> datetime:
        """The clock's now; the sandbox clock first re-reads its offset, which another
        process may have moved."""
        if isinstance(self.clock, SandboxClock):
            self.clock.refresh()
        return self.clock.now()


def build(
    settings: Settings | None = None, clock: Clock | None = None, engine: Engine | None = None
) -> App:
    settings = settings or Settings()
    engine = engine or make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )

    if clock is None:
        clock = (
            SandboxClock(partial(SqlUnitOfWork, engine, read_only=True))
            if settings.sandbox
            else SystemClock()
        )
    return App(settings, engine, clock, build_gateways(settings, clock, engine))


def migrate(app: App) -> None:
    upgrade(app.engine)
