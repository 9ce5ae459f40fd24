"""Shop data archives on SQLAlchemy Core (UNL-4): their records, the worker's claim,
and the shop's rows read in batches for the zip."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from sqlalchemy import Connection, RowMapping, insert, select, update

from depositdesk.adapters.db.tables import archives
from depositdesk.domain.archives import KIND_BY_NAME, Archive, ArchiveFile, ArchiveStatus
from depositdesk.services.archive_shapes import rows_of
from depositdesk.services.ports.archives import Batch

BATCH = 10_000
READ_AHEAD = 2  # batches read ahead of the caller
SORT_CACHE_KIB = 32 * 1024  # the archive's own SQLite connection's page cache
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


# Column types of the rows read: "string", "int64", or "time" (a stored time, read as
# `YYYY-MM-DD HH:MM:SS.ffffff` text and written as RFC 3339 UTC).
Columns = tuple[tuple[str, str], ...]
_ARROW = {"string": pa.string(), "int64": pa.int64(), "time": pa.string()}


def _schema(columns: Columns) -> pa.Schema:
    return pa.schema([pa.field(name, _ARROW[type_]) for name, type_ in columns])


def _rfc3339(column: pa.Array) -> pa.Array:
    """`YYYY-MM-DD HH:MM:SS.ffffff` -> `YYYY-MM-DDTHH:MM:SS.ffffffZ`, by Arrow (no
    per-value Python); nulls stay null."""
    return pc.binary_join_element_wise(
        pc.utf8_replace_slice(column, 10, 11, "T"), pa.scalar("Z"), ""
    )


def _finished(batch: pa.RecordBatch, columns: Columns, schema: pa.Schema) -> pa.RecordBatch:
    """A batch as read, cast to the declared types, its times as RFC 3339."""
    arrays = []
    for array, (_, type_), field in zip(batch.columns, columns, schema, strict=True):
        if array.type != field.type:
            array = array.cast(field.type)
        arrays.append(_rfc3339(array) if type_ == "time" else array)
    return pa.record_batch(arrays, schema=schema)


def _typed_first_row(columns: Columns) -> str:
    """A first row of the declared types: ADBC's SQLite driver takes each column's type
    from the first rows it reads and fails when a later value differs (a column NULL
    in every early row is taken for an integer), so each query starts with this row,
    which is dropped."""
    return ", ".join("0" if t == "int64" else "''" for _, t in columns)


class SqlArchiveRows:
    """The shop's rows for the archive as Arrow record batches, each kind one statement
    read BATCH rows at a time, all in one read transaction (one snapshot):

    - SQLite (a database file): through ADBC's SQLite driver on a connection of its
      own, which hands over Arrow batches without a Python object per value;
    - PostgreSQL (or an in-memory SQLite): through the connection's own driver
      (PostgreSQL: a named server-side cursor), rows converted to Arrow per batch.
    """

    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres
        self._n = 0
        self._adbc: Any = None

    def close(self) -> None:
        """End the ADBC connection's read transaction, if one was opened."""
        if self._adbc is not None:
            self._adbc.rollback()
            self._adbc.close()
            self._adbc = None

    def _adbc_connection(self) -> Any:
        database = self.conn.engine.url.database
        if self.postgres or database in (None, "", ":memory:"):
            return None
        if self._adbc is None:
            import adbc_driver_sqlite.dbapi as adbc

            # Not autocommit: every statement in one transaction, so one snapshot.
            self._adbc = adbc.connect(database)
            cursor = self._adbc.cursor()
            try:  # room to sort the customers (memory bounded: the rest spills to disk)
                cursor.execute(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
            finally:
                cursor.close()
        return self._adbc

    def _stream(
        self, sql: str, params: tuple[Any, ...], columns: Columns, *, ahead: bool = True
    ) -> Iterator[Batch]:
        """`ahead`: read by a thread of its own (ADBC); not for two streams read at
        once, as an ADBC connection is used by one thread at a time."""
        schema = _schema(columns)
        adbc = self._adbc_connection()
        if adbc is not None:
            yield from self._adbc_stream(adbc, sql, params, columns, schema, ahead)
            return
        raw: Any = self.conn.connection.driver_connection
        if self.postgres:
            self._n += 1
            cursor = raw.cursor(name=f"archive_rows_{self._n}")
            sql = sql.replace("%", "%%").replace("?", "%s")
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(BATCH):
                yield _finished(_from_rows(schema, rows), columns, schema)
        finally:
            cursor.close()

    def _adbc_stream(
        self,
        adbc: Any,
        sql: str,
        params: tuple[Any, ...],
        columns: Columns,
        schema: pa.Schema,
        ahead: bool,
    ) -> Iterator[Batch]:
        cursor = adbc.cursor()
        try:
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH)})
            typed = _typed_first_row(columns)
            cursor.execute(f"SELECT {typed} UNION ALL SELECT * FROM ({sql})", params)
            reader = cursor.fetch_record_batch()
            batches = (_ahead if ahead else _inline)(reader, columns, schema)
            try:
                yield from batches
            finally:
                batches.close()
        finally:
            cursor.close()

    def t(self, column: str) -> str:
        """A stored time as `YYYY-MM-DD HH:MM:SS.ffffff` text (SQLite keeps it so)."""
        if self.postgres:
            return f"to_char({column}, 'YYYY-MM-DD HH24:MI:SS.US')"
        return column

    def orders(self, shop_id: str) -> Iterator[Batch]:
        t = self.t
        return self._stream(
            "SELECT order_id, state, category, amount_minor, currency, customer_id, "
            f"{t('placed_at')}, {t('shipped_at')}, {t('delivered_at')}, {t('cancelled_at')}, "
            f"{t('after_sales_ends_at')} FROM orders WHERE shop_id = ? ORDER BY order_id",
            (shop_id,),
            _kind_columns("orders"),
        )

    def events(self, shop_id: str, *, tickets: bool) -> Iterator[Batch]:
        t = self.t
        which = "LIKE" if tickets else "NOT LIKE"
        return self._stream(
            f"SELECT id, type, {t('occurred_at')}, {t('received_at')}, data FROM events "
            f"WHERE shop_id = ? AND type {which} 'ticket.%' ORDER BY occurred_at, id",
            (shop_id,),
            _kind_columns("sales_history"),
        )

    def ledger(self, shop_id: str) -> Iterator[Batch]:
        return self._stream(
            f"SELECT e.id, {self.t('e.at')}, e.kind, e.memo, e.source, p.account, p.currency, "
            "p.amount_minor FROM journal_entries e JOIN postings p ON p.entry_id = e.id "
            "WHERE e.shop_id = ? ORDER BY e.id, p.id",
            (shop_id,),
            _kind_columns("ledger_entries"),
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
            _kind_columns("listings"),
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
        columns = _kind_columns("customers")[:-1]  # all but `details`
        if not details:
            return (
                batch.append_column("details", pa.nulls(batch.num_rows, pa.string()))
                for batch in self._stream(totals + group, (shop_id,), columns)
            )
        # The data of each customer's latest placing event, by a second ordered pass
        # merged with the totals (both ordered by customer and currency).
        latest = self._stream(
            "SELECT o.customer_id, o.currency, e.data FROM orders o "
            "JOIN events e ON e.id = o.placed_event "
            "WHERE o.shop_id = ? AND o.customer_id IS NOT NULL "
            f"ORDER BY o.customer_id{c}, o.currency{c}, o.placed_at, o.placed_event",
            (shop_id,),
            (("customer", "string"), ("currency", "string"), ("data", "string")),
            ahead=False,
        )
        totals_read = self._stream(totals + group, (shop_id,), columns, ahead=False)
        return _merge_latest(totals_read, latest)

    def customer_messages(self, shop_id: str) -> Iterator[Batch]:
        return self._stream(
            f"SELECT n.unlink_id, n.kind, n.customer_key, n.email, {self.t('n.sent_at')} "
            "FROM customer_notices n JOIN unlinks u ON u.id = n.unlink_id "
            "WHERE u.shop_id = ? ORDER BY n.sent_at, n.unlink_id, n.kind, n.customer_key",
            (shop_id,),
            _kind_columns("customer_messages"),
        )

    def notices(self, shop_id: str) -> Iterator[Batch]:
        t = self.t
        return self._stream(
            f"SELECT id, kind, subject, body, {t('created_at')}, {t('due_at')}, policy_pack, "
            "policy_version FROM notices WHERE shop_id = ? ORDER BY created_at, id",
            (shop_id,),
            _kind_columns("notices"),
        )


_TIMES = frozenset(
    {
        "placed_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "after_sales_ends_at",
        "occurred_at",
        "received_at",
        "at",
        "changed_at",
        "last_order_at",
        "first_order_at",
        "sent_at",
        "created_at",
        "due_at",
    }
)
_DONE = object()


def _inline(reader: Any, columns: Columns, schema: pa.Schema) -> Generator[Any, None, None]:
    """The reader's batches (its typed first row dropped), read as the caller asks."""
    first = True
    for batch in reader:
        if first:
            batch, first = batch.slice(1), False
        if batch.num_rows:
            yield _finished(batch, columns, schema)


def _ahead(reader: Any, columns: Columns, schema: pa.Schema) -> Generator[Any, None, None]:
    """The reader's batches (its typed first row dropped), read and finished by a
    thread of their own a few batches ahead of the caller: ADBC and Arrow let go of
    the GIL while they read, so on two cores the reading costs the caller nothing."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in _inline(reader, columns, schema):
                ready.put(batch)
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # handed to the caller, raised there
            ready.put(exc)

    thread = threading.Thread(target=read, name="archive-read", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a put, then let it see `stop`
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()


def _kind_columns(name: str) -> Columns:
    """A kind's columns as read: its time columns (by name) typed "time"."""
    return tuple((c, "time" if c in _TIMES else t) for c, t in KIND_BY_NAME[name].columns)


def _from_rows(schema: pa.Schema, rows: Sequence[tuple[Any, ...]]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))
    return pa.record_batch(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _merge_latest(totals: Iterator[Batch], latest: Iterator[Batch]) -> Iterator[Batch]:
    """Each totals row with the data of its customer's last row in `latest` (both in
    (customer, currency) order): one pass over each, a batch in memory."""

    def rows() -> Generator[Any, None, None]:
        for batch in latest:
            yield from rows_of(batch)

    source = rows()
    try:
        current = next(source, None)
        for batch in totals:
            data = []
            for customer, currency in zip(
                batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True
            ):
                key = (customer, currency)
                found = None
                while current is not None and (current[0], current[1]) <= key:
                    if (current[0], current[1]) == key:
                        found = current[2]
                    current = next(source, None)
                data.append(found)
            yield batch.append_column("details", pa.array(data, pa.string()))
    finally:
        source.close()
        close = getattr(latest, "close", None)  # its cursor, at once
        if close is not None:
            close()
