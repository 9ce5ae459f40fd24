"""Holding concurrent requests at their commit, on PostgreSQL, to race them for sure."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text

from depositdesk.adapters.db.audit_repo import CHAIN_LOCK

_WAITING_ON_A_KEY = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query LIKE 'INSERT INTO idempotency_keys%'"
)


def race_for_a_key(engine: Engine, *calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in parallel threads while a connection holds the audit chain's
    lock, so none can commit; let them go once one waits for another's uncommitted
    Idempotency-Key (that other has sent its commit: both found the key free). Each
    call's result or exception, in order. Fails if they never got that far."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        waiting = 0
        while not waiting and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = holder.execute(text(_WAITING_ON_A_KEY)).scalar_one()
        holder.rollback()  # the chain's lock goes
    for t in threads:
        t.join(timeout=60)
    assert waiting == 1, "the calls should have reached their commits with the key free"
    return results
