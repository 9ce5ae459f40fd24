"""The unit of work: one transaction, committed once by the service that opened it."""

from __future__ import annotations

from types import TracebackType

from psycopg import errors as pg_errors
from sqlalchemy import Connection, Engine

from depositdesk.adapters.db.archives_repo import ArchiveRepository, SqlArchiveRows
from depositdesk.adapters.db.attachments_repo import AttachmentRepository
from depositdesk.adapters.db.audit_repo import AuditRepository
from depositdesk.adapters.db.engine import done_reading, reading
from depositdesk.adapters.db.events_repo import EventRepository
from depositdesk.adapters.db.idempotency_repo import IdempotencyRepository
from depositdesk.adapters.db.ledger_repo import LedgerRepository
from depositdesk.adapters.db.outbox_repo import OutboxRepository
from depositdesk.adapters.db.payouts_repo import PayoutRepository
from depositdesk.adapters.db.prepared import reading_ahead, take_behind
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
from depositdesk.adapters.db.unlinks_repo import UnlinkRepository
from depositdesk.adapters.db.users_repo import UserRepository
from depositdesk.adapters.db.webhook_repo import WebhookEndpointRepository
from depositdesk.domain.errors import IdempotencyKeyTaken


class SqlUnitOfWork:
    """`read_only`: a reader's transaction (adapters/db/engine.py), which never waits
    for a writer; anything that writes in it fails on PostgreSQL."""

    archive_rows: SqlArchiveRows

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self.conn: Connection | None = None
        self._joined = 0

    def __enter__(self) -> SqlUnitOfWork:
        if self.conn is not None:
            # Entered again while open: the use case joins the transaction already
            # running (a request's, entrypoints/api/deps.py). Leaving it with an error
            # rolls back what the use case did; only the outermost exit closes it.
            # If that transaction has ended (a use case run again after its commit
            # failed), a new one begins, with repositories that remember nothing.
            self._joined += 1
            if not self.conn.in_transaction():
                self._begin(self.conn)
            return self
        conn = self.engine.connect()
        if self.read_only:
            conn = reading(conn)
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._begin(conn)
        return self

    def _begin(self, conn: Connection) -> None:
        if self._joined:
            self.archive_rows.close()  # the ended transaction's, if it opened one
        conn.begin()
        reading_ahead(conn, True)
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
        self.unlinks = UnlinkRepository(conn, self.postgres)
        self.users = UserRepository(conn, self.postgres)
        self.audit = AuditRepository(conn, self.postgres)
        self.archives = ArchiveRepository(conn, self.postgres)
        self.archive_rows = SqlArchiveRows(conn, self.postgres)

    def commit(self) -> None:
        assert self.conn is not None
        # AUD-1: the chain's lock is the last one taken, held to here. On PostgreSQL the
        # flush sends the COMMIT with the records and the writes queued behind; the
        # commit below then has nothing to send (psycopg skips COMMIT outside a
        # transaction) and closes SQLAlchemy's.
        try:
            self.audit.flush(commit=self.postgres)
        except pg_errors.UniqueViolation as error:
            if error.diag.table_name == "idempotency_keys":
                raise IdempotencyKeyTaken(
                    "a concurrent request used this Idempotency-Key first; nothing of "
                    "this request was recorded"
                ) from error
            raise
        self.conn.commit()

    def rollback(self) -> None:
        assert self.conn is not None
        self._discard()
        self.conn.rollback()

    def _discard(self) -> None:
        """What the transaction queued for its commit never happens."""
        assert self.conn is not None
        self.audit.discard()
        take_behind(self.conn)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.conn is not None
        if self._joined:
            self._joined -= 1
            if exc_type is not None and self.conn.in_transaction():
                self._discard()
                self.conn.rollback()
            return
        try:
            self.archive_rows.close()  # its own read connection, if it opened one
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            reading_ahead(self.conn, False)
            if self.read_only:
                done_reading(self.conn)
            self.conn.close()
            self.conn = None
