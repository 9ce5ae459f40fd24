"""Hot reads: a Core SELECT compiled once per dialect, run on the DB-API cursor.

Why: SQLAlchemy Core spends about 100 µs a statement on work that does not change
between calls of the same query (building the clauses, their cache key, an execution
context, a result object), against about 25 µs for SQLite to run a one-row read. A
request that reads a shop, its policy, balances and blocking records runs ten such
statements, so that fixed cost was most of an eligibility call (issue 9). A `Prepared`
keeps the statement Core built (same SQL, same bind and result types: datetimes come
back aware, booleans as bools, JSON decoded) and only leaves out the per-call
machinery. It runs on the unit of work's own connection, inside its transaction.

Only for plain SELECTs with named `bindparam`s; an expanding `IN` (a list parameter)
is refused when the statement is prepared, as its SQL depends on the list's length.
A statement that differs between databases is given as a function of the dialect's
name, called once per dialect.

`together` runs several prepared reads in one round trip on PostgreSQL (psycopg's
pipeline mode: still separate statements, run in order in the transaction), and one
after the other on SQLite, where a statement costs no round trip.

`read_ahead` queues a read a unit of work will surely need (the policy checksums, a
locked shop's balances) to ride along with the next prepared read it sends: that
read first, then the queued ones, in one round trip (and the transaction's BEGIN with
them, when it is the first). A repository that needs its queued read before anything
else was sent calls `flush_ahead`. PostgreSQL only, inside a unit of work (which
`reading_ahead` marks); elsewhere `read_ahead` says no and the repository reads when
it needs to.

`write_behind` is the same for a write whose answer nobody waits for (a money move's
idempotency record): it is sent with the transaction's last round trip, in front of
the audit chain's lock and the COMMIT (`take_behind`, adapters/db/audit_repo.py). Its
failure (a unique key taken meanwhile) then fails that round trip, so the COMMIT
never runs: the transaction is rolled back as if the write had failed where it was
made. PostgreSQL only, inside a unit of work, for writes that nothing later in the
transaction reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Select

Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a bindparam without a value: the caller must give it


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    positional: bool
    binds: tuple[tuple[str, str, Processor, Any], ...]  # name, name in SQL, processor, default
    keys: tuple[str, ...]  # result columns
    results: tuple[Processor, ...]
    convert: bool  # any result processor at all

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = []
        for name, _, process, default in self.binds:
            value = given[name] if default is _REQUIRED else given.get(name, default)
            values.append(value if process is None or value is None else process(value))
        if self.positional:
            return values
        return {sql_name: v for (_, sql_name, _, _), v in zip(self.binds, values, strict=True)}

    def rows(self, raw: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not self.convert:
            return [tuple(r) for r in raw]
        procs = self.results
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True))
            for r in raw
        ]


class Prepared:
    """A SELECT to run many times with different parameters (see the module's doc)."""

    def __init__(self, statement: Select[Any] | Callable[[str], Select[Any]]) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            with self._lock:
                plan = self._plans.get(dialect.name) or self._compile(dialect)
                self._plans[dialect.name] = plan
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        statement = self.statement
        if not isinstance(statement, Select):
            statement = statement(dialect.name)
        compiled = statement.compile(dialect=dialect)
        if any(b.expanding for b in compiled.binds.values()):
            raise ValueError("a prepared statement takes no list parameters (IN)")
        names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
        escaped: dict[str, str] = dict(compiled.escaped_bind_names or {})
        defaults = compiled.params
        binds = tuple(
            (
                name,
                escaped.get(name, name),
                compiled.binds[name].type.bind_processor(dialect),
                _REQUIRED if compiled.binds[name].required else defaults.get(name),
            )
            for name in names
        )
        columns = list(statement.selected_columns)
        results = tuple(c.type.result_processor(dialect, None) for c in columns)
        return _Plan(
            sql=compiled.string,
            positional=bool(compiled.positional),
            binds=binds,
            keys=tuple(str(c.key) for c in columns),
            results=results,
            convert=any(p is not None for p in results),
        )

    def rows(self, conn: Connection, **params: Any) -> list[tuple[Any, ...]]:
        raw, _ = self.raw(conn, **params)
        return self._plan(conn.dialect).rows(raw)

    def raw(
        self, conn: Connection, **params: Any
    ) -> tuple[Sequence[Any], Callable[[Sequence[Any]], tuple[Any, ...]]]:
        """The rows as the driver gave them, and the function that converts one: for a
        read of many rows of which only one or two need their values converted."""
        plan = self._plan(conn.dialect)
        if conn.info.get(_AHEAD):
            return together(conn, (self, params))[0], lambda row: plan.rows([row])[0]
        cursor = conn.connection.cursor()
        try:
            cursor.execute(plan.sql, plan.parameters(params))
            raw = cursor.fetchall()
        finally:
            cursor.close()
        return raw, lambda row: plan.rows([row])[0]

    def keys(self, conn: Connection) -> tuple[str, ...]:
        """The names of the result's columns."""
        return self._plan(conn.dialect).keys

    def convert(self, conn: Connection, row: Sequence[Any]) -> tuple[Any, ...]:
        """One row of `raw` or `together` with its values converted."""
        return self._plan(conn.dialect).rows([row])[0]

    def mappings(self, conn: Connection, **params: Any) -> list[dict[str, Any]]:
        keys = self._plan(conn.dialect).keys
        return [dict(zip(keys, row, strict=True)) for row in self.rows(conn, **params)]

    def first(self, conn: Connection, **params: Any) -> dict[str, Any] | None:
        found = self.mappings(conn, **params)
        return found[0] if found else None

    def scalars(self, conn: Connection, **params: Any) -> list[Any]:
        return [row[0] for row in self.rows(conn, **params)]


def together(conn: Connection, *calls: tuple[Prepared, Mapping[str, Any]]) -> list[Sequence[Any]]:
    """The rows of each (statement, parameters), in order, as the driver gives them
    (`Prepared.convert` converts one, as `raw` leaves them); the reads queued ahead
    run after them, in the same round trip."""
    queued: list[_Ahead] = conn.info.get(_AHEAD) or []
    if conn.dialect.name != "postgresql" or (len(calls) < 2 and not queued):
        return [prepared.raw(conn, **params)[0] for prepared, params in calls]
    conn.info[_AHEAD] = []
    everything = [*calls, *((a.prepared, a.params) for a in queued)]
    plans = [(prepared._plan(conn.dialect), params) for prepared, params in everything]
    raw: Any = conn.connection.driver_connection
    with raw.pipeline():
        cursors = [raw.cursor() for _ in plans]
        try:
            for cursor, (plan, params) in zip(cursors, plans, strict=True):
                cursor.execute(plan.sql, plan.parameters(params))
            found = [cursor.fetchall() for cursor in cursors]  # the first fetch syncs
        finally:
            for cursor in cursors:
                cursor.close()
    for ahead, rows in zip(queued, found[len(calls) :], strict=True):
        ahead.take([ahead.prepared.convert(conn, row) for row in rows])
    return found[: len(calls)]


# -- reads ahead ------------------------------------------------------------------------
_AHEAD = "depositdesk_read_ahead"


@dataclass(frozen=True, slots=True)
class _Ahead:
    prepared: Prepared
    params: Mapping[str, Any]
    take: Callable[[list[tuple[Any, ...]]], None]  # given the rows, converted


_BEHIND = "depositdesk_write_behind"


def reading_ahead(conn: Connection, on: bool) -> None:
    """A unit of work's connection takes reads ahead and writes behind while it is
    open (PostgreSQL). An invalidated connection is left alone: touching it would
    connect again, and the pool clears a connection's info when it does."""
    if on and conn.dialect.name == "postgresql":
        conn.info[_AHEAD] = []
        conn.info[_BEHIND] = []
    elif not conn.invalidated:
        conn.info.pop(_AHEAD, None)
        conn.info.pop(_BEHIND, None)


def write_behind(conn: Connection, sql: str, params: Sequence[Any]) -> bool:
    """Queue a write (driver SQL, `%s` parameters) for the transaction's last round
    trip (see the module's doc). False when this connection does not write behind:
    the caller writes now."""
    queued: list[tuple[str, Sequence[Any]]] | None = conn.info.get(_BEHIND)
    if queued is None:
        return False
    queued.append((sql, params))
    return True


def take_behind(conn: Connection) -> list[tuple[str, Sequence[Any]]]:
    """The writes queued behind, in order, and the queue emptied (the commit sends
    them; a rollback drops them)."""
    queued: list[tuple[str, Sequence[Any]]] | None = conn.info.get(_BEHIND)
    if not queued:
        return []
    conn.info[_BEHIND] = []
    return queued


def read_ahead(
    conn: Connection,
    prepared: Prepared,
    params: Mapping[str, Any],
    take: Callable[[list[tuple[Any, ...]]], None],
) -> bool:
    """Queue a read to run with the next one sent (see the module's doc); `take` gets
    its rows. False when this connection does not read ahead."""
    queued: list[_Ahead] | None = conn.info.get(_AHEAD)
    if queued is None:
        return False
    queued.append(_Ahead(prepared, params, take))
    return True


def flush_ahead(conn: Connection) -> None:
    """Run the reads queued ahead now (a repository needs one before anything else
    was sent)."""
    if conn.info.get(_AHEAD):
        together(conn)


class OnceAhead:
    """A repository's reads of one statement queued ahead, by key, each answering its
    next ask only (a shop's categories for `load_shop`, a money move's key)."""

    def __init__(self, conn: Connection, prepared: Prepared) -> None:
        self.conn = conn
        self.prepared = prepared
        self._rows: dict[Hashable, list[tuple[Any, ...]] | None] = {}  # None: not in yet

    def queue(self, key: Hashable, params: Mapping[str, Any]) -> None:
        if key not in self._rows and read_ahead(
            self.conn, self.prepared, params, partial(self._arrived, key)
        ):
            self._rows[key] = None

    def _arrived(self, key: Hashable, rows: list[tuple[Any, ...]]) -> None:
        if key in self._rows:  # not forgotten meanwhile
            self._rows[key] = rows

    def take(self, key: Hashable) -> list[tuple[Any, ...]] | None:
        """The rows read ahead for `key` (converted), the queue run first if they
        are not in yet; None when none were queued (or none came): the caller reads."""
        if key not in self._rows:
            return None
        if self._rows[key] is None:
            flush_ahead(self.conn)
        return self._rows.pop(key)

    def forget(self, key: Hashable) -> None:
        """What was read ahead for `key` is out of date (the repository changed it)."""
        self._rows.pop(key, None)
