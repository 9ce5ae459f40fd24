"""Bulk writes and lookups for ingestion: compiled once, run with the driver's executemany.

Ingestion writes a million rows; SQLAlchemy's per-row parameter processing would
cost more than the database spends storing them. These helpers keep SQLAlchemy's
own compilation and bind processors (so what is stored is identical) and skip the
per-row machinery. Used by the events and projection repositories.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam

from depositdesk.adapters.db.types import UTCDateTime, naive_utc

IN_CHUNK = 500


def chunks(items: list[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Lookups by many ids use `IN (:k0, ..., :kN)` with N from a few fixed sizes (a part
# is padded by repeating its last id), so each statement is compiled once; an
# expanding IN is rendered anew at every execution, which costs more than the lookup.
IN_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, IN_CHUNK)


def in_params(ids: list[Any]) -> Iterable[tuple[int, dict[str, Any]]]:
    """(size, {"k0": id, ...}) per part of at most IN_CHUNK ids."""
    for part in chunks(ids):
        size = next(n for n in IN_SIZES if n >= len(part))
        padded = part + [part[-1]] * (size - len(part))
        yield size, {f"k{i}": v for i, v in enumerate(padded)}


def in_keys(column: Any, size: int) -> Any:
    return column.in_([bindparam(f"k{i}") for i in range(size)])


def by_size(build: Any) -> dict[int, Any]:
    return {size: build(size) for size in IN_SIZES}


def _bind_processor(type_: Any, dialect: Any) -> Any:
    """The type's bind processor for the dialect, as SQLAlchemy applies it; for a UTC
    datetime on SQLite a shortcut that gives the same text (checked here against the
    real processor, which it falls back to) at a third of the cost: timestamps are
    most of what ingestion binds."""
    proc = type_.dialect_impl(dialect).bind_processor(dialect)
    if proc is None or not isinstance(type_, UTCDateTime) or dialect.name != "sqlite":
        return proc

    def shortcut(value: datetime) -> Any:
        if value.tzinfo is UTC:
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return proc(value)

    samples = [
        datetime(2026, 1, 31, 9, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(999, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]
    return shortcut if all(shortcut(v) == proc(v) for v in samples) else proc


class Many:
    """A statement compiled once per dialect and run with the DB-API's executemany.

    SQLAlchemy's own executemany builds and processes a parameter dict per row,
    which costs more than SQLite spends storing the row. Here a row is a tuple in
    `names` order, and only the values whose type has a bind processor (the UTC
    datetimes) go through it: the same processors SQLAlchemy applies, so what is
    stored is identical.
    """

    def __init__(self, stmt: Any, names: tuple[str, ...], dialect: Any) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = names
        self.processors = [_bind_processor(compiled.binds[name].type, dialect) for name in names]
        # The driver takes positional tuples (SQLite's qmark) or dicts (psycopg's pyformat).
        self.named = not compiled.positional
        order = [] if self.named else [names.index(n) for n in compiled.positiontup or ()]
        self.order = None if order == list(range(len(names))) else order

    def run(self, conn: Connection, rows: list[tuple[Any, ...]], *same: Any) -> None:
        """Execute for each row; `same` are the values of the last names, the same in
        every row (so processed once)."""
        if not rows:
            return
        k = len(self.names) - len(same)
        tail = tuple(
            v if v is None or proc is None else proc(v)
            for v, proc in zip(same, self.processors[k:], strict=True)
        )
        procs = [(i, proc) for i, proc in enumerate(self.processors[:k]) if proc is not None]
        # The last value each processed column saw, and what it became: a batch's rows
        # often share one object (the entries of a chunk are all booked at `now`).
        last: list[tuple[Any, Any]] = [(None, None)] * len(procs)
        params: list[Any] = []
        for row in rows:
            if procs:
                values = list(row)
                for n, (i, proc) in enumerate(procs):
                    value = values[i]
                    if value is None:
                        continue
                    seen, done = last[n]
                    if value is not seen:
                        done = proc(value)
                        last[n] = (value, done)
                    values[i] = done
                row = tuple(values)
            params.append(row + tail if tail else row)
        if self.named:
            params = [dict(zip(self.names, p, strict=True)) for p in params]
        elif self.order is not None:
            params = [tuple([p[i] for i in self.order]) for p in params]
        conn.exec_driver_sql(self.sql, params)


_MANY: dict[tuple[str, str, Hashable], Many] = {}


def compiled_many(
    conn: Connection, key: Hashable, build: Callable[[], Any], names: tuple[str, ...]
) -> Many:
    """The statement `build()` compiled for this connection's dialect, cached by `key`."""
    dialect = conn.dialect
    cache_key = (dialect.name, dialect.paramstyle, key)
    many = _MANY.get(cache_key)
    if many is None:
        many = _MANY[cache_key] = Many(build(), names, dialect)
    return many


def copy_to_stage(
    conn: Connection, stage: str, like: str, columns: tuple[str, ...], rows: Iterable[Any]
) -> None:
    """PostgreSQL: `rows` into the temporary table `stage` (shaped like `like`, emptied
    at commit) by COPY, times as the tables store them. The table is created if missing
    at every call: a transaction rolled back takes a table it created with it."""
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
        f"(LIKE {like} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    raw: Any = conn.connection.driver_connection
    sql = f"COPY {stage} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([naive_utc(v) if isinstance(v, datetime) else v for v in row])
