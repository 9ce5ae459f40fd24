"""The journal: entries and postings are only ever inserted (DEP-3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from depositdesk.adapters.db.tables import journal_entries, postings
from depositdesk.domain.ledger import Account, EntryKind, JournalEntry, Posting, RecordedEntry
from depositdesk.domain.money import Money


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

    def balances(self, shop_id: str) -> dict[tuple[Account, str], int]:
        """Sum of postings per (account, currency), in minor units."""
        q = (
            select(postings.c.account, postings.c.currency, func.sum(postings.c.amount_minor))
            .where(postings.c.shop_id == shop_id)
            .group_by(postings.c.account, postings.c.currency)
        )
        return {(Account(a), c): int(s) for a, c, s in self.conn.execute(q)}

    def entries(self, shop_id: str, limit: int, before_id: int | None) -> list[RecordedEntry]:
        """Newest first; `before_id` continues a page."""
        q = (
            select(journal_entries)
            .where(journal_entries.c.shop_id == shop_id)
            .order_by(journal_entries.c.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            q = q.where(journal_entries.c.id < before_id)
        rows = list(self.conn.execute(q).mappings())
        if not rows:
            return []
        by_entry: dict[int, list[Posting]] = defaultdict(list)
        p = postings.c
        pq = (
            select(p.entry_id, p.account, p.currency, p.amount_minor)
            .where(p.entry_id.in_([r["id"] for r in rows]))
            .order_by(p.id)
        )
        for entry_id, account, currency, minor in self.conn.execute(pq):
            by_entry[entry_id].append(Posting(Account(account), Money(currency, minor)))
        return [
            RecordedEntry(
                id=r["id"],
                shop_id=r["shop_id"],
                at=r["at"],
                kind=EntryKind(r["kind"]),
                memo=r["memo"],
                source=r["source"],
                postings=tuple(by_entry[r["id"]]),
            )
            for r in rows
        ]
