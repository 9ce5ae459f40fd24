"""Security signals (UNL-1) on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select
from sqlalchemy.exc import IntegrityError

from depositdesk.adapters.db.tables import security_signals
from depositdesk.domain.security_signals import SecuritySignal, SignalKind


def _signal(row: RowMapping) -> SecuritySignal:
    return SecuritySignal(
        id=row["id"],
        seller_id=row["seller_id"],
        shop_id=row["shop_id"],
        kind=SignalKind(row["kind"]),
        source=row["source"],
        detail=row["detail"],
        at=row["at"],
    )


class SecuritySignalRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, signal: SecuritySignal) -> bool:
        """Record it; False when its kind and source are recorded already."""
        exists = self.conn.execute(
            select(security_signals.c.id).where(
                security_signals.c.kind == signal.kind.value,
                security_signals.c.source == signal.source,
            )
        ).first()
        if exists is not None:
            return False
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(security_signals).values(
                        id=signal.id,
                        seller_id=signal.seller_id,
                        shop_id=signal.shop_id,
                        kind=signal.kind.value,
                        source=signal.source,
                        detail=signal.detail,
                        at=signal.at,
                    )
                )
        except IntegrityError:  # recorded by a concurrent transaction
            return False
        return True

    def since(self, seller_id: str, since: datetime) -> list[SecuritySignal]:
        """The seller's signals at or after `since`, newest first."""
        rows = self.conn.execute(
            select(security_signals)
            .where(security_signals.c.seller_id == seller_id, security_signals.c.at >= since)
            .order_by(security_signals.c.at.desc(), security_signals.c.id.desc())
            .limit(1000)
        ).mappings()
        return [_signal(row) for row in rows]
