"""The timers table (domain/timers.py; Protocol in services/ports/outbox.py)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from depositdesk.adapters.db.tables import timers
from depositdesk.domain.timers import Timer

_NOT_DONE = timers.c.done_at.is_(None)


class TimerRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def schedule(self, timer: Timer) -> None:
        self.conn.execute(
            insert(timers).values(
                id=timer.id,
                kind=timer.kind,
                subject=timer.subject,
                due_at=timer.due_at,
                payload=json.dumps(timer.payload, sort_keys=True),
                created_at=timer.created_at,
                done_at=timer.done_at,
                cancelled=timer.cancelled,
            )
        )

    def cancel(self, kind: str, subject: str, at: datetime) -> int:
        """On PostgreSQL a timer a worker holds right now is skipped, not waited for:
        the worker locked the timer and then waits for the subject's row, which the
        caller (a pay-in lifting the ladder) already holds, so waiting would deadlock.
        The skipped timer's handler runs after this transaction commits, finds its
        reason gone (the case closed) and does nothing."""
        ids = select(timers.c.id).where(
            _NOT_DONE, timers.c.kind == kind, timers.c.subject == subject
        )
        if self.postgres:
            ids = ids.with_for_update(skip_locked=True)
        statement = (
            update(timers)
            .where(timers.c.id.in_(ids.scalar_subquery()))
            .values(done_at=at, cancelled=True)
        )
        return int(self.conn.execute(statement).rowcount)

    def claim_due(self, now: datetime, limit: int) -> list[Timer]:
        query = (
            select(timers)
            .where(_NOT_DONE, timers.c.due_at <= now)
            .order_by(timers.c.due_at, timers.c.id)
            .limit(limit)
        )
        if self.postgres:  # SQLite has one writer: the claim is already exclusive
            query = query.with_for_update(skip_locked=True)
        return [_timer(row) for row in self.conn.execute(query).mappings()]

    def complete(self, timer_id: str, at: datetime) -> None:
        self.conn.execute(
            update(timers).where(timers.c.id == timer_id, _NOT_DONE).values(done_at=at)
        )

    def postpone(self, timer_id: str, due_at: datetime) -> None:
        self.conn.execute(
            update(timers).where(timers.c.id == timer_id, _NOT_DONE).values(due_at=due_at)
        )

    def next_due(self) -> datetime | None:
        due: datetime | None = self.conn.execute(
            select(func.min(timers.c.due_at)).where(_NOT_DONE)
        ).scalar_one()
        return due

    def get(self, timer_id: str) -> Timer | None:
        row = self.conn.execute(select(timers).where(timers.c.id == timer_id)).mappings().first()
        return None if row is None else _timer(row)


def _timer(row: RowMapping) -> Timer:
    return Timer(
        id=row["id"],
        kind=row["kind"],
        subject=row["subject"],
        due_at=row["due_at"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
        done_at=row["done_at"],
        cancelled=row["cancelled"],
    )
