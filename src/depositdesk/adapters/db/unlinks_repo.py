"""Unlink requests and closure notices on SQLAlchemy Core (UNL-1..7), and the few
projection reads the checklist needs beyond eligibility's (all by index)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from depositdesk.adapters.db.tables import (
    category_orders,
    closure_notices,
    customer_notices,
    events,
    orders,
    shop_order_activity,
    shop_toggles,
    unlink_actions,
    unlink_escalations,
    unlinks,
)
from depositdesk.domain.eligibility import MAX_RECORDS, RecordSet
from depositdesk.domain.shop_state import ToggleKind
from depositdesk.domain.unlinks import (
    WITHDRAWAL_SENDING,
    ActionRecord,
    Unlink,
    UnlinkAction,
    UnlinkStatus,
)

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


def _action(r: RowMapping) -> ActionRecord:
    return ActionRecord(
        id=r["id"],
        unlink_id=r["unlink_id"],
        shop_id=r["shop_id"],
        action=UnlinkAction(r["action"]),
        seq=r["seq"],
        done_at=r["done_at"],
        done_by=r["done_by"],
        result=json.loads(r["result"]),
    )


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

    def last_finished_at(self, shop_id: str) -> datetime | None:
        """UNL-6a: when the shop's last order was delivered."""
        q = select(shop_order_activity.c.last_finished_at).where(
            shop_order_activity.c.shop_id == shop_id
        )
        value: datetime | None = self.conn.execute(q).scalar_one_or_none()
        return value

    # -- what the actions did (UNL-2, UNL-3, UNL-6) --------------------------------
    def actions(self, unlink_id: str, action: UnlinkAction | None = None) -> list[ActionRecord]:
        q = select(unlink_actions).where(unlink_actions.c.unlink_id == unlink_id)
        if action is not None:
            q = q.where(unlink_actions.c.action == action.value)
        rows = self.conn.execute(q.order_by(unlink_actions.c.done_at, unlink_actions.c.seq))
        return [_action(r) for r in rows.mappings()]

    def add_action(self, record: ActionRecord) -> bool:
        """Store a run; False when a run with the same (request, action, seq) is there
        already (a concurrent duplicate: the caller's transaction must not go on)."""
        values = asdict(record)
        values["action"] = record.action.value
        values["result"] = json.dumps(record.result, ensure_ascii=False, sort_keys=True)
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(unlink_actions).values(**values))
        except IntegrityError:
            return False
        return True

    def unsent_withdrawals(self) -> list[ActionRecord]:
        # Stored by json.dumps(sort_keys=True) (add_action, save_action_result), so
        # the status reads `"status": "sending"` in the text; checked again on the dict.
        a = unlink_actions.c
        q = select(unlink_actions).where(
            a.action == UnlinkAction.WITHDRAW_PROCEEDS.value,
            a.result.like(f'%"status": "{WITHDRAWAL_SENDING}"%'),
        )
        found = [_action(r) for r in self.conn.execute(q.order_by(a.done_at, a.id)).mappings()]
        return [r for r in found if r.unsent]

    def save_action_result(self, action_id: str, result: dict[str, Any]) -> None:
        self.conn.execute(
            update(unlink_actions)
            .where(unlink_actions.c.id == action_id)
            .values(result=json.dumps(result, ensure_ascii=False, sort_keys=True))
        )

    def unshipped_orders(self, shop_id: str) -> list[tuple[str, int, str, str | None, str | None]]:
        """UNL-3: open orders not shipped: (order_id, amount_minor, currency,
        customer_id, placed_event), by order id."""
        o = orders.c
        q = (
            select(o.order_id, o.amount_minor, o.currency, o.customer_id, o.placed_event)
            .where(o.shop_id == shop_id, o.state == "open", o.shipped_at.is_(None))
            .order_by(o.order_id)
        )
        return [(r[0], int(r[1] or 0), r[2] or "", r[3], r[4]) for r in self.conn.execute(q).all()]

    def cancel_orders(self, shop_id: str, order_ids: list[str], at: datetime) -> None:
        """The projection shows these orders cancelled (an order shipped meanwhile is
        left as it is: the caller locked the shop, so none was)."""
        o = orders.c
        for start in range(0, len(order_ids), 500):
            chunk = order_ids[start : start + 500]
            self.conn.execute(
                update(orders)
                .where(o.shop_id == shop_id, o.order_id.in_(chunk), o.state == "open")
                .values(state="cancelled", cancelled_at=at)
            )

    def event_data(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The data of stored events as the marketplace sent it (fields depositdesk
        does not model, such as `customer_email`, are kept there)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            for eid, data in self.conn.execute(
                select(events.c.id, events.c.data).where(events.c.id.in_(chunk))
            ).all():
                try:
                    value = json.loads(data)
                except ValueError:
                    continue
                if isinstance(value, dict):
                    found[eid] = value
        return found

    def window_customers(self, shop_id: str, since: datetime) -> dict[str, str | None]:
        """UNL-6: each customer with an order placed since `since`, and the event of
        their latest such order."""
        o = orders.c
        q = (
            select(o.customer_id, o.placed_event)
            .where(o.shop_id == shop_id, o.placed_at >= since, o.customer_id.is_not(None))
            .order_by(o.placed_at)
        )
        return {r[0]: r[1] for r in self.conn.execute(q).all()}

    def _pending_where(self, unlink_id: str, shop_id: str, since: datetime) -> Any:
        o, n = orders.c, customer_notices.c
        told = exists().where(
            n.unlink_id == unlink_id, n.kind == "notify", n.customer_key == o.customer_id
        )
        return and_(o.shop_id == shop_id, o.placed_at >= since, o.customer_id.is_not(None), ~told)

    def customers_pending(self, unlink_id: str, shop_id: str, since: datetime) -> RecordSet:
        """UNL-6: customers of the window not yet told for this request."""
        where = self._pending_where(unlink_id, shop_id, since)
        q = select(orders.c.customer_id).where(where).distinct()
        ids = list(self.conn.execute(q.order_by(orders.c.customer_id).limit(MAX_RECORDS)).scalars())
        if len(ids) < MAX_RECORDS:
            return RecordSet.of(ids)
        count = self.conn.execute(
            select(func.count(func.distinct(orders.c.customer_id))).where(where)
        ).scalar_one()
        return RecordSet.of(ids, count)

    def add_customer_notice(
        self,
        unlink_id: str,
        kind: str,
        customer_key: str,
        email: str | None,
        at: datetime,
        outbox_id: str | None,
    ) -> bool:
        """Record a customer's email (or auto-reply); False when it was recorded already."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(customer_notices).values(
                        unlink_id=unlink_id,
                        kind=kind,
                        customer_key=customer_key,
                        email=email,
                        sent_at=at,
                        outbox_id=outbox_id,
                    )
                )
        except IntegrityError:
            return False
        return True

    def customer_notice_count(self, unlink_id: str, kind: str) -> int:
        c = customer_notices.c
        q = select(func.count()).where(c.unlink_id == unlink_id, c.kind == kind)
        return int(self.conn.execute(q).scalar_one())

    def told(self, unlink_id: str, kind: str, customer_key: str) -> bool:
        c = customer_notices.c
        q = select(c.customer_key).where(
            c.unlink_id == unlink_id, c.kind == kind, c.customer_key == customer_key
        )
        return self.conn.execute(q).first() is not None

    def tax_rows(self, shop_id: str) -> Iterator[tuple[datetime, str, int, str, bool]]:
        """UNL-2: every order placed, with its event's data (for `tax`): (placed_at,
        currency, amount_minor, event data as text, cancelled), streamed."""
        o = orders.c
        q = (
            select(o.placed_at, o.currency, o.amount_minor, events.c.data, o.state)
            .select_from(orders.outerjoin(events, events.c.id == o.placed_event))
            .where(o.shop_id == shop_id, o.placed_at.is_not(None))
        )
        for r in self.conn.execute(q.execution_options(yield_per=2000)):
            yield r[0], r[1] or "", int(r[2] or 0), r[3] or "{}", r[4] == "cancelled"

    def last_order_placed_after(self, shop_id: str, at: datetime) -> list[str]:
        """UNL-8: orders placed after `at` (none, once the cutoff holds)."""
        o = orders.c
        q = (
            select(o.order_id)
            .where(o.shop_id == shop_id, o.placed_at > at)
            .order_by(o.order_id)
            .limit(MAX_RECORDS)
        )
        return list(self.conn.execute(q).scalars())

    # -- escalations and the reviewers' queue (UNL-9) -------------------------------
    def add_escalation(
        self,
        esc_id: str,
        unlink_id: str,
        message: str,
        bundle: dict[str, Any],
        at: datetime,
        by: str,
    ) -> None:
        self.conn.execute(
            insert(unlink_escalations).values(
                id=esc_id,
                unlink_id=unlink_id,
                message=message,
                bundle=json.dumps(bundle, ensure_ascii=False, default=str),
                created_at=at,
                created_by=by,
            )
        )

    def escalations(self, unlink_id: str) -> list[dict[str, Any]]:
        e = unlink_escalations.c
        q = select(e.id, e.message, e.bundle, e.created_at, e.created_by).where(
            e.unlink_id == unlink_id
        )
        return [
            {
                "id": r[0],
                "message": r[1],
                "bundle": json.loads(r[2]),
                "created_at": r[3],
                "created_by": r[4],
            }
            for r in self.conn.execute(q.order_by(e.created_at, e.id)).all()
        ]

    def queue(
        self, statuses: list[str], escalated: bool, seller_id: str | None, limit: int
    ) -> list[Unlink]:
        """Requests in these statuses, or escalated ones (when `escalated`), oldest first."""
        u = unlinks.c
        conds = []
        if statuses:
            conds.append(u.status.in_(statuses))
        if escalated:
            conds.append(u.escalated_at.is_not(None))
        q = select(unlinks)
        if conds:
            q = q.where(or_(*conds))
        if seller_id is not None:
            q = q.where(u.seller_id == seller_id)
        q = q.order_by(u.requested_at, u.id).limit(limit)
        return [_unlink(r) for r in self.conn.execute(q).mappings()]

    def for_shop(self, shop_id: str) -> list[Unlink]:
        q = select(unlinks).where(unlinks.c.shop_id == shop_id)
        return [
            _unlink(r) for r in self.conn.execute(q.order_by(unlinks.c.requested_at)).mappings()
        ]

    def latest_for_shop(self, shop_id: str) -> Unlink | None:
        q = (
            select(unlinks)
            .where(unlinks.c.shop_id == shop_id)
            .order_by(unlinks.c.requested_at.desc(), unlinks.c.id.desc())
            .limit(1)
        )
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _unlink(row)
