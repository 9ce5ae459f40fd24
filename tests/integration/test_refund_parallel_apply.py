"""REF-4 with 16 real parallel connections: an application is made once.

Seller s1's shop1 (gb, apparel: 1,000 GBP) is paid in full and its contract ended, so
a full refund of 1,000 is eligible at once. Then 16 threads apply at the same moment
(a barrier), each on its own connection:

- with one Idempotency-Key, through the HTTP app: every caller gets 201 and the same
  refund (the shop row lock queues them; all but the first replay the stored answer);
- with 16 different keys, through `services/refunds.apply`: one application, the 15
  others refused `not_eligible` with the `pending_refund` blocker naming it.

Either way one refund row, one `refund_reserve` entry, held 0 and 1,000 reserved, one
review timer, one `submitted` step. SQLite (one writer, BEGIN IMMEDIATE) and
PostgreSQL (SELECT … FOR UPDATE on the shop).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from depositdesk.adapters.db.tables import idempotency_keys, journal_entries, refunds, timers
from depositdesk.bootstrap import App
from depositdesk.domain.eligibility import Blocker, BlockerCode
from depositdesk.domain.errors import NotEligible
from depositdesk.domain.ledger import Account
from depositdesk.domain.money import Money
from depositdesk.entrypoints.api.app import create_app
from depositdesk.services import deposits
from depositdesk.services import refunds as refund_service
from depositdesk.services.access import Principal, Role
from depositdesk.services.refunds import REVIEW_TIMER, RefundView
from depositdesk.services.shops import terminate
from depositdesk.services.usecase import read, run
from tests.builders import open_shop
from tests.conftest import ADMIN, INTEGRATION, START, TokenFactory
from tests.integration.test_concurrency_postgres import _parallel

CALLERS = 16
OWNER = Principal("tok-owner", Role.OWNER, "s1", "owner of s1")
GBP_1000 = Money("GBP", 100_000)


@pytest.fixture
def closing(app: App) -> App:
    """shop1 paid in full (1,000 GBP for apparel), its contract ended: eligible now."""
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
    return app


def _apply(app: App, key: str) -> RefundView:
    return run(
        app,
        refund_service.apply,
        OWNER,
        START,
        "shop1",
        kind="full",
        category=None,
        reason="shop closed",
        idempotency_key=key,
    )


def _one_application(app: App) -> str:
    """Exactly one refund, reserved once, with its timer and first step; its id."""
    with app.engine.connect() as conn:
        refund_ids = conn.execute(select(refunds.c.id)).scalars().all()
        kinds = Counter(conn.execute(select(journal_entries.c.kind)).scalars())
        review_timers = conn.execute(
            select(func.count()).where(timers.c.kind == REVIEW_TIMER)
        ).scalar_one()
        keys = conn.execute(
            select(func.count()).where(idempotency_keys.c.scope == "seller:s1:refunds")
        ).scalar_one()
    assert len(refund_ids) == 1, refund_ids
    assert kinds == Counter({"payin": 1, "refund_reserve": 1}), kinds
    assert (review_timers, keys) == (1, 1)
    [refund_id] = refund_ids
    view = read(app, refund_service.get_refund, ADMIN, START, refund_id)
    assert [s.status.value for s in view.steps] == ["submitted"]
    deposit = read(app, deposits.deposit, None, START, "shop1")
    assert deposit.position.held == Money("GBP", 0)
    ledger = read(app, deposits.ledger, ADMIN, START, "shop1", cursor=None, limit=50)
    # Credit-normal accounts carry a negative sum: 1,000 promised back, nothing held.
    assert ledger.balances[Account.REFUND_RESERVED] == -GBP_1000
    assert ledger.balances[Account.DEPOSIT_HELD].minor == 0
    assert ledger.balances[Account.CASH] == GBP_1000
    return refund_id


def test_ref4_the_same_key_16_times_at_once_over_http_makes_one_application(
    closing: App, auth: TokenFactory
) -> None:
    owner = auth("owner", seller="s1", **{"Idempotency-Key": "apply-once"})
    body = {"kind": "full", "reason": "shop closed"}
    with TestClient(create_app(closing)) as client:
        answers = _parallel(
            CALLERS, lambda _: client.post("/v1/shops/shop1/refunds", headers=owner, json=body)
        )
    failures = [a for a in answers if isinstance(a, Exception)]
    assert failures == []
    statuses = Counter(a.status_code for a in answers)
    assert statuses == Counter({201: CALLERS}), [a.text for a in answers if a.status_code != 201]
    refund_id = _one_application(closing)
    assert {a.json()["id"] for a in answers} == {refund_id}
    # Every caller got the same answer: the replays show the refund the first one made.
    assert len({a.text for a in answers}) == 1


def test_ref4_16_different_keys_at_once_make_one_application_the_rest_pending_refund(
    closing: App,
) -> None:
    results: list[Any] = _parallel(CALLERS, lambda i: _apply(closing, f"apply-{i:02d}"))
    made = [r for r in results if isinstance(r, RefundView)]
    refused = [r for r in results if isinstance(r, NotEligible)]
    others = [r for r in results if not isinstance(r, RefundView | NotEligible)]
    assert others == []
    assert (len(made), len(refused)) == (1, CALLERS - 1)
    refund_id = _one_application(closing)
    assert made[0].refund.id == refund_id and made[0].refund.amount == GBP_1000
    for problem in refused:
        blockers = [b for b in problem.blockers if isinstance(b, Blocker)]
        pending = [b for b in blockers if b.code is BlockerCode.PENDING_REFUND]
        assert [b.records for b in pending] == [(refund_id,)], problem.blockers
