"""The journal and its running balances (DEP-3).

Entries and postings are only ever inserted. Each account's balance is kept in
`account_balances`, changed in the transaction of the entry by an upsert that adds
the entry's postings (`balance_minor = balance_minor + :delta`), so two transactions
posting to one shop cannot lose an update, and reading a balance reads a few rows
however long the shop's history (as pgledger and Blnk keep theirs).

Balances read or written in a unit of work are remembered for the rest of it: money
writers lock the shop before they read (architecture.md), so nobody else changes them
meanwhile, and a pay-in that reads its balances three times queries them once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select

from depositdesk.adapters.db.bulk import chunks, compiled_many
from depositdesk.adapters.db.prepared import Prepared, flush_ahead, read_ahead
from depositdesk.adapters.db.tables import account_balances, journal_entries, postings
from depositdesk.adapters.db.types import naive_utc
from depositdesk.domain.ledger import Account, EntryKind, JournalEntry, Posting, RecordedEntry
from depositdesk.domain.money import Money

BalanceKey = tuple[Account, str]
# One entry to book: (shop id, entry, booked at, source).
Booking = tuple[str, JournalEntry, datetime, str]

_ID_BLOCK = 256  # entry ids reserved at a time inside batch()
_ENTRY_NAMES = ("id", "shop_id", "kind", "memo", "at", "source")
_POSTING_NAMES = ("entry_id", "shop_id", "account", "currency", "amount_minor")
_BALANCE_NAMES = ("shop_id", "account", "currency", "balance_minor")


_COPY_ENTRIES = f"COPY journal_entries ({', '.join(_ENTRY_NAMES)}) FROM STDIN"
_COPY_POSTINGS = f"COPY postings ({', '.join(_POSTING_NAMES)}) FROM STDIN"


def _deltas(entry: JournalEntry) -> dict[BalanceKey, int]:
    """What the entry adds to each (account, currency): one row per key, as an upsert
    may touch each row once."""
    out: dict[BalanceKey, int] = defaultdict(int)
    for p in entry.postings:
        out[(p.account, p.amount.currency)] += p.amount.minor
    return out


def _insert(table: Table, names: tuple[str, ...]) -> Callable[[], Any]:
    return lambda: insert(table).values({n: bindparam(n, type_=table.c[n].type) for n in names})


_BALANCES = Prepared(
    select(
        account_balances.c.account, account_balances.c.currency, account_balances.c.balance_minor
    ).where(account_balances.c.shop_id == bindparam("shop_id"))
)


_NO_ID = 2**63 - 1  # "before" on the first page: past any entry id
_PAGE = (
    select(journal_entries)
    .where(
        journal_entries.c.shop_id == bindparam("shop_id"),
        journal_entries.c.id < bindparam("before"),
    )
    .order_by(journal_entries.c.id.desc())
    .limit(bindparam("limit"))
)
_ENTRIES = Prepared(_PAGE)
_PAGE_POSTINGS = Prepared(
    select(postings.c.entry_id, postings.c.account, postings.c.currency, postings.c.amount_minor)
    .where(postings.c.entry_id.in_(_PAGE.with_only_columns(journal_entries.c.id).scalar_subquery()))
    .order_by(postings.c.id)
)


@lru_cache(maxsize=32)
def _post_sql(postings: int, balances: int) -> str:
    """`_post_pg`'s statement for an entry of this many postings and balances changed
    (psycopg's positional parameters: the entry's five, three a posting, four a
    balance)."""
    rows = ", ".join(f"({n}, %s, %s, CAST(%s AS BIGINT))" for n in range(postings))
    sums = ", ".join("(%s, %s, %s, CAST(%s AS BIGINT))" for _ in range(balances))
    return (
        "WITH e AS (INSERT INTO journal_entries (shop_id, kind, memo, at, source) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id, shop_id), "
        "p AS (INSERT INTO postings (entry_id, shop_id, account, currency, amount_minor) "
        "SELECT e.id, e.shop_id, v.account, v.currency, v.amount FROM e, "
        f"(VALUES {rows}) AS v(n, account, currency, amount) ORDER BY v.n), "
        "b AS (INSERT INTO account_balances (shop_id, account, currency, balance_minor) "
        f"VALUES {sums} ON CONFLICT (shop_id, account, currency) DO UPDATE "
        "SET balance_minor = account_balances.balance_minor + EXCLUDED.balance_minor "
        "RETURNING account, currency, balance_minor) "
        "SELECT (SELECT id FROM e), b.account, b.currency, b.balance_minor FROM b"
    )


class LedgerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._balances: dict[str, dict[BalanceKey, int]] = {}
        self._coming: set[str] = set()  # shops whose balances are read ahead
        self._held: list[tuple[int, Booking]] | None = None  # inside batch()
        self._free_ids: list[int] = []
        self._last_id: int | None = None

    # -- writes -------------------------------------------------------------------
    def post(self, shop_id: str, entry: JournalEntry, at: datetime, source: str) -> int:
        """Append a balanced entry and add it to the running balances; its id."""
        if self._held is not None:
            return self._hold(shop_id, entry, at, source)
        if self.postgres:
            return self._post_pg(shop_id, entry, at, source)
        return self.post_many([(shop_id, entry, at, source)])[0]

    def _post_pg(self, shop_id: str, entry: JournalEntry, at: datetime, source: str) -> int:
        """One round trip: the entry, its postings and the balances in one statement
        (data-modifying CTEs), which answers the id and the new balances. It runs on
        the driver's cursor, its SQL made once per shape (postings, balances), as
        SQLAlchemy's per-statement work was most of its cost."""
        deltas = sorted(_deltas(entry).items())
        params: list[Any] = [shop_id, entry.kind.value, entry.memo, naive_utc(at), source]
        for p in entry.postings:
            params += (p.account.value, p.amount.currency, p.amount.minor)
        # Balance rows are locked in one order (shop, account, currency) by every
        # writer, so two transactions on the same rows queue instead of deadlocking.
        for (account, currency), delta in deltas:
            params += (shop_id, account.value, currency, delta)
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(_post_sql(len(entry.postings), len(deltas)), params)
            result = cursor.fetchall()
        finally:
            cursor.close()
        known = self._balances.get(shop_id)
        if known is not None:
            for _, account, currency, balance in result:
                known[(Account(account), currency)] = int(balance)
        return int(result[0][0])

    def post_many(self, bookings: list[Booking]) -> list[int]:
        """Append entries in a few statements (ids reserved up front, then executemany
        of entries, postings and the summed balance changes); their ids in order."""
        if not bookings:
            return []
        if self._held is not None:
            return [self._hold(*b) for b in bookings]
        ids = self._reserve_ids(len(bookings))
        self._write(list(zip(ids, bookings, strict=True)), remember=True)
        return ids

    def _write(self, held: list[tuple[int, Booking]], remember: bool) -> None:
        """Entries, postings and balance changes in three executemany statements;
        `remember`: add the changes to the balances remembered (held entries are in
        them already)."""
        if not held:
            return
        entry_rows = []
        posting_rows = []
        deltas: dict[tuple[str, Account, str], int] = defaultdict(int)
        for entry_id, (shop_id, entry, at, source) in held:
            entry_rows.append((entry_id, shop_id, entry.kind.value, entry.memo, at, source))
            for p in entry.postings:
                posting_rows.append(
                    (entry_id, shop_id, p.account.value, p.amount.currency, p.amount.minor)
                )
                deltas[(shop_id, p.account, p.amount.currency)] += p.amount.minor
        conn = self.conn
        if self.postgres:
            # COPY: the ids are reserved, nothing can conflict, and a batch of pay-ins
            # or money events costs one stream per table instead of a row each.
            raw: Any = conn.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(_COPY_ENTRIES) as copy:
                    for row in entry_rows:
                        copy.write_row((*row[:4], naive_utc(row[4]), row[5]))
                with cursor.copy(_COPY_POSTINGS) as copy:
                    for posting in posting_rows:
                        copy.write_row(posting)
        else:
            compiled_many(
                conn, "ledger.entries", _insert(journal_entries, _ENTRY_NAMES), _ENTRY_NAMES
            ).run(conn, entry_rows)
            compiled_many(
                conn, "ledger.postings", _insert(postings, _POSTING_NAMES), _POSTING_NAMES
            ).run(conn, posting_rows)
        self._add_to_balances(deltas, remember)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Entries posted inside are written together when it ends (`post_many`): their
        ids are reserved as they are posted and the balances this unit of work reads
        include them at once, so a chunk of money events is booked in a few statements
        instead of three round trips each. Nothing else may read the journal inside."""
        if self._held is not None:
            yield
            return
        self._held = []
        try:
            yield
            held, self._held = self._held, None
            self._write(held, remember=False)
        finally:
            self._held = None
            self._free_ids = []
            self._last_id = None

    def _hold(self, shop_id: str, entry: JournalEntry, at: datetime, source: str) -> int:
        assert self._held is not None
        if not self._free_ids:
            self._free_ids = self._reserve_ids(_ID_BLOCK, after=self._last_id)
        entry_id = self._free_ids.pop(0)
        self._last_id = entry_id
        known = self._balances.get(shop_id)
        if known is None:
            known = self._load([shop_id])[shop_id]
        for key, delta in _deltas(entry).items():
            known[key] = known.get(key, 0) + delta
        self._held.append((entry_id, (shop_id, entry, at, source)))
        return entry_id

    def _reserve_ids(self, n: int, after: int | None = None) -> list[int]:
        if self.postgres:
            # The sequence's name is looked up once per connection: in the statement,
            # pg_get_serial_sequence would run once per id, three times nextval's cost.
            info = self.conn.info
            sequence = info.get("journal_entries_sequence")
            if sequence is None:
                sequence = info["journal_entries_sequence"] = self.conn.exec_driver_sql(
                    "SELECT pg_get_serial_sequence('journal_entries', 'id')"
                ).scalar()
            ids = self.conn.exec_driver_sql(
                "SELECT nextval(%(seq)s::regclass) FROM generate_series(1, %(n)s)",
                {"seq": sequence, "n": n},
            )
            return sorted(int(i) for (i,) in ids)
        # SQLite has one writer at a time (BEGIN IMMEDIATE): the ids after the largest
        # are free until this transaction ends, as a rowid table would give them.
        if after is None:
            after = self.conn.exec_driver_sql("SELECT max(id) FROM journal_entries").scalar()
        first = int(after or 0) + 1
        return list(range(first, first + n))

    def _add_to_balances(self, deltas: dict[tuple[str, Account, str], int], remember: bool) -> None:
        """Add to the stored balances; `remember`: also to those remembered (a batch's
        postings were added to them as they were held)."""
        rows = [(s, a.value, c, d) for (s, a, c), d in sorted(deltas.items())]
        compiled_many(self.conn, "ledger.balances", self._balance_upsert, _BALANCE_NAMES).run(
            self.conn, rows
        )
        if not remember:
            return
        for (shop_id, account, currency), delta in deltas.items():
            known = self._balances.get(shop_id)
            if known is not None:
                known[(account, currency)] = known.get((account, currency), 0) + delta

    def _balance_upsert(self) -> Any:
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = (pg_insert if self.postgres else sqlite_insert)(account_balances)
        return stmt.on_conflict_do_update(
            index_elements=["shop_id", "account", "currency"],
            set_={"balance_minor": account_balances.c.balance_minor + stmt.excluded.balance_minor},
        )

    # -- reads ----------------------------------------------------------------------
    def read_ahead(self, shop_id: str) -> None:
        """Have a shop's balances read with the next statement sent (PostgreSQL): a
        money write's, right after its lock on the shop. What this transaction writes
        before they are read is in them, as they are read after it."""
        if shop_id in self._balances or shop_id in self._coming:
            return
        if read_ahead(self.conn, _BALANCES, {"shop_id": shop_id}, partial(self._take, shop_id)):
            self._coming.add(shop_id)

    def _take(self, shop_id: str, rows: list[tuple[Any, ...]]) -> None:
        """Remember a shop's balances from `_BALANCES`' rows."""
        self._coming.discard(shop_id)
        self._balances[shop_id] = {
            (Account(account), currency): int(balance) for account, currency, balance in rows
        }

    def balances(self, shop_id: str) -> dict[tuple[Account, str], int]:
        """Each (account, currency)'s balance in minor units: the stored running
        balance, the sum of the account's postings."""
        known = self._balances.get(shop_id)
        if known is None:
            known = self._load([shop_id])[shop_id]
        return dict(known)

    def balances_of(self, shop_ids: Iterable[str]) -> dict[str, dict[tuple[Account, str], int]]:
        """The balances of many shops, one query per 500 not yet read in this unit of work."""
        return {s: dict(b) for s, b in self._load(shop_ids).items()}

    def _load(self, shop_ids: Iterable[str]) -> dict[str, dict[BalanceKey, int]]:
        """The remembered balances of these shops (the same dicts), read where missing."""
        wanted = sorted(set(shop_ids))
        if self._coming and not self._coming.isdisjoint(wanted):
            flush_ahead(self.conn)
        missing = [s for s in wanted if s not in self._balances]
        b = account_balances.c
        if len(missing) == 1:  # a request's one shop
            self._take(missing[0], _BALANCES.rows(self.conn, shop_id=missing[0]))
            missing = []
        for part in chunks(missing):
            for s in part:
                self._balances[s] = {}
            q = select(b.shop_id, b.account, b.currency, b.balance_minor).where(b.shop_id.in_(part))
            for shop_id, account, currency, balance in self.conn.execute(q):
                self._balances[shop_id][(Account(account), currency)] = int(balance)
        return {s: self._balances[s] for s in wanted}

    def entries(self, shop_id: str, limit: int, before_id: int | None) -> list[RecordedEntry]:
        """Newest first; `before_id` continues a page."""
        page = {
            "shop_id": shop_id,
            "before": _NO_ID if before_id is None else before_id,
            "limit": limit,
        }
        rows = _ENTRIES.mappings(self.conn, **page)
        if not rows:
            return []
        by_entry: dict[int, list[Posting]] = defaultdict(list)
        for entry_id, account, currency, minor in _PAGE_POSTINGS.rows(self.conn, **page):
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
