"""Shop data archives on SQLAlchemy Core (UNL-4): their records, the worker's claim,
and the shop's rows read in batches for the zip."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from depositdesk.adapters.db.tables import archives
from depositdesk.domain.archives import Archive, ArchiveFile, ArchiveStatus
from depositdesk.services.ports.archives import Batch

BATCH = 10_000
# A scan reads each page once: a small page cache for it keeps the archive's memory
# bounded (the connection's own 64 MiB, engine.py, is put back after).
SCAN_CACHE_KIB = 8 * 1024
_OPEN = [ArchiveStatus.QUEUED.value, ArchiveStatus.RUNNING.value]


def _archive(row: RowMapping) -> Archive:
    values: dict[str, Any] = dict(row)
    values["status"] = ArchiveStatus(row["status"])
    values["files"] = tuple(ArchiveFile(**f) for f in json.loads(row["files"] or "[]"))
    return Archive(**values)


def _row(a: Archive) -> dict[str, Any]:
    values = asdict(a)
    values["status"] = a.status.value
    values["files"] = json.dumps([asdict(f) for f in a.files]) if a.files else None
    return values


class ArchiveRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, archive: Archive) -> None:
        self.conn.execute(insert(archives).values(**_row(archive)))

    def get(self, archive_id: str) -> Archive | None:
        row = self.conn.execute(select(archives).where(archives.c.id == archive_id)).mappings()
        found = row.first()
        return None if found is None else _archive(found)

    def open_for_shop(self, shop_id: str) -> Archive | None:
        q = select(archives).where(archives.c.shop_id == shop_id, archives.c.status.in_(_OPEN))
        row = self.conn.execute(q.limit(1)).mappings().first()
        return None if row is None else _archive(row)

    def ready_for_shop(self, shop_id: str) -> Archive | None:
        q = (
            select(archives)
            .where(archives.c.shop_id == shop_id, archives.c.status == ArchiveStatus.READY.value)
            .order_by(archives.c.created_at.desc(), archives.c.id.desc())
            .limit(1)
        )
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _archive(row)

    def claim_due(self, now: datetime, lease_started_before: datetime) -> Archive | None:
        a = archives.c
        expired = (
            select(archives)
            .where(a.status == ArchiveStatus.RUNNING.value, a.lease_at < lease_started_before)
            .order_by(a.lease_at, a.id)
            .limit(1)
        )
        queued = (
            select(archives)
            .where(a.status == ArchiveStatus.QUEUED.value)
            .order_by(a.created_at, a.id)
            .limit(1)
        )
        for q in (expired, queued):
            if self.postgres:
                q = q.with_for_update(skip_locked=True)
            row = self.conn.execute(q).mappings().first()
            if row is None:
                continue
            found = _archive(row)
            attempts = found.attempts + 1
            self.conn.execute(
                update(archives)
                .where(a.id == found.id)
                .values(status=ArchiveStatus.RUNNING.value, attempts=attempts, lease_at=now)
            )
            return Archive(
                **{
                    **asdict(found),
                    "files": found.files,
                    "status": ArchiveStatus.RUNNING,
                    "attempts": attempts,
                    "lease_at": now,
                }
            )
        return None

    def _held(self, archive: Archive) -> Any:
        a = archives.c
        return update(archives).where(
            a.id == archive.id,
            a.attempts == archive.attempts,
            a.status == ArchiveStatus.RUNNING.value,
        )

    def heartbeat(self, archive: Archive, progress: int, now: datetime) -> bool:
        done = self.conn.execute(self._held(archive).values(progress=progress, lease_at=now))
        return bool(done.rowcount)

    def finish(self, archive: Archive) -> bool:
        values = _row(archive)
        for key in ("id", "shop_id", "created_at", "created_by", "attempts"):
            del values[key]
        done = self.conn.execute(self._held(archive).values(**values))
        return bool(done.rowcount)


def _time(column: str, postgres: bool) -> str:
    """A stored time as RFC 3339 UTC text, formatted by the database (no per-value
    Python): SQLite keeps `YYYY-MM-DD HH:MM:SS.ffffff`, PostgreSQL a timestamp."""
    if postgres:
        return f'to_char({column}, \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
    return f"(substr({column}, 1, 10) || 'T' || substr({column}, 12) || 'Z')"


class SqlArchiveRows:
    """The shop's rows for the archive, each kind one statement read through a
    server-side cursor (PostgreSQL: a named cursor; SQLite: the statement is stepped
    as rows are fetched), BATCH rows at a time."""

    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres
        self._n = 0
        self._cache: int | None = None

    def _stream(self, sql: str, params: tuple[Any, ...]) -> Iterator[Batch]:
        raw: Any = self.conn.connection.driver_connection
        if self.postgres:
            self._n += 1
            cursor = raw.cursor(name=f"archive_rows_{self._n}")
            sql = sql.replace("%", "%%").replace("?", "%s")
        else:
            cursor = raw.cursor()
            if self._cache is None:  # the connection's own, whichever stream ends last
                self._cache = int(raw.execute("PRAGMA cache_size").fetchone()[0])
            raw.execute(f"PRAGMA cache_size=-{SCAN_CACHE_KIB}")
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(BATCH):
                yield rows
        finally:
            cursor.close()
            if self._cache is not None:
                raw.execute(f"PRAGMA cache_size={self._cache}")

    def t(self, column: str) -> str:
        return _time(column, self.postgres)

    def orders(self, shop_id: str) -> Iterator[Batch]:
        t = self.t
        return self._stream(
            "SELECT order_id, state, category, amount_minor, currency, customer_id, "
            f"{t('placed_at')}, {t('shipped_at')}, {t('delivered_at')}, {t('cancelled_at')}, "
            f"{t('after_sales_ends_at')} FROM orders WHERE shop_id = ? ORDER BY order_id",
            (shop_id,),
        )

    def events(self, shop_id: str, *, tickets: bool) -> Iterator[Batch]:
        t = self.t
        which = "LIKE" if tickets else "NOT LIKE"
        return self._stream(
            f"SELECT id, type, {t('occurred_at')}, {t('received_at')}, data FROM events "
            f"WHERE shop_id = ? AND type {which} 'ticket.%' ORDER BY occurred_at, id",
            (shop_id,),
        )

    def ledger(self, shop_id: str) -> Iterator[Batch]:
        return self._stream(
            f"SELECT e.id, {self.t('e.at')}, e.kind, e.memo, e.source, p.account, p.currency, "
            "p.amount_minor FROM journal_entries e JOIN postings p ON p.entry_id = e.id "
            "WHERE e.shop_id = ? ORDER BY e.id, p.id",
            (shop_id,),
        )

    def listings(self, shop_id: str) -> Iterator[Batch]:
        t = self.t
        active = "CASE WHEN c.active THEN 'true' ELSE 'false' END"
        return self._stream(
            f"SELECT c.category, {active}, {t('c.changed_at')}, c.changed_by, "
            f"{t('o.last_order_at')} FROM shop_categories c LEFT JOIN category_orders o "
            "ON o.shop_id = c.shop_id AND o.category = c.category WHERE c.shop_id = ? "
            "ORDER BY c.category",
            (shop_id,),
        )

    def customers(self, shop_id: str, *, details: bool) -> Iterator[Batch]:
        t = self.t
        totals = (
            "SELECT customer_id, currency, count(*), "
            "sum(CASE WHEN cancelled_at IS NULL THEN amount_minor ELSE 0 END), "
            f"{t('min(placed_at)')}, {t('max(placed_at)')}"
        )
        # Both passes in the same byte order as Python's str (PostgreSQL: "C").
        c = ' COLLATE "C"' if self.postgres else ""
        group = (
            " FROM orders WHERE shop_id = ? AND customer_id IS NOT NULL "
            f"GROUP BY customer_id, currency ORDER BY customer_id{c}, currency{c}"
        )
        if not details:
            return (
                [(*r, None) for r in batch] for batch in self._stream(totals + group, (shop_id,))
            )
        # The data of each customer's latest placing event, by a second ordered pass
        # merged with the totals (both ordered by customer and currency).
        latest = self._stream(
            "SELECT o.customer_id, o.currency, e.data FROM orders o "
            "JOIN events e ON e.id = o.placed_event "
            "WHERE o.shop_id = ? AND o.customer_id IS NOT NULL "
            f"ORDER BY o.customer_id{c}, o.currency{c}, o.placed_at, o.placed_event",
            (shop_id,),
        )
        return _merge_latest(self._stream(totals + group, (shop_id,)), latest)

    def customer_messages(self, shop_id: str) -> Iterator[Batch]:
        return self._stream(
            f"SELECT n.unlink_id, n.kind, n.customer_key, n.email, {self.t('n.sent_at')} "
            "FROM customer_notices n JOIN unlinks u ON u.id = n.unlink_id "
            "WHERE u.shop_id = ? ORDER BY n.sent_at, n.unlink_id, n.kind, n.customer_key",
            (shop_id,),
        )

    def notices(self, shop_id: str) -> Iterator[Batch]:
        t = self.t
        return self._stream(
            f"SELECT id, kind, subject, body, {t('created_at')}, {t('due_at')}, policy_pack, "
            "policy_version FROM notices WHERE shop_id = ? ORDER BY created_at, id",
            (shop_id,),
        )

    def sales_by_month(self, shop_id: str) -> Iterator[Batch]:
        month = "to_char(placed_at, 'YYYY-MM')" if self.postgres else "substr(placed_at, 1, 7)"
        return self._stream(
            f"SELECT {month} AS m, currency, count(*), "
            "sum(CASE WHEN cancelled_at IS NULL THEN 0 ELSE 1 END), "
            "sum(CASE WHEN cancelled_at IS NULL THEN amount_minor ELSE 0 END) "
            "FROM orders WHERE shop_id = ? AND placed_at IS NOT NULL "
            f"GROUP BY {month}, currency ORDER BY m, currency",
            (shop_id,),
        )


def _merge_latest(totals: Iterator[Batch], latest: Iterator[Batch]) -> Iterator[Batch]:
    """Each totals row with the data of its customer's last row in `latest` (both in
    (customer, currency) order): one pass over each, a batch in memory."""

    def rows() -> Generator[Any, None, None]:
        for batch in latest:
            yield from batch

    source = rows()
    try:
        current = next(source, None)
        for batch in totals:
            out = []
            for row in batch:
                key = (row[0], row[1])
                data = None
                while current is not None and (current[0], current[1]) <= key:
                    if (current[0], current[1]) == key:
                        data = current[2]
                    current = next(source, None)
                out.append((*row, data))
            yield out
    finally:
        source.close()
        close = getattr(latest, "close", None)  # its cursor, at once
        if close is not None:
            close()
