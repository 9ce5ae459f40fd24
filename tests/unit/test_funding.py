"""DEP-4 and DEP-5 as pure rules: first funding, and when a top-up notice is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from depositdesk.domain.enforcement import Case
from depositdesk.domain.funding import (
    Cause,
    CauseKind,
    FundingStatus,
    first_funding,
    funding_status,
    owed,
    topup_demand,
)
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.shop import ShopStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAYIN = Cause(CauseKind.PAY_IN)


def gbp(major: int) -> Money:
    return Money("GBP", major * 100)


def pos(required: int, held: int, receivable: int = 0) -> DepositPosition:
    return DepositPosition(gbp(required), gbp(held), gbp(receivable), gbp(0))


def test_dep4_pending_shop_is_activated_only_when_paid_in_full() -> None:
    assert not first_funding(ShopStatus.PENDING_DEPOSIT, pos(1000, 999))
    assert first_funding(ShopStatus.PENDING_DEPOSIT, pos(1000, 1000))
    assert not first_funding(ShopStatus.ACTIVE, pos(1000, 1000))  # only the first time
    assert not first_funding(ShopStatus.PENDING_DEPOSIT, pos(0, 0))  # nothing required yet


def test_dep8_a_receivable_keeps_the_deposit_underfunded_and_is_owed_on_top() -> None:
    position = pos(1000, 1000, receivable=300)
    assert funding_status(position) is FundingStatus.UNDERFUNDED
    assert owed(position) == gbp(300)
    assert owed(pos(1000, 400, receivable=300)) == gbp(900)


def test_dep5_notice_with_due_date_after_the_grace_period() -> None:
    cause = Cause(CauseKind.CATEGORIES_CHANGED, gbp(1000), gbp(4000))
    demand = topup_demand(ShopStatus.ACTIVE, pos(4000, 1000), None, NOW, 30, cause)
    assert demand is not None
    assert demand.owed == gbp(3000)
    assert demand.due_at == NOW + timedelta(days=30)
    assert demand.data() == {
        "required_minor": 400000,
        "held_minor": 100000,
        "receivable_minor": 0,
        "owed_minor": 300000,
        "currency": "GBP",
        "cause": "categories_changed",
    }


def test_dep5_no_second_notice_for_the_same_or_a_smaller_shortfall() -> None:
    due = NOW + timedelta(days=10)
    case = Case(opened_at=NOW - timedelta(days=20), due_at=due, noticed_owed_minor=300000)
    assert topup_demand(ShopStatus.ACTIVE, pos(4000, 1000), case, NOW, 30, PAYIN) is None
    assert topup_demand(ShopStatus.ACTIVE, pos(4000, 2000), case, NOW, 30, PAYIN) is None
    grown = topup_demand(ShopStatus.ACTIVE, pos(4000, 500), case, NOW, 30, PAYIN)
    assert grown is not None and grown.owed == gbp(3500)
    # DEP-6: a rise within an open case keeps the case's due date (the ladder's anchor).
    assert grown.due_at == due


def test_dep5_a_new_case_after_funding_gets_a_notice_even_for_a_smaller_amount() -> None:
    """Funded in between, the case closed: the next shortfall is a new case."""
    demand = topup_demand(ShopStatus.ACTIVE, pos(4000, 3900), None, NOW, 30, PAYIN)
    assert demand is not None and demand.owed == gbp(100)
    assert demand.due_at == NOW + timedelta(days=30)


def test_dep4_a_shop_waiting_for_its_first_deposit_gets_no_topup_notice() -> None:
    assert topup_demand(ShopStatus.PENDING_DEPOSIT, pos(4000, 0), None, NOW, 30, PAYIN) is None
    assert topup_demand(ShopStatus.ACTIVE, pos(4000, 4000), None, NOW, 30, PAYIN) is None
