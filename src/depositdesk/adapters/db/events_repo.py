"""The events table: each event id is stored once (EVT-2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from depositdesk.adapters.db.bulk import by_size, compiled_many, copy_to_stage, in_keys, in_params
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
            return self._insert_new_pg(rows, received_at)
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

    def _insert_new_pg(
        self, rows: list[tuple[str, str, str, datetime, str]], received_at: datetime
    ) -> set[str]:
        """COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO
        NOTHING RETURNING id: the ids stored, whoever else stores the same ids at once."""
        conn = self.conn
        staged = ((*row, received_at) for row in rows)
        copy_to_stage(conn, "events_stage", "events", _EVENT_COLUMNS, staged)
        stored = conn.exec_driver_sql(_FROM_STAGE).scalars()
        return set(stored)  # the staged rows go at commit (ON COMMIT DELETE ROWS)


# ORDER BY id: concurrent chunks insert (and lock) their ids in one order, no deadlock.
_FROM_STAGE = (
    f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) "
    f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events_stage ORDER BY id "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)
