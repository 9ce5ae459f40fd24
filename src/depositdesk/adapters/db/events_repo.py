"""The events table: each event id is stored once (EVT-2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from depositdesk.adapters.db.bulk import by_size, chunks, compiled_many, in_keys, in_params
from depositdesk.adapters.db.tables import events

_EVENT_COLUMNS = ("id", "shop_id", "type", "occurred_at", "data", "received_at")
_EVENTS_STORED = by_size(lambda n: select(events.c.id).where(in_keys(events.c.id, n)))


class EventRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def insert_new(
        self, rows: list[tuple[str, str, str, datetime, str]], received_at: datetime
    ) -> set[str]:
        """Insert events (id, shop_id, type, occurred_at, data) whose id is new; return
        the ids actually inserted (EVT-2)."""
        if not rows:
            return set()
        if self.postgres:
            stmt = (
                pg_insert(events)
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(events.c.id)
            )
            inserted: set[str] = set()
            for part in chunks(rows, 1000):
                params = [dict(zip(_EVENT_COLUMNS, (*r, received_at), strict=True)) for r in part]
                inserted.update(self.conn.execute(stmt, params).scalars())
            return inserted
        # SQLite has one writer at a time (BEGIN IMMEDIATE): an id not stored yet cannot
        # be stored by anyone else before this transaction ends, so a lookup followed by
        # a plain executemany is exact, and much cheaper than INSERT ... RETURNING.
        stored: set[str] = set()
        for size, keys in in_params([r[0] for r in rows]):
            stored.update(self.conn.execute(_EVENTS_STORED[size], keys).scalars())
        new = []
        for row in rows:
            if row[0] not in stored:
                stored.add(row[0])
                new.append(row)
        many = compiled_many(
            self.conn,
            "events",
            lambda: sqlite_insert(events).on_conflict_do_nothing(index_elements=["id"]),
            _EVENT_COLUMNS,
        )
        many.run(self.conn, new, received_at)
        return {row[0] for row in new}
