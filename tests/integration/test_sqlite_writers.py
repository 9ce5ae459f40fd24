"""SQLite's writers take turns (adapters/db/engine.py): the writers of a process queue
on a mutex before `BEGIN IMMEDIATE`. A writer whose connection is invalidated in its
transaction (SQLite does so on "closed database") ends with the error that broke it
(it ended with a PendingRollbackError from the mutex's rollback hook) and lets the
mutex go, or every writer after it would wait `WRITER_WAIT_S` (30 s) for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from depositdesk.adapters.db import engine as engine_module
from depositdesk.adapters.db.engine import _HOLDS_WRITER, make_engine
from depositdesk.adapters.db.uow import SqlUnitOfWork


def test_a_writer_whose_connection_broke_lets_the_next_writer_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A short wait, so that a mutex left held shows as the next writer not holding it
    # (it goes on without it after the wait), not as a test taking 30 s.
    monkeypatch.setattr(engine_module, "WRITER_WAIT_S", 0.2)
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    try:
        with pytest.raises(RuntimeError, match="broke"), SqlUnitOfWork(engine) as uow:
            assert uow.conn is not None and uow.conn.info.get(_HOLDS_WRITER)
            uow.conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            uow.conn.invalidate()
            raise RuntimeError("the connection broke")
        with SqlUnitOfWork(engine) as uow:
            assert uow.conn is not None
            assert uow.conn.info.get(_HOLDS_WRITER), "the mutex was left held"
            # and the broken writer's work never happened
            assert (
                uow.conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE name = 't'"
                ).scalar_one()
                == 0
            )
        with SqlUnitOfWork(engine, read_only=True) as uow:  # readers never take it
            assert uow.conn is not None and not uow.conn.info.get(_HOLDS_WRITER)
    finally:
        engine.dispose()
