"""The unit of work: one transaction and the repositories working in it.

A use case opens one (`with uow:`), and commits once (services/usecase.py runs it).
The SQL implementation is adapters/db/uow.py; tests run it on SQLite and
PostgreSQL, because the projection's correctness lives in its queries.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from depositdesk.domain.clock import Clock
from depositdesk.services.ports.archives import ArchiveRepository, ArchiveRows
from depositdesk.services.ports.outbox import (
    OutboxRepository,
    TimerRepository,
    WebhookEndpointRepository,
)
from depositdesk.services.ports.repositories import (
    AttachmentRepository,
    AuditRepository,
    EventRepository,
    IdempotencyRepository,
    LedgerRepository,
    NoticeRepository,
    PayoutRepository,
    PolicyRepository,
    ProjectionRepository,
    RefundRepository,
    SandboxRepository,
    SecuritySignalRepository,
    SellerRepository,
    ShopRepository,
    TokenRepository,
    UnlinkRepository,
    UserRepository,
    ViolationReturnRepository,
)


class Transaction(Protocol):
    """`with uow: …; uow.commit()`: leaving without commit rolls everything back."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class UnitOfWork(Transaction, Protocol):
    """One transaction and the repositories working in it (read-only members, so
    that an implementation may narrow their types)."""

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def sellers(self) -> SellerRepository: ...

    @property
    def shops(self) -> ShopRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def idempotency(self) -> IdempotencyRepository: ...

    @property
    def notices(self) -> NoticeRepository: ...

    @property
    def ledger(self) -> LedgerRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def projection(self) -> ProjectionRepository: ...

    @property
    def sandbox(self) -> SandboxRepository: ...

    @property
    def outbox(self) -> OutboxRepository:
        """Mail and webhooks, written with the change that causes them."""
        ...

    @property
    def timers(self) -> TimerRepository:
        """Deadlines the worker acts on."""
        ...

    @property
    def payouts(self) -> PayoutRepository:
        """Payouts of approved refunds (REF-6)."""
        ...

    @property
    def refunds(self) -> RefundRepository:
        """Refund applications (REF-3..8)."""
        ...

    @property
    def signals(self) -> SecuritySignalRepository:
        """Security signals (UNL-1): a changed payout account, …"""
        ...

    @property
    def unlinks(self) -> UnlinkRepository:
        """Unlink requests and closure notices (UNL-1..7)."""
        ...

    @property
    def users(self) -> UserRepository:
        """Seller users who sign in (issue 10)."""
        ...

    @property
    def webhook_endpoints(self) -> WebhookEndpointRepository:
        """Receivers of the webhooks `services/webhooks.publish` writes."""
        ...

    @property
    def violation_returns(self) -> ViolationReturnRepository:
        """Deductions given back after rectification (DEP-9)."""
        ...

    @property
    def attachments(self) -> AttachmentRepository:
        """Proof files' records (REF-4)."""
        ...

    @property
    def archives(self) -> ArchiveRepository:
        """Shop data archives (UNL-4) and the worker's claim of them."""
        ...

    @property
    def archive_rows(self) -> ArchiveRows:
        """The shop's rows for an archive, read in batches (UNL-4)."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """The audit log (AUD-1): entries written with the commit."""
        ...


UowFactory = Callable[[], UnitOfWork]


class Context(Protocol):
    """What running a use case needs: a way to open a unit of work, and the clock.

    `uow(read_only=True)` is a reader's transaction: it sees one snapshot and never
    waits for a writer (SQLite WAL with a deferred BEGIN, PostgreSQL READ ONLY); the
    default may write and is serialised with other writers where the database needs it.
    """

    @property
    def clock(self) -> Clock: ...

    def uow(self, *, read_only: bool = False) -> UnitOfWork: ...
