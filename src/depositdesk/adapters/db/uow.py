"""The unit of work: one transaction, committed once by the service that opened it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from depositdesk.adapters.db.attachments_repo import AttachmentRepository
from depositdesk.adapters.db.events_repo import EventRepository
from depositdesk.adapters.db.idempotency_repo import IdempotencyRepository
from depositdesk.adapters.db.ledger_repo import LedgerRepository
from depositdesk.adapters.db.outbox_repo import OutboxRepository
from depositdesk.adapters.db.payouts_repo import PayoutRepository
from depositdesk.adapters.db.projection_repo import ProjectionRepository
from depositdesk.adapters.db.refunds_repo import RefundRepository
from depositdesk.adapters.db.repositories import (
    NoticeRepository,
    PolicyRepository,
    SandboxRepository,
    SellerRepository,
    ShopRepository,
    TokenRepository,
)
from depositdesk.adapters.db.returns_repo import ViolationReturnRepository
from depositdesk.adapters.db.signals_repo import SecuritySignalRepository
from depositdesk.adapters.db.timer_repo import TimerRepository
from depositdesk.adapters.db.webhook_repo import WebhookEndpointRepository


class SqlUnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        conn = self.engine.connect()
        conn.begin()
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.policies = PolicyRepository(conn)
        self.sellers = SellerRepository(conn)
        self.shops = ShopRepository(conn, self.postgres)
        self.tokens = TokenRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.notices = NoticeRepository(conn)
        self.ledger = LedgerRepository(conn)
        self.events = EventRepository(conn, self.postgres)
        self.projection = ProjectionRepository(conn, self.postgres)
        self.sandbox = SandboxRepository(conn)
        self.outbox = OutboxRepository(conn, self.postgres)
        self.timers = TimerRepository(conn, self.postgres)
        self.refunds = RefundRepository(conn, self.postgres)
        self.payouts = PayoutRepository(conn, self.postgres)
        self.webhook_endpoints = WebhookEndpointRepository(conn)
        self.violation_returns = ViolationReturnRepository(conn)
        self.attachments = AttachmentRepository(conn)
        self.signals = SecuritySignalRepository(conn)
        return self

    def commit(self) -> None:
        assert self.conn is not None
        self.conn.commit()

    def rollback(self) -> None:
        assert self.conn is not None
        self.conn.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.conn is not None
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()
            self.conn = None
