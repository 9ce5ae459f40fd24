"""The audit log (AUD-1) on SQLAlchemy Core: a hash chain that never forks.

`append` queues an entry; `flush` (called by the unit of work just before it commits)
takes the chain's lock, reads the head, seals the queued entries after it and inserts
them in one statement. The lock is held from there to the commit, the shortest time
possible, and it is the last lock a transaction takes, so it cannot be part of a
lock-order deadlock. PostgreSQL: a transaction-scoped advisory lock, and the database
seals the records itself, in the commit's round trip (`_flush_pg`); SQLite: writers
already hold the one write lock (BEGIN IMMEDIATE, adapters/db/engine.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import astuple
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, bindparam, func, insert, select

from depositdesk.adapters.db.prepared import Prepared, take_behind
from depositdesk.adapters.db.tables import audit_log, shop_categories, shops
from depositdesk.adapters.db.types import naive_utc
from depositdesk.domain.audit import (
    GENESIS,
    AuditEntry,
    AuditRecord,
    ShopFacts,
    canonical,
    chain_template,
    seal_all,
)

# pg_advisory_xact_lock's key for the chain: "AUD1" as an integer.
CHAIN_LOCK = 0x41554431


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else canonical(value).decode()


_COLUMNS = (
    "seq",
    "at",
    "actor",
    "role",
    "party",
    "action",
    "target",
    "shop_id",
    "before",
    "after",
    "request_id",
    "prev_hash",
    "hash",
)
_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
# PostgreSQL seals a record itself, after the head it reads under the chain's lock:
# seq and prev_hash from the head (GENESIS, the last parameter, for an empty chain),
# the hash from the entry's `chain_template` (head, middle, tail) around them.
_CHAINED_SQL = f"""
INSERT INTO audit_log ({", ".join(_COLUMNS)})
SELECT h.seq + 1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, h.hash,
    encode(sha256(convert_to(
        h.hash || %s || h.hash || %s || (h.seq + 1)::text || %s, 'UTF8')), 'hex')
