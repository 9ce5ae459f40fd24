"""The outbox table (domain/outbox.py; Protocol in services/ports/outbox.py)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from depositdesk.adapters.db.tables import outbox
from depositdesk.domain.outbox import Channel, DeliveryStatus, OutboxMessage
from depositdesk.services.paging import CreatedCursor

_PENDING = (outbox.c.sent_at.is_(None), outbox.c.failed_at.is_(None))
_IN_STATUS: dict[DeliveryStatus, ColumnElement[bool]] = {
    DeliveryStatus.PENDING: and_(*_PENDING),
    DeliveryStatus.SENT: outbox.c.sent_at.is_not(None),
    DeliveryStatus.FAILED: and_(outbox.c.sent_at.is_(None), outbox.c.failed_at.is_not(None)),
}


def _add_statement(postgres: bool) -> Any:
    """The INSERT of one message, built once with bound parameters: a statement built
    with its values inline is keyed and compiled anew at every call, which cost more
    than the insert (ingestion writes several messages per money event)."""
    dialect_insert: Any = postgresql.insert if postgres else sqlite.insert
    return (
        dialect_insert(outbox)
        .values({c.name: bindparam(c.name, type_=c.type) for c in outbox.c})
        # Only the dedupe key may clash quietly; a clashing id is a bug and raises.
        .on_conflict_do_nothing(index_elements=[outbox.c.dedupe_key])
        # RETURNING, not rowcount: SQLAlchemy reports -1 for inserts on psycopg.
        .returning(outbox.c.id)
    )


_ADD = {postgres: _add_statement(postgres) for postgres in (False, True)}


class OutboxRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, message: OutboxMessage) -> bool:
        params = {
            "id": message.id,
            "channel": message.channel.value,
            "topic": message.topic,
            "dedupe_key": message.dedupe_key,
            "payload": json.dumps(message.payload, sort_keys=True),
            "created_at": message.created_at,
            "available_at": message.available_at,
            "attempts": message.attempts,
            "sent_at": message.sent_at,
            "failed_at": message.failed_at,
            "last_error": message.last_error,
            "endpoint_id": message.endpoint_id,
        }
        return self.conn.execute(_ADD[self.postgres], params).first() is not None

    def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        query = (
            select(outbox)
            .where(*_PENDING, outbox.c.available_at <= now)
            .order_by(outbox.c.available_at, outbox.c.created_at, outbox.c.id)
            .limit(limit)
        )
        if self.postgres:  # SQLite has one writer: the claim is already exclusive
            query = query.with_for_update(skip_locked=True)
        return [_message(row) for row in self.conn.execute(query).mappings()]

    def mark_sent(self, message_id: str, at: datetime) -> None:
        self._set(message_id, sent_at=at)

    def mark_retry(
        self, message_id: str, attempts: int, available_at: datetime, error: str | None
    ) -> None:
        self._set(message_id, attempts=attempts, available_at=available_at, last_error=error)

    def mark_failed(self, message_id: str, at: datetime, error: str) -> None:
        self._set(message_id, failed_at=at, last_error=error)

    def pending_count(self) -> int:
        query = select(func.count()).select_from(outbox).where(*_PENDING)
        return int(self.conn.execute(query).scalar_one())

    def for_endpoint(
        self,
        endpoint_id: str,
        status: DeliveryStatus | None,
        after: CreatedCursor | None,
        limit: int,
    ) -> list[OutboxMessage]:
        query = (
            select(outbox)
            .where(outbox.c.endpoint_id == endpoint_id)
            .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(_IN_STATUS[status])
        if after is not None:
            query = query.where(
                or_(
                    outbox.c.created_at < after.created_at,
                    and_(outbox.c.created_at == after.created_at, outbox.c.id < after.id),
                )
            )
        return [_message(row) for row in self.conn.execute(query).mappings()]

    def counts_by_endpoint(
        self, endpoint_ids: Collection[str]
    ) -> dict[str, dict[DeliveryStatus, int]]:
        counts = {e: dict.fromkeys(DeliveryStatus, 0) for e in endpoint_ids}
        if not counts:
            return counts
        columns = [
            func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(status.value)
            for status, condition in _IN_STATUS.items()
        ]
        query = (
            select(outbox.c.endpoint_id, *columns)
            .where(outbox.c.endpoint_id.in_(list(counts)))
            .group_by(outbox.c.endpoint_id)
        )
        for row in self.conn.execute(query).mappings():
            counts[row["endpoint_id"]] = {s: int(row[s.value]) for s in DeliveryStatus}
        return counts

    def get(self, message_id: str) -> OutboxMessage | None:
        row = self.conn.execute(select(outbox).where(outbox.c.id == message_id)).mappings().first()
        return None if row is None else _message(row)

    def _set(self, message_id: str, **values: Any) -> None:
        self.conn.execute(update(outbox).where(outbox.c.id == message_id).values(**values))


def _message(row: RowMapping) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        channel=Channel(row["channel"]),
        topic=row["topic"],
        dedupe_key=row["dedupe_key"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
        available_at=row["available_at"],
        attempts=row["attempts"],
        sent_at=row["sent_at"],
        failed_at=row["failed_at"],
        last_error=row["last_error"],
        endpoint_id=row["endpoint_id"],
    )
