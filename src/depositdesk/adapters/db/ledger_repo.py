"""The journal: entries and postings are only ever inserted (DEP-3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from depositdesk.adapters.db.tables import journal_entries, postings
from depositdesk.domain.ledger import JournalEntry


class LedgerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def post(self, shop_id: str, entry: JournalEntry, at: datetime, source: str) -> int:
        entry_id = self.conn.execute(
            insert(journal_entries)
            .values(
                shop_id=shop_id,
                kind=entry.kind.value,
                memo=entry.memo,
                at=at,
                source=source,
            )
            .returning(journal_entries.c.id)
        ).scalar_one()
        self.conn.execute(
            insert(postings),
            [
                {
                    "entry_id": entry_id,
                    "shop_id": shop_id,
                    "account": p.account.value,
                    "currency": p.amount.currency,
                    "amount_minor": p.amount.minor,
                }
                for p in entry.postings
            ],
        )
        return int(entry_id)

    def balances(self, shop_id: str) -> dict[tuple[str, str], int]:
        q = (
            select(postings.c.account, postings.c.currency, func.sum(postings.c.amount_minor))
            .where(postings.c.shop_id == shop_id)
            .group_by(postings.c.account, postings.c.currency)
        )
        return {(a, c): int(s) for a, c, s in self.conn.execute(q)}

    def entries(self, shop_id: str, limit: int, before_id: int | None) -> list[dict[str, Any]]:
        q = (
            select(journal_entries)
            .where(journal_entries.c.shop_id == shop_id)
            .order_by(journal_entries.c.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            q = q.where(journal_entries.c.id < before_id)
        rows = [dict(r) for r in self.conn.execute(q).mappings()]
        if not rows:
            return rows
        by_entry: dict[int, list[dict[str, Any]]] = defaultdict(list)
        pq = (
            select(postings)
            .where(postings.c.entry_id.in_([r["id"] for r in rows]))
            .order_by(postings.c.id)
        )
        for p in self.conn.execute(pq).mappings():
            by_entry[p["entry_id"]].append(dict(p))
        for r in rows:
            r["postings"] = by_entry[r["id"]]
        return rows
