"""The per-shop projection: orders, case-like records, toggles (EVT-2, EVT-3).

Reads for eligibility touch only open or still-running rows through partial and
range indexes, so a shop with a million finished orders answers as fast as one
with a thousand. Writes are batched per chunk: orders are merged set-based (the
chunk's rows staged, then one INSERT ... ON CONFLICT DO UPDATE), records and toggles
by a lookup by ids and an upsert.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from depositdesk.adapters.db.bulk import by_size, compiled_many, copy_to_stage, in_keys, in_params
from depositdesk.adapters.db.prepared import Prepared, together
from depositdesk.adapters.db.tables import (
    category_orders,
    orders,
    shop_order_activity,
    shop_records,
    shop_toggles,
)
from depositdesk.adapters.db.types import naive_utc
from depositdesk.domain.eligibility import (
    DIFFERENCE_RECORD_KINDS,
    RECORD_BLOCKERS,
    BlockerCode,
    RecordSet,
)
from depositdesk.domain.shop_state import (
    OrderState,
    RecordKind,
    RecordState,
    ToggleKind,
    ToggleState,
)
from depositdesk.services.paging import CreatedCursor
from depositdesk.services.ports.repositories import RecordKey, ToggleKey

_ORDER_FIELDS = (
    "category",
    "amount_minor",
    "currency",
    "customer_id",
    "placed_at",
    "placed_event",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "after_sales_ends_at",
)
_RECORD_FIELDS = ("order_id", "opened_at", "opened_event", "closed_at", "amount_minor", "currency")
_RECORD_COLUMNS = ("shop_id", "kind", "record_id", "is_open", "attrs", *_RECORD_FIELDS)
_record_values = attrgetter(*_RECORD_FIELDS)
# ORDER BY the key: concurrent chunks lock the rows they upsert in one order.
_RECORDS_FROM_STAGE = (
    f"INSERT INTO shop_records ({', '.join(_RECORD_COLUMNS)}) "
    f"SELECT {', '.join(_RECORD_COLUMNS)} FROM records_stage "
    "ORDER BY shop_id, kind, record_id "
    "ON CONFLICT (shop_id, kind, record_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _RECORD_COLUMNS[3:])
)
_ORDER_COLUMNS = ("state", *_ORDER_FIELDS)
_order_values = attrgetter(*_ORDER_FIELDS)
assert tuple(f.name for f in fields(OrderState))[1:] == _ORDER_FIELDS  # positional loads
# The partial indexes' predicates, written as literals: a planner (SQLite's always,
# PostgreSQL's for generic plans) only uses a partial index when the query's WHERE
# matches the index's WHERE, which a bound parameter (`state = ?`, or `is_open = 1`
# as SQLAlchemy renders a boolean on SQLite) does not.
_ORDER_OPEN = orders.c.state == literal_column("'open'")
_RECORD_OPEN = text("shop_records.is_open")


def _by(column: Any, dialect: str) -> Any:
    """An ORDER BY term that does not tempt SQLite into walking the primary key in
    order (through every finished row of the shop) instead of a partial index of
    open rows: SQLite's unary `+` takes a term out of index planning, so the few
    open rows are found through the partial index and sorted. PostgreSQL plans
    with statistics and has no unary `+` on text."""
    if dialect == "postgresql":
        return column
    return literal_column(f"+{column.table.name}.{column.name}")


def _order_scope(scoped: bool) -> list[Any]:
    o = orders.c
    where = [o.shop_id == bindparam("shop_id")]
    return [*where, o.category == bindparam("category")] if scoped else where


def _open_orders(scoped: bool, dialect: str) -> Any:
    o = orders.c
    return (
        select(o.order_id)
        .where(*_order_scope(scoped), _ORDER_OPEN)
        .order_by(_by(o.order_id, dialect))
    )


def _running(scoped: bool) -> Any:
    o = orders.c
    return (
        select(o.order_id, o.after_sales_ends_at)
        .where(*_order_scope(scoped), o.after_sales_ends_at > bindparam("now"))
        .order_by(o.after_sales_ends_at.desc())
    )


def _open_records(scoped: bool, dialect: str) -> Any:
    r = shop_records.c
    o = orders.c
    kinds = DIFFERENCE_RECORD_KINDS if scoped else tuple(RECORD_BLOCKERS)
    q = select(r.kind, r.record_id).where(
        r.shop_id == bindparam("shop_id"),
        _RECORD_OPEN,
        r.kind.in_([literal_column(f"'{k.value}'") for k in kinds]),
    )
    if scoped:
        q = q.join(orders, and_(o.shop_id == r.shop_id, o.order_id == r.order_id)).where(
            o.category == bindparam("category")
        )
    return q.order_by(_by(r.kind, dialect), _by(r.record_id, dialect))


def _count(q: Any) -> Any:
    return select(func.count()).select_from(q.subquery())


def _scoped(build: Callable[[bool, str], Any]) -> dict[bool, Prepared]:
    """EVT-3's read prepared for each scope: the whole shop (False), and one category
    (True, kind=difference). `build(scoped, dialect)` makes the statement."""
    return {scoped: Prepared(partial(build, scoped)) for scoped in (False, True)}


_OPEN_ORDERS = _scoped(lambda s, d: _open_orders(s, d).limit(bindparam("limit")))
_OPEN_ORDERS_COUNT = _scoped(lambda s, d: _count(_open_orders(s, d)))
_RUNNING = _scoped(lambda s, _d: _running(s).limit(bindparam("limit")))
_RUNNING_COUNT = _scoped(lambda s, _d: _count(_running(s)))
_OPEN_RECORDS = _scoped(_open_records)


_RECORDS_BY_ID = by_size(
    lambda n: select(shop_records).where(
        shop_records.c.shop_id == bindparam("s"),
        shop_records.c.kind == bindparam("kind"),
        in_keys(shop_records.c.record_id, n),
    )
)

# PostgreSQL: a chunk's record keys as three arrays, joined through unnest so that
# each is an index lookup, in one round trip. psycopg prepares a statement it has run
# five times, and a generic plan of `IN (500 parameters)` or `= ANY(:ids)` can neither
# hash the list nor, before the table is analyzed, use the key: each row of the shop
# was compared with every id (20-40 ms a lookup, where this takes 2 ms).
_RECORDS_BY_KEY_PG = (
    text(
        "SELECT r.* FROM unnest(CAST(:shops AS VARCHAR[]), CAST(:kinds AS VARCHAR[]), "
        "CAST(:ids AS VARCHAR[])) AS k(shop_id, kind, record_id) JOIN shop_records r "
        "ON r.shop_id = k.shop_id AND r.kind = k.kind AND r.record_id = k.record_id"
    )
    .bindparams(*(bindparam(n, type_=ARRAY(String)) for n in ("shops", "kinds", "ids")))
    .columns(*shop_records.c)
)
# PostgreSQL: the after-sales ends a merge changed, as arrays in one statement (psycopg's
# executemany costs about a round trip's work per row).
_FIX_AFTER_SALES_PG = (
    "UPDATE orders o SET after_sales_ends_at = v.ends FROM unnest("
    "%(ends)s::timestamp[], %(shops)s::varchar[], %(orders)s::varchar[]) "
    "AS v(ends, shop_id, order_id) WHERE o.shop_id = v.shop_id AND o.order_id = v.order_id"
)


def _order_update(columns: tuple[str, ...]) -> Any:
    return (
        update(orders)
        .where(orders.c.shop_id == bindparam("k_shop"), orders.c.order_id == bindparam("k_order"))
        .values({c: bindparam(f"v_{c}", type_=orders.c[c].type) for c in columns})
    )


# The staging table of merge_orders: a temporary table per connection, shaped like
# `orders` (described here for its bind processors, outside the schema's metadata).
_orders_stage = Table(
    "orders_stage",
    MetaData(),
    *(Column(c.name, c.type) for c in orders.c),
    prefixes=["TEMPORARY"],
)
_SQLITE_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS orders_stage ("
    + ", ".join(f"{c.name}" for c in orders.c)
    + ")"
)
_STAGED = ("shop_id", "order_id", *_ORDER_COLUMNS)
_STAGE_COLUMNS = ", ".join(_STAGED)


def _merge_orders_sql() -> str:
    """INSERT ... ON CONFLICT DO UPDATE that merges a staged order into a stored one
    as apply_order_event would (the same SQL on SQLite and PostgreSQL)."""
    o, x = "orders", "excluded"
    wins = (
        f"({x}.placed_at IS NOT NULL AND ({o}.placed_at IS NULL OR {x}.placed_at < "
        f"{o}.placed_at OR ({x}.placed_at = {o}.placed_at AND {x}.placed_event < "
        f"{o}.placed_event)))"
    )

    def earliest(f: str) -> str:
        return f"CASE WHEN {o}.{f} IS NULL OR {x}.{f} < {o}.{f} THEN {x}.{f} ELSE {o}.{f} END"

    sets = {
        f: f"CASE WHEN {wins} THEN {x}.{f} ELSE {o}.{f} END"
        for f in ("category", "amount_minor", "currency", "customer_id", "placed_at")
    }
    sets["placed_event"] = f"CASE WHEN {wins} THEN {x}.placed_event ELSE {o}.placed_event END"
    for f in ("shipped_at", "delivered_at", "cancelled_at"):
        sets[f] = earliest(f)
    sets["state"] = (
        f"CASE WHEN ({earliest('cancelled_at')}) IS NOT NULL THEN 'cancelled' "
        f"WHEN ({earliest('delivered_at')}) IS NOT NULL THEN 'delivered' ELSE 'open' END"
    )
    # SQLite reads `SELECT ... FROM t ON CONFLICT` as a join without the WHERE.
    return (
        f"INSERT INTO orders ({_STAGE_COLUMNS}) SELECT {_STAGE_COLUMNS} FROM orders_stage "
        "WHERE true ON CONFLICT (shop_id, order_id) DO UPDATE SET "
        + ", ".join(f"{f} = {e}" for f, e in sets.items())
        + " RETURNING shop_id, order_id, category, delivered_at, cancelled_at, "
        "after_sales_ends_at"
    )


_MERGE_ORDERS = _merge_orders_sql()


def _utc(value: Any) -> datetime | None:
    """A time as the merge returns it (SQLite text, PostgreSQL naive), as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]


class ProjectionRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def _insert(self, table: Table) -> Any:
        return pg_insert(table) if self.postgres else sqlite_insert(table)

    # -- orders --------------------------------------------------------------
    def merge_orders(
        self,
        staged: list[tuple[str, OrderState]],
        after_sales: Callable[[str, OrderState], datetime | None],
    ) -> None:
        """Merge orders folded from a chunk's events into the stored ones, set-based:
        the staged rows go into a temporary table (COPY on PostgreSQL, executemany on
        SQLite) and one INSERT ... SELECT ... ON CONFLICT DO UPDATE merges them field
        by field as `domain/shop_state.apply_order_event` does (earliest times; the
        placement with the lowest (occurred_at, event id)), so the result depends only
        on the set of events (EVT-2). The after-sales end needs the policy in force at
        delivery (POL-1): `after_sales(shop_id, order)` gives it; it is computed for the
        staged rows, and again for the merged rows the statement returns, and written
        where the merge changed it."""
        if not staged:
            return
        rows = [(s, o.order_id, o.state, *_order_values(o)) for s, o in staged]
        self._stage_orders(rows)
        merged = self.conn.exec_driver_sql(_MERGE_ORDERS).fetchall()
        if not self.postgres:  # PostgreSQL empties it at commit (ON COMMIT DELETE ROWS)
            self.conn.exec_driver_sql("DELETE FROM temp.orders_stage")
        fixes = []
        for shop_id, order_id, category, delivered, cancelled, ends in merged:
            order = OrderState(
                order_id, category, delivered_at=_utc(delivered), cancelled_at=_utc(cancelled)
            )
            expected = after_sales(shop_id, order)
            if expected != _utc(ends):
                fixes.append((expected, shop_id, order_id))
        if self.postgres:
            if fixes:
                ends_at, shops, order_ids = zip(*fixes, strict=True)
                params = {
                    "ends": [None if e is None else naive_utc(e) for e in ends_at],
                    "shops": list(shops),
                    "orders": list(order_ids),
                }
                self.conn.exec_driver_sql(_FIX_AFTER_SALES_PG, params)
            return
        compiled_many(
            self.conn,
            ("orders.update", ("after_sales_ends_at",)),
            partial(_order_update, ("after_sales_ends_at",)),
            ("v_after_sales_ends_at", "k_shop", "k_order"),
        ).run(self.conn, fixes)

    def _stage_orders(self, rows: list[tuple[Any, ...]]) -> None:
        # Created if missing at every chunk: a transaction rolled back takes a table
        # it created with it.
        if self.postgres:
            copy_to_stage(self.conn, "orders_stage", "orders", _STAGED, rows)
            return
        self.conn.exec_driver_sql(_SQLITE_STAGE)
        compiled_many(self.conn, "orders.stage", lambda: _orders_stage.insert(), _STAGED).run(
            self.conn, rows
        )

    def bump_category_orders(self, latest: dict[tuple[str, str], datetime]) -> None:
        if not latest:
            return
        stmt = self._insert(category_orders)
        stmt = stmt.on_conflict_do_update(
            index_elements=["shop_id", "category"],
            set_={
                "last_order_at": func.max(
                    category_orders.c.last_order_at, stmt.excluded.last_order_at
                )
                if not self.postgres
                else func.greatest(category_orders.c.last_order_at, stmt.excluded.last_order_at)
            },
        )
        self.conn.execute(
            stmt,
            [{"shop_id": s, "category": c, "last_order_at": at} for (s, c), at in latest.items()],
        )

    def bump_finished(self, latest: dict[str, datetime]) -> None:
        if not latest:
            return
        stmt = self._insert(shop_order_activity)
        last = shop_order_activity.c.last_finished_at
        greatest = func.greatest if self.postgres else func.max
        stmt = stmt.on_conflict_do_update(
            index_elements=["shop_id"],
            set_={"last_finished_at": greatest(last, stmt.excluded.last_finished_at)},
        )
        self.conn.execute(
            stmt, [{"shop_id": s, "last_finished_at": at} for s, at in latest.items()]
        )

    # -- records and toggles ---------------------------------------------------
    def load_records(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordState]:
        found: dict[RecordKey, RecordState] = {}
        for row in self._records_by_key(list(keys)):
            kind = RecordKind(row["kind"])
            found[(row["shop_id"], kind, row["record_id"])] = RecordState(
                kind,
                row["record_id"],
                **{f: row[f] for f in _RECORD_FIELDS},
                attrs=json.loads(row["attrs"]),
            )
        return found

    def _records_by_key(self, keys: list[RecordKey]) -> Iterator[Any]:
        if not keys:
            return
        if self.postgres:
            shops, kinds, ids = (list(column) for column in zip(*keys, strict=True))
            arrays = {"shops": shops, "kinds": kinds, "ids": ids}
            yield from self.conn.execute(_RECORDS_BY_KEY_PG, arrays).mappings()
            return
        by: dict[tuple[str, RecordKind], list[str]] = defaultdict(list)
        for shop_id, kind, rid in keys:
            by[(shop_id, kind)].append(rid)
        for (shop_id, kind), rids in by.items():
            for size, params in in_params(rids):
                params["s"], params["kind"] = shop_id, kind
                yield from self.conn.execute(_RECORDS_BY_ID[size], params).mappings()

    def save_records(self, items: list[tuple[str, RecordState]]) -> None:
        """Upsert records: one executemany of positional rows (bulk.Many), as a chunk
        of violations writes one row per event."""
        if not items:
            return
        rows = [
            (
                shop_id,
                r.kind.value,
                r.record_id,
                r.is_open,
                orjson.dumps(r.attrs, option=orjson.OPT_SORT_KEYS).decode(),
                *_record_values(r),
            )
            for shop_id, r in items
        ]
        if self.postgres:
            self._save_records_pg(rows)
            return
        compiled_many(self.conn, "records.upsert", self._record_upsert, _RECORD_COLUMNS).run(
            self.conn, rows
        )

    def _save_records_pg(self, rows: list[tuple[Any, ...]]) -> None:
        """COPY into a temporary table and one INSERT ... SELECT ... ON CONFLICT DO
        UPDATE: psycopg's executemany costs a round trip's worth of work per row."""
        conn = self.conn
        copy_to_stage(conn, "records_stage", "shop_records", _RECORD_COLUMNS, rows)
        conn.exec_driver_sql(_RECORDS_FROM_STAGE)
        conn.exec_driver_sql("DELETE FROM records_stage")  # a chunk may save twice

    def _record_upsert(self) -> Any:
        stmt = self._insert(shop_records).values(
            {n: bindparam(n, type_=shop_records.c[n].type) for n in _RECORD_COLUMNS}
        )
        return stmt.on_conflict_do_update(
            index_elements=["shop_id", "kind", "record_id"],
            set_={f: stmt.excluded[f] for f in _RECORD_COLUMNS[3:]},
        )

    def violations(
        self, shop_id: str, after: CreatedCursor | None, limit: int
    ) -> list[RecordState]:
        """The shop's recorded violations, newest first by (opened_at, record id). A
        violation known only from its `violation.rectified` (recorded not yet) is left
        out. Read through the primary key's (shop_id, kind) prefix: a shop has few."""
        r = shop_records.c
        q = (
            select(shop_records)
            .where(
                r.shop_id == shop_id,
                r.kind == RecordKind.VIOLATION.value,
                r.opened_at.is_not(None),
            )
            .order_by(r.opened_at.desc(), r.record_id.desc())
            .limit(limit)
        )
        if after is not None:
            q = q.where(
                or_(
                    r.opened_at < after.created_at,
                    and_(r.opened_at == after.created_at, r.record_id < after.id),
                )
            )
        return [
            RecordState(
                RecordKind.VIOLATION,
                row["record_id"],
                **{f: row[f] for f in _RECORD_FIELDS},
                attrs=json.loads(row["attrs"]),
            )
            for row in self.conn.execute(q).mappings()
        ]

    def load_toggles(self, keys: Iterable[ToggleKey]) -> dict[ToggleKey, ToggleState]:
        found: dict[ToggleKey, ToggleState] = {}
        for shop_id, kind, tid in keys:
            row = (
                self.conn.execute(
                    select(shop_toggles).where(
                        shop_toggles.c.shop_id == shop_id,
                        shop_toggles.c.kind == kind,
                        shop_toggles.c.toggle_id == tid,
                    )
                )
                .mappings()
                .first()
            )
            if row is not None:
                found[(shop_id, kind, tid)] = ToggleState(
                    ToggleKind(kind), tid, row["active"], row["changed_at"], row["changed_event"]
                )
        return found

    def save_toggles(self, items: list[tuple[str, ToggleState]]) -> None:
        if not items:
            return
        stmt = self._insert(shop_toggles)
        stmt = stmt.on_conflict_do_update(
            index_elements=["shop_id", "kind", "toggle_id"],
            set_={f: stmt.excluded[f] for f in ("active", "changed_at", "changed_event")},
        )
        self.conn.execute(
            stmt,
            [
                {
                    "shop_id": s,
                    "kind": t.kind,
                    "toggle_id": t.toggle_id,
                    "active": t.active,
                    "changed_at": t.changed_at,
                    "changed_event": t.changed_event,
                }
                for s, t in items
            ],
        )

    # -- eligibility reads (EVT-3) ------------------------------------------------
    def blocking_records(
        self, shop_id: str, now: datetime, category: str | None, limit: int = 100
    ) -> dict[BlockerCode, RecordSet]:
        """Blocker code -> the records behind it; only open or running rows are read."""
        out: dict[BlockerCode, RecordSet] = {}
        scoped = bool(category)
        params: dict[str, Any] = {"shop_id": shop_id, "limit": limit}
        if scoped:
            params["category"] = category
        timed = {**params, "now": now}
        # The three reads in one round trip on PostgreSQL; the counts, when a page is
        # full, in a second.
        opened, running, records = together(
            self.conn,
            (_OPEN_ORDERS[scoped], params),
            (_RUNNING[scoped], timed),
            (_OPEN_RECORDS[scoped], params),
        )
        counts: list[tuple[Prepared, dict[str, Any]]] = []
        if len(opened) >= limit:
            counts.append((_OPEN_ORDERS_COUNT[scoped], params))
        if len(running) >= limit:
            counts.append((_RUNNING_COUNT[scoped], timed))
        counted = iter([int(rows[0][0]) for rows in together(self.conn, *counts)])
        if opened:
            count = len(opened) if len(opened) < limit else next(counted)
            out[BlockerCode.OPEN_ORDERS] = RecordSet.of([str(r[0]) for r in opened], count)
        if running:
            count = len(running) if len(running) < limit else next(counted)
            # Latest end first: only the first row's end (when it clears) is needed as a
            # time; the others' order ids are taken as the driver gives them.
            clears_at = _RUNNING[scoped].convert(self.conn, running[0])[1]
            out[BlockerCode.AFTER_SALES_PERIOD] = RecordSet.of(
                [str(r[0]) for r in running], count, clears_at=clears_at
            )

        found: dict[str, list[str]] = defaultdict(list)
        for kind, rid in records:
            found[kind].append(rid)
        for kind, rids in found.items():
            out[RECORD_BLOCKERS[RecordKind(kind)]] = RecordSet.of(rids)
        return out
