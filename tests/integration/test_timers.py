"""Timers (architecture.md "Timers"): a deadline is a row; the worker runs each due
timer once, its effect and its completion in one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.timers import Timer
from depositdesk.services import deposits, policies, timers
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.builders import open_shop, us_version_2
from tests.conftest import ADMIN, INTEGRATION, START


def _notices(app: App) -> list[str]:
    view = read(app, deposits.deposit, None, app.clock.now(), "shop1")
    return [n.subject for n in view.notices]


def test_pol4_a_version_that_takes_effect_later_gives_its_notices_on_its_date(
    app: App, clock: FixedClock
) -> None:
    open_shop(app, clock.now(), ["apparel"], market="us")
    run(
        app,
        deposits.pay_in,
        INTEGRATION,
        clock.now(),
        "shop1",
        amount="500.00",
        currency="USD",
        reference="R",
        idempotency_key="k",
    )
    run(
        app,
        policies.load_version,
        ADMIN,
        clock.now(),
        document=us_version_2(app, "800.00", "2026-04-01"),
    )
    assert timers.run_due(app.uow, clock.now()) == 0
    assert _notices(app) == []
    clock.set(datetime(2026, 4, 1, 0, 0, 1, tzinfo=UTC))
    assert timers.run_due(app.uow, clock.now()) == 1
    [subject] = _notices(app)
    assert "$300.00" in subject
    assert timers.run_due(app.uow, clock.now()) == 0  # done, never twice
    assert len(_notices(app)) == 1


def test_a_failing_timer_is_postponed_and_leaves_nothing(app: App, clock: FixedClock) -> None:
    with app.uow() as uow:
        uow.timers.schedule(Timer.new("no.such.kind", "x", clock.now(), clock.now()))
        uow.commit()
    assert timers.run_due(app.uow, clock.now()) == 1
    with app.uow() as uow:
        assert uow.timers.next_due() == clock.now() + timers.RETRY_AFTER
    assert timers.run_due(app.uow, clock.now()) == 0


@pytest.mark.postgres
def test_two_workers_on_postgresql_run_each_due_timer_once(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import _truncate

    _truncate(pg_engine)
    app = build(
        Settings(database_url=str(pg_engine.url)), clock=FixedClock(START), engine=pg_engine
    )
    now = START
    with app.uow() as uow:
        for i in range(300):
            uow.timers.schedule(Timer.new("test.count", f"s{i}", now - timedelta(seconds=i), now))
        uow.commit()
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def count(uow: object, at: datetime, timer: Timer) -> None:
        with lock:
            seen[timer.id] += 1

    monkeypatch.setitem(timers.HANDLERS, "test.count", count)
    barrier = threading.Barrier(2)
    ran: list[int] = []

    def worker() -> None:
        barrier.wait()
        ran.append(timers.run_due(app.uow, now))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(ran) == 300 and all(n > 0 for n in ran), ran  # shared, not one doing all
    assert len(seen) == 300 and set(seen.values()) == {1}
