"""DEP-5: every notice kind is written in every language sellers can choose."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import UndefinedError

from depositdesk.domain.funding import Cause, CauseKind, topup_demand
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.shop import Language, Shop, ShopStatus
from depositdesk.services.notice_texts import render

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOP = Shop("shop1", "s1", "Bluefin Home", "cn-crossborder", ShopStatus.ACTIVE, NOW)


CAUSES = [
    Cause(CauseKind.CATEGORIES_CHANGED, Money("CNY", 500_000), Money("CNY", 2_000_000)),
    Cause(CauseKind.POLICY_CHANGED, Money("CNY", 500_000), Money("CNY", 2_000_000), "cn v2"),
    Cause(CauseKind.VIOLATION_DEDUCTED, after=Money("CNY", 30_000), ref="v-17"),
    Cause(CauseKind.PAY_IN),
]


def _demand(receivable: int = 0, cause: Cause = CAUSES[0]) -> object:
    cny = Money.zero("CNY")
    position = DepositPosition(
        Money("CNY", 2_000_000), Money("CNY", 500_000), Money("CNY", receivable), cny
    )
    return topup_demand(ShopStatus.ACTIVE, position, None, NOW, 30, cause)


@pytest.mark.parametrize("cause", CAUSES, ids=[c.kind.value for c in CAUSES])
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_dep5_every_kind_renders_in_every_language(
    kind: NoticeKind, language: Language, cause: Cause
) -> None:
    subject, body = render(kind, language, shop=SHOP, demand=_demand(cause=cause))
    assert "15000.00 CNY" in subject and "2026-04-01" in subject
    assert "\n" not in subject
    assert "Bluefin Home" in body and "20000.00 CNY" in body


def test_dep5_chinese_topup_notice_is_written_in_chinese_cause_included() -> None:
    subject, body = render(NoticeKind.TOPUP, Language.ZH, shop=SHOP, demand=_demand(30_000))
    assert subject.startswith("请为店铺")
    assert "补缴" in body and "另欠平台 300.00 CNY" in body
    assert "经营类目变更：应缴保证金由 5000.00 CNY 调整为 20000.00 CNY" in body
    assert not any(word in body for word in ("categories", "required", "held", "violation"))


def test_dep5_english_notice_says_why_in_english() -> None:
    _, body = render(NoticeKind.TOPUP, Language.EN, shop=SHOP, demand=_demand(cause=CAUSES[2]))
    assert "(violation v-17 deducted 300.00 CNY)" in body


def test_a_template_field_that_is_missing_fails_loudly() -> None:
    with pytest.raises(UndefinedError):
        render(NoticeKind.TOPUP, Language.EN, shop=SHOP)
