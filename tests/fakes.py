"""In-memory fakes of the ports, for unit tests (style.md: every port has a fake)."""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import BinaryIO

from depositdesk.domain.gateway_messages import (
    EmailMessage,
    PayoutInstruction,
    PayoutReceipt,
    StoredFile,
    WebhookDelivery,
    WebhookResult,
)
from depositdesk.domain.outbox import DeliveryStatus, OutboxMessage
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services.paging import CreatedCursor


class FakeMailer:
    """Keeps what it sends; raises for the first `fail_times` messages."""

    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[EmailMessage] = []
        self.fail_times = fail_times

    def send(self, message: EmailMessage) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("fake SMTP server is down")
        self.sent.append(message)


class FakeWebhookSender:
    """Answers `status` to the first `fail_times` deliveries, then 200; keeps them all."""

    def __init__(self, fail_times: int = 0, status: int = 500) -> None:
        self.attempts: list[WebhookDelivery] = []
        self.fail_times = fail_times
        self.status = status

    def deliver(self, delivery: WebhookDelivery) -> WebhookResult:
        self.attempts.append(delivery)
        if self.fail_times > 0:
            self.fail_times -= 1
            return WebhookResult(self.status, "fake receiver failure")
        return WebhookResult(200)


class FakePayoutGateway:
    """Pays each payout key once and counts every call per key (REF-6)."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.calls: Counter[str] = Counter()
        self.paid: dict[str, PayoutInstruction] = {}

    def send(self, instruction: PayoutInstruction) -> PayoutReceipt:
        self.calls[instruction.payout_key] += 1
        self.paid.setdefault(instruction.payout_key, instruction)
        return PayoutReceipt(instruction.payout_key, f"fake-{instruction.payout_key}", self.at)


class FakeFileStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, data: bytes) -> StoredFile:
        key = hashlib.sha256(data).hexdigest()
        self.files[key] = data
        return StoredFile(key, len(data))

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.read(key))

    def read(self, key: str) -> bytes:
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"not a file key: {key!r}")
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key]


@dataclass
class FakeSenders:
    mailer: FakeMailer = field(default_factory=FakeMailer)
    webhooks: FakeWebhookSender = field(default_factory=FakeWebhookSender)


class FakeOutboxRepository:
    """The outbox over a dict, with the SQL repository's rules (dedupe, due order)."""

    def __init__(self, rows: dict[str, OutboxMessage]) -> None:
        self.rows = rows

    def add(self, message: OutboxMessage) -> bool:
        if any(row.dedupe_key == message.dedupe_key for row in self.rows.values()):
            return False
        self.rows[message.id] = message
        return True

    def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        due = [m for m in self.rows.values() if m.pending and m.available_at <= now]
        return sorted(due, key=lambda m: (m.available_at, m.created_at, m.id))[:limit]

    def mark_sent(self, message_id: str, at: datetime) -> None:
        self.rows[message_id] = replace(self.rows[message_id], sent_at=at)

    def mark_retry(
        self, message_id: str, attempts: int, available_at: datetime, error: str | None
    ) -> None:
        self.rows[message_id] = replace(
            self.rows[message_id], attempts=attempts, available_at=available_at, last_error=error
        )

    def mark_failed(self, message_id: str, at: datetime, error: str) -> None:
        self.rows[message_id] = replace(self.rows[message_id], failed_at=at, last_error=error)

    def pending_count(self) -> int:
        return sum(1 for m in self.rows.values() if m.pending)

    def for_endpoint(
        self,
        endpoint_id: str,
        status: DeliveryStatus | None,
        after: CreatedCursor | None,
        limit: int,
    ) -> list[OutboxMessage]:
        rows = [
            m
            for m in self.rows.values()
            if m.endpoint_id == endpoint_id
            and (status is None or m.status is status)
            and (after is None or (m.created_at, m.id) < (after.created_at, after.id))
        ]
        return sorted(rows, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]

    def counts_by_endpoint(
        self, endpoint_ids: Collection[str]
    ) -> dict[str, dict[DeliveryStatus, int]]:
        counts = {e: dict.fromkeys(DeliveryStatus, 0) for e in endpoint_ids}
        for m in self.rows.values():
            if m.endpoint_id in counts:
                counts[m.endpoint_id][m.status] += 1
        return counts


class FakeWebhookEndpointRepository:
    """Webhook endpoints over a dict (the SQL repository's order: oldest first)."""

    def __init__(self, rows: dict[str, WebhookEndpoint]) -> None:
        self.rows = rows

    def add(self, endpoint: WebhookEndpoint) -> None:
        if endpoint.id in self.rows:
            raise ValueError(f"endpoint {endpoint.id} exists")
        self.rows[endpoint.id] = endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.rows.get(endpoint_id)

    def all(self) -> list[WebhookEndpoint]:
        return sorted(self.rows.values(), key=lambda e: (e.created_at, e.id))

    def page(self, after: CreatedCursor | None, limit: int) -> list[WebhookEndpoint]:
        rows = [
            e
            for e in self.rows.values()
            if after is None or (e.created_at, e.id) < (after.created_at, after.id)
        ]
        return sorted(rows, key=lambda e: (e.created_at, e.id), reverse=True)[:limit]

    def disable(self, endpoint_id: str, at: datetime) -> None:
        self.rows[endpoint_id] = replace(self.rows[endpoint_id], disabled_at=at)


class FakeOutboxStore:
    """Committed outbox rows; `uow()` opens a transaction on a copy of them, so what
    is not committed is lost, as with the database. `crash_on_commit=n` raises
    `Crash` at the n-th commit (1-based) instead of committing."""

    def __init__(self, crash_on_commit: int | None = None) -> None:
        self.rows: dict[str, OutboxMessage] = {}
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.commits = 0
        self.crash_on_commit = crash_on_commit

    def uow(self) -> FakeOutboxUow:
        return FakeOutboxUow(self)

    def get(self, message_id: str) -> OutboxMessage:
        return self.rows[message_id]


class Crash(Exception):
    """A simulated process crash."""


class FakeOutboxUow:
    def __init__(self, store: FakeOutboxStore) -> None:
        self.store = store
        self.outbox = FakeOutboxRepository(dict(store.rows))
        self.webhook_endpoints = FakeWebhookEndpointRepository(dict(store.endpoints))

    def __enter__(self) -> FakeOutboxUow:
        self.outbox = FakeOutboxRepository(dict(self.store.rows))
        self.webhook_endpoints = FakeWebhookEndpointRepository(dict(self.store.endpoints))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.outbox = FakeOutboxRepository({})  # uncommitted work is dropped
        self.webhook_endpoints = FakeWebhookEndpointRepository({})

    def commit(self) -> None:
        self.store.commits += 1
        if self.store.commits == self.store.crash_on_commit:
            raise Crash(f"crashed at commit {self.store.commits}")
        self.store.rows = dict(self.outbox.rows)
        self.store.endpoints = dict(self.webhook_endpoints.rows)
