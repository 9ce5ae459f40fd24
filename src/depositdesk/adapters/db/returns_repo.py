"""Returns of violation deductions (DEP-9) on SQLAlchemy Core: only ever inserted."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, func, insert, select

from depositdesk.adapters.db.tables import violation_returns
from depositdesk.domain.money import Money
from depositdesk.domain.returns import ViolationReturn


class ViolationReturnRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, ret: ViolationReturn) -> None:
        self.conn.execute(
            insert(violation_returns).values(
                id=ret.id,
                shop_id=ret.shop_id,
                violation_id=ret.violation_id,
                amount_minor=ret.amount.minor,
                currency=ret.amount.currency,
                entry_id=ret.entry_id,
                at=ret.at,
                by=ret.by,
                note=ret.note,
            )
        )

    def returned(self, shop_id: str, violation_ids: Iterable[str]) -> dict[str, Money]:
        """The sum of the returns of each violation that has any."""
        ids = sorted(set(violation_ids))
        if not ids:
            return {}
        r = violation_returns.c
        q = (
            select(r.violation_id, r.currency, func.sum(r.amount_minor))
            .where(r.shop_id == shop_id, r.violation_id.in_(ids))
            .group_by(r.violation_id, r.currency)
        )
        out: dict[str, Money] = {}
        for violation_id, currency, total in self.conn.execute(q):
            money = Money(currency, int(total))
            # One market, one currency: a second one would be a bug, so it fails loudly.
            out[violation_id] = out[violation_id] + money if violation_id in out else money
        return out
