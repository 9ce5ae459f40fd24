"""REF-6 across a crash (services/payouts.py): a worker process killed with SIGKILL
after the sandbox bank took a payout but before the payout was recorded `sent`. A
worker restarted after the lease sends it again under the same payout key; the
sandbox bank answers with its first receipt (one payment, two `send` calls); the
payout ends sent, then paid once; the ledger has one `refund_payout` entry (SQLite and
PostgreSQL, real processes: tests/integration/worker_process.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from depositdesk.adapters.db.tables import journal_entries, sandbox_payouts, timers
from depositdesk.adapters.payouts import SandboxPayoutGateway
from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.payouts import PayoutStatus
from depositdesk.domain.refunds import RefundStatus
from depositdesk.entrypoints.worker import tick
from depositdesk.services import deposits, payouts, policies
from depositdesk.services import refunds as refund_service
from depositdesk.services.access import Principal, Role
from depositdesk.services.payouts import LEASE, SETTLE_TIMER
from depositdesk.services.shops import terminate
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.builders import open_shop
from tests.conftest import ADMIN, INTEGRATION, START
from tests.integration.worker_process import SENT, database_url, go, result_of, spawn

OWNER = Principal("tok-owner", Role.OWNER, "s1", "owner of s1")
REVIEWER = Principal("tok-reviewer", Role.REVIEWER, None, "reviewer")
RESTART = START + LEASE + timedelta(seconds=1)  # the killed worker's lease is over
SETTLED = START + timedelta(days=1, minutes=1)  # the sandbox bank answers a day later


def _approved_refund(app: App) -> str:
    """shop1 paid 1,000 GBP, contract ended, a full refund applied for and approved at
    START: one pending payout. Its refund id."""
    open_shop(app, START, ["apparel"])
    run(
        app,
        deposits.pay_in,
        INTEGRATION,
        START,
        "shop1",
        amount="1000.00",
        currency="GBP",
        reference="BANK-1",
        idempotency_key="payin-1",
    )
    run(app, terminate, ADMIN, START, "shop1", reason="contract ended")
    applied = run(
        app,
        refund_service.apply,
        OWNER,
        START,
        "shop1",
        kind="full",
        category=None,
        reason="shop closed",
        idempotency_key="apply-1",
    )
    run(app, refund_service.decide, REVIEWER, START, applied.refund.id, decision="approve")
    return applied.refund.id


def test_ref6_payout_survives_sigkill_between_sent_and_recorded(
    engine: Engine, tmp_path: Path, spawned: list[subprocess.Popen[str]]
) -> None:
    # The workers start up (about 4 s of imports) while the payout is made; each
    # waits to be told: the first will be killed after sending, the second is the
    # restarted worker, a whole worker round.
    url = database_url(engine)
    env = {"DEPOSITDESK_PAYOUT_GATEWAY": "sandbox", "DEPOSITDESK_DATA_DIR": str(tmp_path)}
    first = spawn(spawned, url, START, "--payouts", "--hold-after-send", "--wait", env=env)
    second = spawn(spawned, url, RESTART, "--round", "--wait", env=env)
    settings = Settings(
        database_url=str(engine.url), data_dir=tmp_path / "data", payout_gateway="sandbox"
    )
    clock = FixedClock(START)
    app = build(settings, clock=clock, engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, START)
    refund_id = _approved_refund(app)
    bank = app.gateways.payouts
    assert isinstance(bank, SandboxPayoutGateway)
    payout = read(app, payouts.get_payout, ADMIN, START, refund_id)
    assert payout is not None and payout.status is PayoutStatus.PENDING
    key = payout.payout_key

    # 1. The worker claims the payout and the sandbox bank takes it; the worker is
    #    killed before it records anything: the payout is `sending`, leased.
    go(first)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == SENT + key
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert (bank.calls(key), bank.attempts(key)) == (1, 1)
    with app.uow() as uow:
        leased = uow.payouts.get(payout.id)
        refund = uow.refunds.get(refund_id)
    assert leased is not None and refund is not None
    assert (leased.status, leased.attempts, leased.sent_at) == (PayoutStatus.SENDING, 1, START)
    assert leased.bank_reference is None and refund.status is RefundStatus.APPROVED

    # 2. Within the lease no worker takes it again.
    within = START + LEASE - timedelta(seconds=1)
    assert payouts.send_due(app.uow, app.gateways, within).sent == 0
    assert bank.attempts(key) == 1

    # 3. The restarted worker sends it again under the same key: the bank answers
    #    with its first receipt, pays nothing more, and the payout is recorded sent.
    go(second)
    out, err = second.communicate(timeout=90)
    assert second.returncode == 0, err
    assert result_of(out)["payouts"] == 1
    assert (bank.calls(key), bank.attempts(key)) == (1, 2)
    [payment] = bank.payments("shop1")
    with app.uow() as uow:
        sent = uow.payouts.get(payout.id)
        refund = uow.refunds.get(refund_id)
    assert sent is not None and refund is not None
    assert (sent.status, sent.attempts, sent.payout_key) == (PayoutStatus.SENT, 2, key)
    assert sent.bank_reference == payment.receipt.gateway_reference
    assert refund.status is RefundStatus.PAYING

    # 4. The sandbox bank answers a day after it took the payout (a worker round in
    #    this process runs its settlement timer): paid, once.
    clock.set(SETTLED)
    assert tick(app).timers == 1  # the settlement timer; nothing is sent
    assert payouts.send_due(app.uow, app.gateways, SETTLED + LEASE * 2).sent == 0
    assert (bank.calls(key), bank.attempts(key)) == (1, 2)

    view = read(app, refund_service.get_refund, ADMIN, SETTLED, refund_id)
    assert view.refund.status is RefundStatus.PAID
    assert view.payout is not None and view.payout.status is PayoutStatus.PAID
    assert view.payout.bank_reference == payment.receipt.gateway_reference
    assert [s.status.value for s in view.steps] == ["submitted", "approved", "paying", "paid"]
    with engine.connect() as conn:
        kinds = Counter(conn.execute(select(journal_entries.c.kind)).scalars())
        settle_timers = conn.execute(
            select(func.count()).where(timers.c.kind == SETTLE_TIMER)
        ).scalar_one()
        taken = conn.execute(select(func.count()).select_from(sandbox_payouts)).scalar_one()
    assert kinds == Counter({"payin": 1, "refund_reserve": 1, "refund_payout": 1}), kinds
    assert (settle_timers, taken) == (1, 1)
    ledger = read(app, deposits.ledger, ADMIN, SETTLED, "shop1", cursor=None, limit=50)
    assert {a.value: m.minor for a, m in ledger.balances.items()} == {
        "cash": 0,
        "deposit_held": 0,
        "refund_reserved": 0,
    }
