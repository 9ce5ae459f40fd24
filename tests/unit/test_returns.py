"""DEP-9: when a deduction may be returned, and how much of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from depositdesk.domain.funding import Cause, CauseKind, topup_demand
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.returns import (
    NotRectified,
    ReturnRefused,
    Violation,
    check_amount,
    check_returnable,
    returnable_until,
)
from depositdesk.domain.shop import Language, Shop, ShopStatus
from depositdesk.services.notice_texts import render

RECORDED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _violation(returned: int = 0, rectified: datetime | None = RECORDED) -> Violation:
    return Violation(
        id="V1",
        type="short_shipment",
        recorded_at=RECORDED,
        consumer_loss=Money("GBP", 30_000),
        rectified_at=rectified,
        returned=Money("GBP", returned),
        returnable_until=returnable_until(RECORDED, 30),
    )


def test_dep9_the_period_counts_calendar_days_from_the_violation() -> None:
    assert returnable_until(RECORDED, 30) == datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert returnable_until(RECORDED, 0) == RECORDED


def test_dep9_returnable_up_to_and_including_the_last_moment() -> None:
    until = returnable_until(RECORDED, 30)
    check_returnable(_violation(), until)
    with pytest.raises(ReturnRefused) as refused:
        check_returnable(_violation(), until + timedelta(microseconds=1))
    assert refused.value.code == "rectification_period_over"
    assert refused.value.problems[0].field == "violation_id"
    assert "2026-03-31T10:00:00Z" in refused.value.detail


def test_dep9_not_rectified_is_a_conflict_before_the_period_is_looked_at() -> None:
    with pytest.raises(NotRectified) as refused:
        check_returnable(_violation(rectified=None), RECORDED + timedelta(days=99))
    assert refused.value.code == "not_rectified"
    assert refused.value.status == 409


def test_dep9_returns_never_add_up_to_more_than_the_deduction() -> None:
    check_amount(_violation(returned=10_000), Money("GBP", 20_000))
    assert _violation(returned=10_000).remaining == Money("GBP", 20_000)
    with pytest.raises(ReturnRefused) as refused:
        check_amount(_violation(returned=10_000), Money("GBP", 20_001))
    assert refused.value.code == "return_exceeds_deduction"
    assert "at most 200.00 GBP is left" in refused.value.detail
    with pytest.raises(ReturnRefused):
        check_amount(_violation(), Money("CNY", 1))


@pytest.mark.parametrize(
    ("language", "words"), [(Language.EN, "rectified"), (Language.ZH, "已整改")]
)
def test_dep9_a_return_is_named_as_the_cause_in_the_sellers_language(
    language: Language, words: str
) -> None:
    """The causes macro has a branch for a return (a notice says why it was written)."""
    shop = Shop("shop1", "s1", "Bluefin Home", "gb", ShopStatus.ACTIVE, RECORDED)
    gbp = Money.zero("GBP")
    position = DepositPosition(Money("GBP", 100_000), Money("GBP", 10_000), gbp, gbp)
    cause = Cause(CauseKind.VIOLATION_RETURNED, after=Money("GBP", 12_345), ref="v-17")
    demand = topup_demand(ShopStatus.ACTIVE, position, None, RECORDED, 30, cause)
    _, body = render(NoticeKind.TOPUP, language, shop=shop, demand=demand)
    assert "v-17" in body and words in body and "123.45" in body
