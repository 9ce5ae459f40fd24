"""The pool pings a PostgreSQL connection only after it sat idle (adapters/db/engine.py):
one the server dropped while it waited is replaced before a request uses it, and one
back from a request a moment ago goes straight to work (no extra round trip). And a
unit of work whose connection broke does not connect again as it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text

from depositdesk.adapters.db import engine as engine_module
from depositdesk.adapters.db.engine import make_engine
from depositdesk.adapters.db.uow import SqlUnitOfWork
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def small_pool(pg_engine: Engine) -> Iterator[Engine]:
    """A pool of one connection, so the next checkout gets the same one back."""
    engine = make_engine(str(pg_engine.url), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_dropped_while_idle_is_replaced(
    small_pool: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(small_pool)
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.0)  # idle "long enough"

    second = _backend_pid(small_pool)  # no error: the ping found it dead

    assert second != first


def test_a_connection_back_a_moment_ago_is_not_pinged(small_pool: Engine) -> None:
    pings: list[object] = []
    real_ping = small_pool.dialect.do_ping
    small_pool.dialect.do_ping = lambda c: pings.append(c) or real_ping(c)  # type: ignore[method-assign]
    try:
        _backend_pid(small_pool)
        _backend_pid(small_pool)
        assert pings == []
    finally:
        del small_pool.dialect.do_ping


def test_a_connection_idle_past_the_window_is_pinged(
    small_pool: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    real_ping = small_pool.dialect.do_ping
    small_pool.dialect.do_ping = lambda c: pings.append(c) or real_ping(c)  # type: ignore[method-assign]
    try:
        _backend_pid(small_pool)
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.0)
        _backend_pid(small_pool)
        assert len(pings) == 1
    finally:
        del small_pool.dialect.do_ping


@pytest.mark.parametrize("read_only", [True, False])
def test_leaving_a_unit_of_work_whose_connection_broke_opens_no_new_one(
    small_pool: Engine, read_only: bool
) -> None:
    """A unit of work whose connection was invalidated (the server went away) ends
    without connecting again just to tidy the old one up."""
    connects: list[object] = []

    def _connected(*_: object) -> None:
        connects.append(1)

    with SqlUnitOfWork(small_pool, read_only=read_only) as uow:
        assert uow.conn is not None
        uow.conn.exec_driver_sql("SELECT 1")
        uow.conn.invalidate()
        event.listen(small_pool, "connect", _connected)
    assert connects == []
