"""Payouts on SQLAlchemy Core (REF-6, REF-7)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import Connection, RowMapping, insert, select, update

from depositdesk.adapters.db.tables import payouts
from depositdesk.domain.money import Money
from depositdesk.domain.payouts import Fx, Payout, PayoutStatus


def _payout(row: RowMapping) -> Payout:
    dest = row["dest_currency"]
    fx = None
    if row["fx_rate"] is not None:
        fx = Fx(Decimal(row["fx_rate"]), row["fx_at"].date(), row["fx_source"])
    return Payout(
        id=row["id"],
        refund_id=row["refund_id"],
        payout_key=row["payout_key"],
        shop_id=row["shop_id"],
        amount=Money(row["currency"], row["amount_minor"]),
        dest_currency=dest,
        status=PayoutStatus(row["status"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        dest_amount=Money(dest, row["dest_amount_minor"])
        if row["dest_amount_minor"] is not None
        else None,
        fx=fx,
        fee=Money(dest, row["fee_minor"]) if row["fee_minor"] is not None else None,
        sent_at=row["sent_at"],
        settled_at=row["settled_at"],
        bank_reference=row["bank_reference"],
        failure_reason=row["failure_reason"],
        route=row["route"],
    )


def _values(p: Payout) -> dict[str, object]:
    return {
        "payout_key": p.payout_key,
        "status": p.status.value,
        "attempts": p.attempts,
        "dest_amount_minor": p.dest_amount.minor if p.dest_amount else None,
        "fx_rate": format(p.fx.rate, "f") if p.fx else None,
        "fx_source": p.fx.source if p.fx else None,
        # The rate's own day (a weekend payout uses Friday's rate), at 00:00 UTC.
        "fx_at": datetime.combine(p.fx.rate_date, time(0), UTC) if p.fx else None,
        "fee_minor": p.fee.minor if p.fee else None,
        "sent_at": p.sent_at,
        "settled_at": p.settled_at,
        "bank_reference": p.bank_reference,
        "failure_reason": p.failure_reason,
        "route": p.route,
    }


class PayoutRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, p: Payout) -> None:
        self.conn.execute(
            insert(payouts).values(
                id=p.id,
                refund_id=p.refund_id,
                shop_id=p.shop_id,
                amount_minor=p.amount.minor,
                currency=p.amount.currency,
                dest_currency=p.dest_currency,
                created_at=p.created_at,
                **_values(p),
            )
        )

    def save(self, p: Payout) -> None:
        self.conn.execute(update(payouts).where(payouts.c.id == p.id).values(**_values(p)))

    def get(self, payout_id: str, lock: bool = False) -> Payout | None:
        q = select(payouts).where(payouts.c.id == payout_id)
        if lock and self.postgres:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _payout(row)

    def for_refund(self, refund_id: str) -> Payout | None:
        row = (
            self.conn.execute(select(payouts).where(payouts.c.refund_id == refund_id))
            .mappings()
            .first()
        )
        return None if row is None else _payout(row)

    def claim_due(self, now: datetime, lease_started_before: datetime) -> Payout | None:
        """The payout to send: one whose `sending` lease ran out (a worker died
        mid-send) first, else the oldest pending. Locked; PostgreSQL skips rows another
        worker holds. Two queries, each one index range (ix_payouts_lease,
        ix_payouts_due), so a claim reads one row however many payouts wait."""
        expired = (
            select(payouts)
            .where(
                payouts.c.status == PayoutStatus.SENDING.value,
                payouts.c.sent_at < lease_started_before,
            )
            .order_by(payouts.c.sent_at, payouts.c.id)
            .limit(1)
        )
        pending = (
            select(payouts)
            .where(payouts.c.status == PayoutStatus.PENDING.value)
            .order_by(payouts.c.created_at, payouts.c.id)
            .limit(1)
        )
        for q in (expired, pending):
            if self.postgres:
                q = q.with_for_update(skip_locked=True)
            row = self.conn.execute(q).mappings().first()
            if row is not None:
                return _payout(row)
        return None
