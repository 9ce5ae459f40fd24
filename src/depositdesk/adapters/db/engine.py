"""Engines and migrations. Nothing here runs at import time."""

from __future__ import annotations

import threading
import time
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from psycopg import IsolationLevel
from sqlalchemy import Connection, Engine, create_engine, event, exc

# A unit of work for reading (`reading`) runs a read transaction that sees one
# snapshot from its first read to its end, so an answer's reads agree (a deposit's
# balances with its notices, eligibility's blockers with its position). On SQLite a
# deferred BEGIN (the READ_ONLY_OPTION below): a WAL reader, which takes no lock and
# never waits for the writer. On PostgreSQL `BEGIN ISOLATION LEVEL REPEATABLE READ READ
# ONLY` (a read-only transaction never fails to serialize), set on the driver's
# connection and undone before it goes back to the pool (`done_reading`): SQLAlchemy's
# own execution options for the two cost about 1,400 Python calls a transaction.
# Anything else may write: BEGIN IMMEDIATE on SQLite, READ COMMITTED on PostgreSQL.
READ_ONLY_OPTION = "depositdesk_read_only"


def reading(conn: Connection) -> Connection:
    """`conn` (not in a transaction yet) made a reader's: see above."""
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        raw.read_only = True
        raw.isolation_level = IsolationLevel.REPEATABLE_READ
        return conn
    return conn.execution_options(**{READ_ONLY_OPTION: True})


def done_reading(conn: Connection) -> None:
    """Before a reader's connection goes back to the pool (its transaction ended)."""
    if conn.dialect.name == "postgresql" and not conn.invalidated:
        raw: Any = conn.connection.driver_connection
        try:
            raw.read_only = None
            raw.isolation_level = None
        except Exception:  # a broken connection: the pool must not hand it out again
            conn.invalidate()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets one writer at a time (BEGIN IMMEDIATE), readers that never
    wait for it (WAL, deferred BEGIN)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_one_writer(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


# A pooled connection back within this many seconds is used without a ping.
PING_AFTER_IDLE_S = 1.0
_RETURNED_AT = "depositdesk_returned_at"


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, as SQLAlchemy's `pool_pre_ping`, but only for a
    connection that has sat in the pool over PING_AFTER_IDLE_S (HikariCP's
    aliveBypassWindowMs does the same). A ping is a round trip of its own: under load
    every request paid one, about a tenth of a pay-in's. A connection that failed its
    ping is replaced (DisconnectionError: the pool connects again, up to three times).
    One returned moments ago by a request that worked is as alive as a ping would
    show; if the server went away in between, the first statement fails as it would
    mid-request, and SQLAlchemy invalidates the pool's connections."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned <= PING_AFTER_IDLE_S:
            return  # new (connect just proved it), or back a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"a pooled connection failed its ping: {error}") from error
        if not alive:
            raise exc.DisconnectionError("a pooled connection failed its ping")


WRITER_WAIT_S = 30  # as long as SQLite's busy timeout (connect_args)
_HOLDS_WRITER = "depositdesk_holds_writer"


def _sqlite_one_writer(engine: Engine) -> None:
    writers = threading.Lock()  # this process's writers, in turn (see _begin)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of page cache per connection
        # Checkpoint the WAL every ~40 MB, not 4 MB: pages rewritten within that span
        # (orders move placed -> shipped -> delivered) are copied back once.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            # A reader: WAL gives it a snapshot without a lock, so it never waits for
            # the writer (an ingestion chunk) and no writer waits for it.
            conn.exec_driver_sql("BEGIN")
            return
        # A transaction that may write takes the write lock up front, so two
        # writers never interleave read-then-write (lost updates). The writers of this
        # process queue on a mutex first: SQLite's own busy handler makes a waiting
        # writer sleep and poll (up to 100 ms a time), so under a few concurrent
        # pay-ins the lock sat idle while they slept. The mutex only orders this
        # process's writers; SQLite's lock still guards against other processes, and
        # a mutex not had within the busy timeout is gone without (never a deadlock).
        held = writers.acquire(timeout=WRITER_WAIT_S)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if held:
                writers.release()
            raise
        if held:
            conn.info[_HOLDS_WRITER] = True

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writers.release()

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        if conn.invalidated:
            # Invalidated in its transaction (SQLite does so on "closed database"):
            # its info is out of reach here, and the checkin below lets go. Reading
            # it raised PendingRollbackError, which took the place of the error that
            # broke the connection.
            return
        _release(conn.info)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info)  # a connection dropped mid-transaction lets go too


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("depositdesk.adapters") / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations (`depositdesk db upgrade`)."""
    with engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
