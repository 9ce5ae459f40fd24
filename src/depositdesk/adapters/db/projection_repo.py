"""The per-shop projection: orders, case-like records, toggles (EVT-2, EVT-3).

Reads for eligibility touch only open or still-running rows through partial and
range indexes, so a shop with a million finished orders answers as fast as one
with a thousand. Writes are batched per chunk: one lookup by ids, then executemany
of new rows and of narrow UPDATEs (only the columns that changed).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    Connection,
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

from depositdesk.adapters.db.bulk import by_size, compiled_many, in_keys, in_params
from depositdesk.adapters.db.tables import category_orders, orders, shop_records, shop_toggles
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
_ORDER_COLUMNS = ("state", *_ORDER_FIELDS)
_order_values = attrgetter(*_ORDER_FIELDS)
assert tuple(f.name for f in fields(OrderState))[1:] == _ORDER_FIELDS  # positional loads
# The partial indexes' predicates, written as literals: a planner (SQLite's always,
# PostgreSQL's for generic plans) only uses a partial index when the query's WHERE
# matches the index's WHERE, which a bound parameter (`state = ?`, or `is_open = 1`
# as SQLAlchemy renders a boolean on SQLite) does not.
_ORDER_OPEN = orders.c.state == literal_column("'open'")
_RECORD_OPEN = text("shop_records.is_open")


_ORDERS_BY_ID = by_size(
    lambda n: select(orders.c.order_id, *(orders.c[f] for f in _ORDER_COLUMNS)).where(
        orders.c.shop_id == bindparam("s"), in_keys(orders.c.order_id, n)
    )
)
_RECORDS_BY_ID = by_size(
    lambda n: select(shop_records).where(
        shop_records.c.shop_id == bindparam("s"),
        shop_records.c.kind == bindparam("kind"),
        in_keys(shop_records.c.record_id, n),
    )
)


def _order_update(columns: tuple[str, ...]) -> Any:
    return (
        update(orders)
        .where(orders.c.shop_id == bindparam("k_shop"), orders.c.order_id == bindparam("k_order"))
        .values({c: bindparam(f"v_{c}", type_=orders.c[c].type) for c in columns})
    )


class ProjectionRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres
        # Orders as load_orders read them (or save_orders last wrote them) in this
        # unit of work: (state, *_ORDER_FIELDS) by (shop_id, order_id).
        self._stored_orders: dict[tuple[str, str], tuple[Any, ...]] = {}
        # Orders load_orders looked for and did not find in this unit of work.
        self._absent_orders: set[tuple[str, str]] = set()

    def _insert(self, table: Table) -> Any:
        return pg_insert(table) if self.postgres else sqlite_insert(table)

    def _by(self, column: Any) -> Any:
        """An ORDER BY term that does not tempt SQLite into walking the primary key in
        order (through every finished row of the shop) instead of a partial index of
        open rows: SQLite's unary `+` takes a term out of index planning, so the few
        open rows are found through the partial index and sorted. PostgreSQL plans
        with statistics and has no unary `+` on text."""
        if self.postgres:
            return column
        return literal_column(f"+{column.table.name}.{column.name}")

    # -- orders --------------------------------------------------------------
    def load_orders(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], OrderState]:
        """The stored orders among `keys`. What was read is remembered for this unit of
        work, so that `save_orders` writes only the columns that changed."""
        by_shop: dict[str, list[str]] = defaultdict(list)
        for shop_id, order_id in keys:
            by_shop[shop_id].append(order_id)
        found: dict[tuple[str, str], OrderState] = {}
        stored = self._stored_orders
        for shop_id, ids in by_shop.items():
            for size, params in in_params(ids):
                params["s"] = shop_id
                for order_id, *values in self.conn.execute(_ORDERS_BY_ID[size], params):
                    key = (shop_id, order_id)
                    found[key] = OrderState(order_id, *values[1:])
                    stored[key] = tuple(values)
        absent = self._absent_orders
        for shop_id, ids in by_shop.items():
            absent.update(k for k in ((shop_id, i) for i in ids) if k not in found)
        return found

    def save_orders(self, items: list[tuple[str, OrderState]]) -> None:
        """Write orders: new ones whole, stored ones (read by `load_orders` in this unit of
        work) only as far as they changed, grouped into one UPDATE per set of changed
        columns. Narrow updates leave the indexes of unchanged columns alone; a
        shipment, the most common change, touches no index at all."""
        if not items:
            return
        stored, absent = self._stored_orders, self._absent_orders
        new: list[tuple[Any, ...]] = []
        upserts: list[tuple[Any, ...]] = []
        changes: dict[tuple[int, ...], list[tuple[Any, ...]]] = defaultdict(list)
        for shop_id, o in items:
            key = (shop_id, o.order_id)
            values = (o.state, *_order_values(o))
            before = stored.get(key)
            if before is None:
                # On SQLite (one writer at a time) an order this unit of work found
                # absent is still absent: a plain INSERT, cheaper than an upsert.
                if key in absent and not self.postgres:
                    new.append((shop_id, o.order_id, *values))
                    absent.discard(key)
                else:
                    upserts.append((shop_id, o.order_id, *values))
            elif values != before:
                changed = tuple(
                    i for i, (v, b) in enumerate(zip(values, before, strict=True)) if v != b
                )
                changes[changed].append((*(values[i] for i in changed), shop_id, o.order_id))
            else:
                continue
            stored[key] = values
        names = ("shop_id", "order_id", *_ORDER_COLUMNS)
        compiled_many(self.conn, "orders.new", lambda: orders.insert(), names).run(self.conn, new)
        compiled_many(self.conn, "orders.upsert", self._order_upsert, names).run(self.conn, upserts)
        for changed, rows in changes.items():
            columns = tuple(_ORDER_COLUMNS[i] for i in changed)
            compiled_many(
                self.conn,
                ("orders.update", columns),
                partial(_order_update, columns),
                (*(f"v_{c}" for c in columns), "k_shop", "k_order"),
            ).run(self.conn, rows)

    def _order_upsert(self) -> Any:
        stmt = self._insert(orders)
        return stmt.on_conflict_do_update(
            index_elements=["shop_id", "order_id"],
            set_={f: stmt.excluded[f] for f in _ORDER_COLUMNS},
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

    # -- records and toggles ---------------------------------------------------
    def load_records(self, keys: Iterable[RecordKey]) -> dict[RecordKey, RecordState]:
        by: dict[tuple[str, RecordKind], list[str]] = defaultdict(list)
        for shop_id, kind, rid in keys:
            by[(shop_id, kind)].append(rid)
        found: dict[RecordKey, RecordState] = {}
        for (shop_id, kind), ids in by.items():
            for size, params in in_params(ids):
                params["s"], params["kind"] = shop_id, kind
                for row in self.conn.execute(_RECORDS_BY_ID[size], params).mappings():
                    found[(shop_id, kind, row["record_id"])] = RecordState(
                        RecordKind(kind),
                        row["record_id"],
                        **{f: row[f] for f in _RECORD_FIELDS},
                        attrs=json.loads(row["attrs"]),
                    )
        return found

    def save_records(self, items: list[tuple[str, RecordState]]) -> None:
        if not items:
            return
        rows = [
            {
                "shop_id": shop_id,
                "kind": r.kind,
                "record_id": r.record_id,
                "is_open": r.is_open,
                "attrs": json.dumps(r.attrs, sort_keys=True),
                **{f: getattr(r, f) for f in _RECORD_FIELDS},
            }
            for shop_id, r in items
        ]
        stmt = self._insert(shop_records)
        stmt = stmt.on_conflict_do_update(
            index_elements=["shop_id", "kind", "record_id"],
            set_={f: stmt.excluded[f] for f in ("is_open", "attrs", *_RECORD_FIELDS)},
        )
        self.conn.execute(stmt, rows)

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
        o = orders.c
        scope = [o.shop_id == shop_id] + ([o.category == category] if category else [])

        open_q = select(o.order_id).where(*scope, _ORDER_OPEN).order_by(self._by(o.order_id))
        ids = list(self.conn.execute(open_q.limit(limit)).scalars())
        if ids:
            count = (
                len(ids)
                if len(ids) < limit
                else self.conn.execute(
                    select(func.count()).select_from(open_q.subquery())
                ).scalar_one()
            )
            out[BlockerCode.OPEN_ORDERS] = RecordSet.of(ids, count)

        running = (
            select(o.order_id, o.after_sales_ends_at)
            .where(*scope, o.after_sales_ends_at > now)
            .order_by(o.after_sales_ends_at.desc())
        )
        rows = list(self.conn.execute(running.limit(limit)))
        if rows:
            count = (
                len(rows)
                if len(rows) < limit
                else self.conn.execute(
                    select(func.count()).select_from(running.subquery())
                ).scalar_one()
            )
            out[BlockerCode.AFTER_SALES_PERIOD] = RecordSet.of(
                [r[0] for r in rows], count, clears_at=rows[0][1]
            )

        r = shop_records.c
        kinds = list(DIFFERENCE_RECORD_KINDS if category else RECORD_BLOCKERS)
        q = select(r.kind, r.record_id).where(r.shop_id == shop_id, _RECORD_OPEN, r.kind.in_(kinds))
        if category:
            q = q.join(orders, and_(o.shop_id == r.shop_id, o.order_id == r.order_id)).where(
                o.category == category
            )
        found: dict[str, list[str]] = defaultdict(list)
        for kind, rid in self.conn.execute(q.order_by(self._by(r.kind), self._by(r.record_id))):
            found[kind].append(rid)
        for kind, rids in found.items():
            out[RECORD_BLOCKERS[RecordKind(kind)]] = RecordSet.of(rids)
        return out
