"""DEP-6 with two worker processes on one PostgreSQL: every due ladder step of 1,000
under-funded shops is applied exactly once, and both processes take part.

The shops are made by tests/ladder_shops.py: two template shops through the real
services, one whose case opened 7 days before the other's, and their rows cloned in
bulk (200 and 800 shops). At `NOW` the older cases are 7 days past their due date
(`warning` and `listing_suspended` due: 2 steps, applied by one timer) and the newer
ones at it (`warning`: 1 step). Two real OS processes
(tests/integration/worker_process.py: `run_due` at `NOW`) start at the same moment
against the same schema; `FOR UPDATE SKIP LOCKED` shares the timers between them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from depositdesk.adapters.db.tables import notices, outbox, shops, timers
from depositdesk.bootstrap import build
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.enforcement import LADDER_TIMER
from depositdesk.domain.timers import Timer
from depositdesk.services import deposits, enforcement, policies
from depositdesk.services import timers as timers_service
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.conftest import ADMIN, INTEGRATION, START, _truncate
from tests.integration.worker_process import database_url, result_of
from tests.ladder_shops import clone_shop, ladder_seller, template_shop

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "tests.integration.worker_process"]
EARLY, LATE = START, START + timedelta(days=7)  # when each group's case opened
NOW = LATE + timedelta(days=30)  # the late group's due date; the early one's + 7 days
STEPS = {"early": ["warning", "listing_suspended"], "late": ["warning"]}
SHOPS = {"early": 200, "late": 800}


def _worker(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*WORKER, "--now", NOW.isoformat(), "--timers", "--wait"],
        cwd=ROOT,
        env={**_env(), "DEPOSITDESK_DATABASE_URL": url},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DEPOSITDESK_")}


def test_dep6_two_worker_processes_apply_each_due_step_of_1000_shops_once(
    pg_engine: Engine,
) -> None:
    _truncate(pg_engine)
    app = build(Settings(database_url=str(pg_engine.url)), clock=FixedClock(NOW), engine=pg_engine)
    run(app, policies.ensure_default_packs, ADMIN, EARLY)
    ladder_seller(app, EARLY)
    groups = {"early": EARLY, "late": LATE}
    expected: dict[str, list[str]] = {}
    for group, opened in groups.items():
        ids = [f"{group}-{i:04d}" for i in range(SHOPS[group])]
        template_shop(app, opened, ids[0])
        clone_shop(pg_engine, ids[0], ids[1:])
        expected.update(dict.fromkeys(ids, STEPS[group]))
    with pg_engine.connect() as conn:
        due = select(func.count()).where(timers.c.done_at.is_(None), timers.c.due_at <= NOW)
        assert conn.execute(due).scalar_one() == sum(SHOPS.values())

    url = database_url(pg_engine)
    workers = [_worker(url) for _ in range(2)]
    try:
        for w in workers:  # both connected and waiting
            assert w.stdout is not None and w.stdout.readline().strip() == "ready"
        for w in workers:  # go, together
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
    ran = [result_of(out)["timers"] for out, _ in outputs]

    assert sum(ran) == sum(SHOPS.values()), ran  # each due timer ran once, in all
    assert all(n > 0 for n in ran), ran  # both processes did some of the work
    with pg_engine.connect() as conn:
        assert conn.execute(due).scalar_one() == 0  # no timer left due
        ladder = list(
            conn.execute(
                select(timers.c.subject, timers.c.done_at, timers.c.cancelled)
                .where(timers.c.kind == LADDER_TIMER)
                .order_by(timers.c.due_at)
            )
        )
        steps = Counter(
            (row.shop_id, row.data)
            for row in conn.execute(
                select(notices.c.shop_id, notices.c.data).where(notices.c.kind == "enforcement")
            )
        )
        notice_ids = set(conn.execute(select(notices.c.id)).scalars())
        emails = Counter(
            key.removesuffix(":email")
            for key in conn.execute(
                select(outbox.c.dedupe_key).where(outbox.c.channel == "email")
            ).scalars()
        )
        shop_rows = {
            row.id: row
            for row in conn.execute(select(shops.c.id, shops.c.status, shops.c.enforcement_step))
        }

    # Every shop: exactly one notice per step due, none twice; on the last step due.
    by_shop: dict[str, list[str]] = {}
    for (shop_id, data), count in steps.items():
        assert count == 1, (shop_id, data)
        by_shop.setdefault(shop_id, []).append(_step(data))
    assert {s: sorted(v) for s, v in by_shop.items()} == {s: sorted(v) for s, v in expected.items()}
    for shop_id, applied in expected.items():
        assert shop_rows[shop_id].status == "restricted"
        assert shop_rows[shop_id].enforcement_step == applied[-1]
    # One email per notice (top-up and enforcement), never two.
    assert set(emails) == notice_ids and set(emails.values()) == {1}
    # Each shop: its first timer done once (not cancelled), the next step's pending.
    done = Counter(row.subject for row in ladder if row.done_at is not None)
    pending = Counter(row.subject for row in ladder if row.done_at is None)
    assert done == Counter(list(expected)) and not any(row.cancelled for row in ladder)
    assert pending == Counter(list(expected))


def _step(data: str) -> str:
    step: str = json.loads(data)["step"]
    return step


def test_dep6_a_payin_while_its_ladder_timer_is_claimed_does_not_deadlock(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _truncate(pg_engine)
    now = EARLY + timedelta(days=30)  # the `warning` step is due
    app = build(Settings(database_url=str(pg_engine.url)), clock=FixedClock(now), engine=pg_engine)
    run(app, policies.ensure_default_packs, ADMIN, EARLY)
    ladder_seller(app, EARLY)
    template_shop(app, EARLY, "shop1")
    claimed, failed = threading.Event(), []

    def slow_handler(uow: UnitOfWork, at: datetime, timer: Timer) -> None:
        claimed.set()  # the timer row is locked from here
        time.sleep(1.5)  # widens the window before the handler locks the shop
        try:
            enforcement.on_ladder_due(uow, at, timer)
        except Exception as exc:
            failed.append(exc)
            raise

    monkeypatch.setitem(timers_service.HANDLERS, LADDER_TIMER, slow_handler)
    worker = threading.Thread(target=timers_service.run_due, args=(app.uow, now))
    worker.start()
    try:
        assert claimed.wait(timeout=30)
        run(
            app,
            deposits.pay_in,
            INTEGRATION,
            now,
            "shop1",
            amount="3000.00",  # what the top-up notice asked: funded again
            currency="GBP",
            reference="BANK-2",
            idempotency_key="topup",
        )
    finally:
        worker.join(timeout=60)
    assert failed == []
    # Both went through, one after the other, whichever took the shop first: the timer
    # (the audit's snapshot locks the shop as the step starts) applies its step and the
    # pay-in then lifts it; or the pay-in lifts the case and the step finds nothing to
    # do. Either way the shop ends funded and active, and a step's notice is always
    # followed by the notice that the deposit is paid in full.
    view = read(app, deposits.deposit, None, now, "shop1")
    assert view.enforcement is None and view.shop_status.value == "active"
    kinds = [n.kind.value for n in sorted(view.notices, key=lambda n: n.id)]
    if "enforcement" in kinds:
        assert kinds.index("funded") > kinds.index("enforcement"), kinds
