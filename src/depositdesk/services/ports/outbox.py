"""Repository Protocols for the outbox and the timers (adapters/db implements them).

Both live in the unit of work's transaction: a message or a timer is written with
the change that causes it, and is gone if that change rolls back.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from depositdesk.domain.outbox import DeliveryStatus, OutboxMessage
from depositdesk.domain.timers import Timer
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services.paging import CreatedCursor


class OutboxRepository(Protocol):
    def add(self, message: OutboxMessage) -> bool:
        """Store `message`; True if it is new. A message whose `dedupe_key` is
        already stored is ignored (False): one change never makes two messages."""
        ...

    def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Up to `limit` pending messages with `available_at <= now`, oldest first,
        locked for this transaction; on PostgreSQL rows another worker holds are
        skipped (FOR UPDATE SKIP LOCKED), so workers share the work."""
        ...

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """The message went out at `at`; it is no longer pending."""
        ...

    def mark_retry(
        self, message_id: str, attempts: int, available_at: datetime, error: str | None
    ) -> None:
        """Record `attempts` so far and the next attempt time; `error` is the last
        failure (None while an attempt is merely in flight)."""
        ...

    def mark_failed(self, message_id: str, at: datetime, error: str) -> None:
        """Given up at `at`: the message stays stored with its last error."""
        ...

    def pending_count(self) -> int:
        """How many messages are neither sent nor failed (a health figure)."""
        ...

    def for_endpoint(
        self,
        endpoint_id: str,
        status: DeliveryStatus | None,
        after: CreatedCursor | None,
        limit: int,
    ) -> list[OutboxMessage]:
        """The messages to one webhook endpoint (all, or those in `status`), newest
        first on (created_at, id); `after` continues a page."""
        ...

    def counts_by_endpoint(
        self, endpoint_ids: Collection[str]
    ) -> dict[str, dict[DeliveryStatus, int]]:
        """For each of `endpoint_ids`, how many of its messages are in each status
        (every id and every status present, zeros included)."""
        ...


class TimerRepository(Protocol):
    def schedule(self, timer: Timer) -> None:
        """Store a new timer; it fires once `due_at` has passed."""
        ...

    def cancel(self, kind: str, subject: str, at: datetime) -> int:
        """Mark every not-done timer of `kind` for `subject` done (cancelled) at `at`,
        so it never fires; returns how many there were. A timer a worker is running
        at that moment (PostgreSQL) is left to it: its handler must find its reason
        gone and do nothing (every handler checks)."""
        ...

    def claim_due(self, now: datetime, limit: int) -> list[Timer]:
        """Up to `limit` not-done timers with `due_at <= now`, earliest first, locked
        for this transaction (FOR UPDATE SKIP LOCKED on PostgreSQL). The caller
        handles each and calls `complete` before committing."""
        ...

    def complete(self, timer_id: str, at: datetime) -> None:
        """The timer fired and its handler ran."""
        ...

    def postpone(self, timer_id: str, due_at: datetime) -> None:
        """Move a timer whose handler failed to a later time (it is tried again then)."""
        ...

    def next_due(self) -> datetime | None:
        """The earliest `due_at` of the not-done timers, None when there are none:
        how long the worker may sleep."""
        ...


class WebhookEndpointRepository(Protocol):
    def add(self, endpoint: WebhookEndpoint) -> None: ...

    def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    def all(self) -> list[WebhookEndpoint]:
        """Every endpoint, enabled or not, oldest first."""
        ...

    def page(self, after: CreatedCursor | None, limit: int) -> list[WebhookEndpoint]:
        """Endpoints newest first on (created_at, id); `after` continues a page."""
        ...

    def disable(self, endpoint_id: str, at: datetime) -> None:
        """Mark the endpoint disabled at `at` (nothing more is published to it)."""
        ...