FROM (
    (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1)
    UNION ALL SELECT 0, %s
    ORDER BY seq DESC LIMIT 1
) AS h
"""


def _values(r: AuditRecord, before: str | None, after: str | None, at: datetime) -> tuple[Any, ...]:
    """A record as stored, in `_COLUMNS` order, with its JSON and time already made."""
    return (
        r.seq,
        at,
        r.actor,
        r.role,
        r.party,
        r.action,
        r.target,
        r.shop_id,
        before,
        after,
        r.request_id,
        r.prev_hash,
        r.hash,
    )


def _record(row: RowMapping) -> AuditRecord:
    return AuditRecord(
        seq=int(row["seq"]),
        at=row["at"],
        actor=row["actor"],
        role=row["role"],
        party=row["party"],
        action=row["action"],
        target=row["target"],
        shop_id=row["shop_id"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=None if row["after"] is None else json.loads(row["after"]),
        request_id=row["request_id"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _shop_facts(dialect: str) -> Select[Any]:
    s, c = shops.c, shop_categories.c
    agg = (
        func.string_agg(c.category, ",")
        if dialect == "postgresql"
        else func.group_concat(c.category)
    )
    categories = select(agg).where(c.shop_id == s.id, c.active.is_(True)).scalar_subquery()
    return select(s.status, s.enforcement_step, s.market, categories).where(
        s.id == bindparam("shop_id")
    )


_SHOP_FACTS = Prepared(_shop_facts)


class AuditRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres
        self._queued: list[AuditEntry] = []

    # -- writes -----------------------------------------------------------------------
    def append(self, entry: AuditEntry) -> None:
        """Queue an entry; it is written with the transaction's commit (flush)."""
        self._queued.append(entry)

    def discard(self) -> None:
        """The transaction rolled back: what it queued never happened."""
        self._queued.clear()

    def flush(self, commit: bool = False) -> None:
        """Seal the queued entries after the head and insert them (the chain's lock is
        held until the transaction ends). `commit`: on PostgreSQL, end the transaction
        with the insert, in the same round trip (the unit of work's commit then finds
        it done), and send the writes queued behind before them, with or without
        entries."""
        if self.postgres:
            self._flush_pg(commit)
            return
        if not self._queued:
            return
        seq, head = self.head()
        records = seal_all(self._queued, seq, head)
        self._queued.clear()
        rows = [_values(r, _json(r.before), _json(r.after), r.at) for r in records]
        self.conn.execute(insert(audit_log), [dict(zip(_COLUMNS, v, strict=True)) for v in rows])

    def _flush_pg(self, commit: bool) -> None:
        """One round trip, in psycopg's pipeline mode: the writes queued behind
        (adapters/db/prepared.py), the chain's lock, the records sealed by the
        database after the head it reads under the lock (`_CHAINED_SQL`, from each
        entry's `chain_template`), and, with `commit`, the COMMIT. The chain's lock,
        which every writer of the system queues on, is held for the server's work
        only: no round trip to us and no Python runs while it is held. The hash is
        the one `seal` makes (domain/audit.py; `verify` checks it in Python)."""
        behind = take_behind(self.conn)
        rows = [
            (
                naive_utc(e.at),
                e.actor,
                e.role,
                e.party,
                e.action,
                e.target,
                e.shop_id,
                _json(e.before),
                _json(e.after),
                e.request_id,
                *astuple(chain_template(e)),
                GENESIS,
            )
            for e in self._queued
        ]
        self._queued.clear()
        if not rows and not behind:
            return
        raw: Any = self.conn.connection.driver_connection
        with raw.pipeline():
            for sql, params in behind:
                raw.execute(sql, params)
            if rows:
                raw.execute(_LOCK_SQL, (CHAIN_LOCK,))
                with raw.cursor() as cursor:
                    cursor.executemany(_CHAINED_SQL, rows)
            if commit:
                # As a statement of the pipeline, not `raw.commit()`, which syncs
                # on its own: the pipeline's exit is then the only wait.
                raw.execute("COMMIT", prepare=False)

    # -- reads ------------------------------------------------------------------------
    def shop_facts(self, shop_id: str) -> ShopFacts | None:
        """A shop's status, step, market and active categories in one statement."""
        row = _SHOP_FACTS.rows(self.conn, shop_id=shop_id)
        if not row:
            return None
        status, step, market, categories = row[0]
        found = tuple(sorted(categories.split(","))) if categories else ()
        return ShopFacts(status, step, market, found)

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last record; (0, GENESIS) for an empty chain."""
        a = audit_log.c
        row = self.conn.execute(select(a.seq, a.hash).order_by(a.seq.desc()).limit(1)).first()
        return (0, GENESIS) if row is None else (int(row[0]), row[1])

    def head_before(self, at: datetime) -> tuple[int, str]:
        """(seq, hash) of the last record made before `at`: read from the newest back,
        so a day's anchor written just after it ends reads a few rows."""
        a = audit_log.c
        q = select(a.seq, a.hash).where(a.at < at).order_by(a.seq.desc()).limit(1)
        row = self.conn.execute(q).first()
        return (0, GENESIS) if row is None else (int(row[0]), row[1])

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(audit_log)).scalar_one())

    def chain(self, batch: int = 2000) -> Iterator[AuditRecord]:
        """Every record, seq ascending, read a batch at a time."""
        after = None
        while True:
            q = select(audit_log).order_by(audit_log.c.seq).limit(batch)
            if after is not None:
                q = q.where(audit_log.c.seq > after)
            rows = list(self.conn.execute(q).mappings())
            if not rows:
                return
            for row in rows:
                yield _record(row)
            after = int(rows[-1]["seq"])

    def page(
        self,
        *,
        shop_id: str | None,
        actor: str | None,
        since: datetime | None,
        before_seq: int | None,
        limit: int,
    ) -> list[AuditRecord]:
        """Newest first; `before_seq` continues a page."""
        a = audit_log.c
        q = select(audit_log).order_by(a.seq.desc()).limit(limit)
        if shop_id is not None:
            q = q.where(a.shop_id == shop_id)
        if actor is not None:
            q = q.where(a.actor == actor)
        if since is not None:
            q = q.where(a.at >= since)
        if before_seq is not None:
            q = q.where(a.seq < before_seq)
        return [_record(row) for row in self.conn.execute(q).mappings()]

    def of_shop(self, shop_id: str) -> list[AuditRecord]:
        """The shop's records, oldest first (the shop's record, AUD-2)."""
        a = audit_log.c
        q = select(audit_log).where(a.shop_id == shop_id).order_by(a.seq)
        return [_record(row) for row in self.conn.execute(q).mappings()]
