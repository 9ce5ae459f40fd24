"""Unlink requests and closure notices on SQLAlchemy Core (UNL-1..7), and the few
projection reads the checklist needs beyond eligibility's (all by index)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from depositdesk.adapters.db.tables import (
    category_orders,
    closure_notices,
    orders,
    shop_toggles,
    unlinks,
)
from depositdesk.domain.eligibility import MAX_RECORDS, RecordSet
from depositdesk.domain.shop_state import ToggleKind
from depositdesk.domain.unlinks import Unlink, UnlinkStatus

OPEN = [s.value for s in UnlinkStatus if s.is_open]


def _unlink(row: RowMapping) -> Unlink:
    values: dict[str, Any] = dict(row)
    values["status"] = UnlinkStatus(row["status"])
    values["held_reasons"] = tuple(json.loads(row["held_reasons"]))
    return Unlink(**values)


def _row(unlink: Unlink) -> dict[str, Any]:
    values = asdict(unlink)
    values["status"] = unlink.status.value
    values["held_reasons"] = json.dumps(list(unlink.held_reasons), ensure_ascii=False)
    return values


class UnlinkRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, unlink: Unlink) -> None:
        self.conn.execute(insert(unlinks).values(**_row(unlink)))

    def save(self, unlink: Unlink) -> None:
        values = _row(unlink)
        del values["id"]
        self.conn.execute(update(unlinks).where(unlinks.c.id == unlink.id).values(**values))

    def get(self, unlink_id: str, lock: bool = False) -> Unlink | None:
        q = select(unlinks).where(unlinks.c.id == unlink_id)
        if lock and self.postgres:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _unlink(row)

    def open_for_shop(self, shop_id: str) -> Unlink | None:
        q = select(unlinks).where(unlinks.c.shop_id == shop_id, unlinks.c.status.in_(OPEN))
        row = self.conn.execute(q.limit(1)).mappings().first()
        return None if row is None else _unlink(row)

    # -- closure notices (UNL-6a) -------------------------------------------------
    def notice_started(self, shop_id: str) -> datetime | None:
        q = select(closure_notices.c.started_at).where(closure_notices.c.shop_id == shop_id)
        value: datetime | None = self.conn.execute(q).scalar_one_or_none()
        return value

    def start_notice(self, shop_id: str, at: datetime, by: str) -> None:
        self.conn.execute(
            insert(closure_notices).values(shop_id=shop_id, started_at=at, started_by=by)
        )

    # -- projection reads -----------------------------------------------------------
    def active_toggles(self, shop_id: str, kind: ToggleKind) -> RecordSet:
        """Running campaigns or bound creators (the last event of each wins)."""
        t = shop_toggles.c
        where = (t.shop_id == shop_id, t.kind == kind.value, t.active.is_(True))
        ids = list(
            self.conn.execute(
                select(t.toggle_id).where(*where).order_by(t.toggle_id).limit(MAX_RECORDS)
            ).scalars()
        )
        if len(ids) < MAX_RECORDS:
            return RecordSet.of(ids)
        count = self.conn.execute(
            select(func.count()).select_from(shop_toggles).where(*where)
        ).scalar_one()
        return RecordSet.of(ids, count)

    def has_orders(self, shop_id: str) -> bool:
        q = select(orders.c.order_id).where(orders.c.shop_id == shop_id).limit(1)
        return self.conn.execute(q).first() is not None

    def last_order_at(self, shop_id: str) -> datetime | None:
        """The latest order placed in any category (one row per category)."""
        q = select(func.max(category_orders.c.last_order_at)).where(
            category_orders.c.shop_id == shop_id
        )
        value: datetime | None = self.conn.execute(q).scalar_one_or_none()
        return value
