"""The per-shop projection: orders, case-like records, toggles (EVT-2, EVT-3).

Reads for eligibility touch only open or still-running rows through partial and
range indexes, so a shop with a million finished orders answers as fast as one
with a thousand. Writes are batched: one SELECT and one upsert per chunk.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from depositdesk.adapters.db.tables import (
    category_orders,
    events,
    orders,
    shop_records,
    shop_toggles,
)
from depositdesk.domain.eligibility import RecordSet
from depositdesk.domain.shop_state import OrderState, RecordState, ToggleState

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
RECORD_KIND_CODES = {
    "after_sales_case": "open_after_sales_cases",
    "dispute": "open_disputes",
    "complaint": "open_complaints",
    "fine": "unpaid_fines",
    "violation": "unrectified_violations",
    "charge": "outstanding_charges",
}
_IN_CHUNK = 500
# The partial indexes' predicates, written as literals: a planner (SQLite's always,
# PostgreSQL's for generic plans) only uses a partial index when the query's WHERE
# matches the index's WHERE, which a bound parameter (`state = ?`, or `is_open = 1`
# as SQLAlchemy renders a boolean on SQLite) does not.
_ORDER_OPEN = orders.c.state == literal_column("'open'")
_RECORD_OPEN = text("shop_records.is_open")


def _chunks(items: list[Any], size: int = _IN_CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ProjectionRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

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

    # -- events --------------------------------------------------------------
    def insert_new_events(self, rows: list[dict[str, Any]]) -> set[str]:
        """Insert events whose id is new; return the ids actually inserted (EVT-2)."""
        inserted: set[str] = set()
        if not rows:
            return inserted
        stmt = (
            self._insert(events)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(events.c.id)
        )
        for part in _chunks(rows, 1000):
            inserted.update(self.conn.execute(stmt, part).scalars())
        return inserted

    # -- orders --------------------------------------------------------------
    def load_orders(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], OrderState]:
        by_shop: dict[str, list[str]] = defaultdict(list)
        for shop_id, order_id in keys:
            by_shop[shop_id].append(order_id)
        found: dict[tuple[str, str], OrderState] = {}
        q = select(orders).where(
            orders.c.shop_id == bindparam("s"),
            orders.c.order_id.in_(bindparam("ids", expanding=True)),
        )
        for shop_id, ids in by_shop.items():
            for part in _chunks(ids):
                for row in self.conn.execute(q, {"s": shop_id, "ids": part}).mappings():
                    found[(shop_id, row["order_id"])] = OrderState(
                        row["order_id"], **{f: row[f] for f in _ORDER_FIELDS}
                    )
        return found

    def save_orders(self, items: list[tuple[str, OrderState]]) -> None:
        if not items:
            return
        rows = [
            {
                "shop_id": shop_id,
                "order_id": o.order_id,
                "state": o.state,
                **{f: getattr(o, f) for f in _ORDER_FIELDS},
            }
            for shop_id, o in items
        ]
        stmt = self._insert(orders)
        stmt = stmt.on_conflict_do_update(
            index_elements=["shop_id", "order_id"],
            set_={f: stmt.excluded[f] for f in ("state", *_ORDER_FIELDS)},
        )
        self.conn.execute(stmt, rows)

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
    def load_records(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], RecordState]:
        by: dict[tuple[str, str], list[str]] = defaultdict(list)
        for shop_id, kind, rid in keys:
            by[(shop_id, kind)].append(rid)
        found: dict[tuple[str, str, str], RecordState] = {}
        q = select(shop_records).where(
            shop_records.c.shop_id == bindparam("s"),
            shop_records.c.kind == bindparam("k"),
            shop_records.c.record_id.in_(bindparam("ids", expanding=True)),
        )
        for (shop_id, kind), ids in by.items():
            for part in _chunks(ids):
                for row in self.conn.execute(q, {"s": shop_id, "k": kind, "ids": part}).mappings():
                    found[(shop_id, kind, row["record_id"])] = RecordState(
                        kind,
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

    def load_toggles(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], ToggleState]:
        found: dict[tuple[str, str, str], ToggleState] = {}
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
                    kind, tid, row["active"], row["changed_at"], row["changed_event"]
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
    ) -> dict[str, RecordSet]:
        """Blocker code -> the records behind it; only open or running rows are read."""
        out: dict[str, RecordSet] = {}
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
            out["open_orders"] = RecordSet.of(ids, count)

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
            out["after_sales_period"] = RecordSet.of(
                [r[0] for r in rows], count, clears_at=rows[0][1]
            )

        r = shop_records.c
        kinds = ["after_sales_case", "dispute"] if category else list(RECORD_KIND_CODES)
        q = select(r.kind, r.record_id).where(r.shop_id == shop_id, _RECORD_OPEN, r.kind.in_(kinds))
        if category:
            q = q.join(orders, and_(o.shop_id == r.shop_id, o.order_id == r.order_id)).where(
                o.category == category
            )
        found: dict[str, list[str]] = defaultdict(list)
        for kind, rid in self.conn.execute(q.order_by(self._by(r.kind), self._by(r.record_id))):
            found[kind].append(rid)
        for kind, rids in found.items():
            out[RECORD_KIND_CODES[kind]] = RecordSet.of(rids)
        return out

    def category_last_orders(self, shop_id: str) -> dict[str, datetime]:
        q = select(category_orders.c.category, category_orders.c.last_order_at).where(
            category_orders.c.shop_id == shop_id
        )
        return {c: at for c, at in self.conn.execute(q)}

    def counts(self, shop_id: str) -> dict[str, int]:
        """Open records per kind, for the shop page (bounded by open rows only)."""
        q = (
            select(shop_records.c.kind, func.count())
            .where(shop_records.c.shop_id == shop_id, _RECORD_OPEN)
            .group_by(shop_records.c.kind)
        )
        return {k: int(n) for k, n in self.conn.execute(q)}
