"""DEP-5..8: every notice kind is written in every language sellers can choose, with
money and dates the way the reader's locale writes them (babel)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from jinja2 import UndefinedError

from depositdesk.domain.eligibility import RefundKind
from depositdesk.domain.enforcement import Case
from depositdesk.domain.funding import Cause, CauseKind, topup_demand
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.payouts import Fx, Payout, PayoutStatus
from depositdesk.domain.policy import PolicyRef
from depositdesk.domain.refunds import Destination, Refund, RefundStatus, RejectionCode
from depositdesk.domain.shop import Language, Shop, ShopStatus
from depositdesk.domain.unlinks import Unlink, UnlinkStatus
from depositdesk.services.difference_offers import DifferenceOffer
from depositdesk.services.notice_texts import format_day, format_money, render, render_html

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOP = Shop("shop1", "s1", "Bluefin Home", "cn-crossborder", ShopStatus.ACTIVE, NOW)
CNY = Money.zero("CNY")


def cny(major: int) -> Money:
    return Money("CNY", major * 100)


CAUSES = [
    Cause(CauseKind.CATEGORIES_CHANGED, cny(5000), cny(20000)),
    Cause(CauseKind.POLICY_CHANGED, cny(5000), cny(20000), "cn v2"),
    Cause(CauseKind.VIOLATION_DEDUCTED, after=cny(300), ref="v-17"),
    Cause(CauseKind.PAY_IN),
    Cause(CauseKind.OFFSET, after=cny(300)),
]


def _demand(receivable: int = 0, cause: Cause = CAUSES[0]) -> object:
    position = DepositPosition(cny(20000), cny(5000), cny(receivable), CNY)
    return topup_demand(ShopStatus.ACTIVE, position, None, NOW, 30, cause)


CASE = Case(NOW, NOW + timedelta(days=30), 1_500_000, "delisted", NOW + timedelta(days=40))
POSITION = DepositPosition(cny(20000), cny(20000), CNY, CNY)
REFUND = Refund(
    "ref_1",
    "shop1",
    RefundKind.FULL,
    None,
    cny(5000),
    "closing",
    Destination("original", "CNY"),
    (),
    RefundStatus.SUBMITTED,
    NOW,
    "owner:t",
    NOW + timedelta(days=3),
    PolicyRef("cn-crossborder", 1),
    reason_code=RejectionCode.PROOF_INVALID,
    message="Upload a clearer scan.",
    payout_due_at=NOW + timedelta(days=30),
)
# A category stopped (REF-2) and a policy version that lowered the requirement (POL-4).
STOPPED = DifferenceOffer(
    cny(15000), cny(20000), cny(20000), cny(5000), "electronics", "Electronics", None
)
LOWERED = DifferenceOffer(
    cny(3000), cny(20000), cny(20000), cny(17000), None, None, PolicyRef("cn-crossborder", 2)
)
# UNL-7: an unlink request scheduled for a date, held first for a signal (UNL-1).
UNLINK = Unlink(
    "unl_1",
    "shop-1",
    "seller-1",
    UnlinkStatus.SCHEDULED,
    date(2026, 5, 1),
    NOW + timedelta(days=30),
    NOW + timedelta(days=27),
    "returns@bluefin.example",
    NOW,
    "owner:t",
    "owner",
    None,
    held_reasons=("payout_account_changed: refund ref_1 to another account",),
    review_message="Checked by phone.",
)
# The context each kind's templates are rendered with (as the services pass it).
CONTEXTS: dict[NoticeKind, dict[str, object]] = {
    NoticeKind.TOPUP: {"demand": _demand()},
    NoticeKind.DEDUCTION: {
        "loss": cny(800),
        "covered": cny(500),
        "uncovered": cny(300),
        "violation_id": "v-17",
        "violation_type": "empty_parcel",
        "held": CNY,
        "closure_flagged": True,
    },
    NoticeKind.DEDUCTIONS: {
        "deductions": [
            SimpleNamespace(violation_id=f"v-{i}", violation_type="empty_parcel", loss=cny(400))
            for i in (17, 18)
        ],
        "more": 3,
        "count": 5,
        "loss": cny(2000),
        "covered": cny(1700),
        "uncovered": cny(300),
        "held": CNY,
        "closure_flagged": ["v-18"],
    },
    NoticeKind.ENFORCEMENT: {
        "step": "delisted",
        "restrictions": ("warning", "listing_suspended", "delisted"),
        "owed": cny(15000),
        "case": CASE,
    },
    NoticeKind.OFFSET: {
        "amount": cny(300),
        "event_id": "p-1",
        "held": cny(20000),
        "owed_after": CNY,
    },
    NoticeKind.FUNDED: {"pos": POSITION, "lifted": ("warning", "listing_suspended")},
    NoticeKind.REFUND: {
        "refund": REFUND,
        "event": "submitted",
        "sla_days": 3,
        "arrival": (3, 5),
        "payout": None,
    },
    NoticeKind.RETURNED: {
        "amount": cny(250),
        "violation_id": "v-17",
        "total": cny(400),
        "held": cny(19000),
    },
    NoticeKind.DIFFERENCE_AVAILABLE: {"offer": STOPPED, "sla_days": 3},
    NoticeKind.UNLINK: {"unlink": UNLINK, "event": "scheduled", "held": cny(20000)},
}
# A figure each kind must state, per language (babel: grouping and currency sign).
FIGURES = {
    NoticeKind.TOPUP: {Language.EN: "CN¥15,000.00", Language.ZH: "¥15,000.00"},
    NoticeKind.DEDUCTION: {Language.EN: "CN¥800.00", Language.ZH: "¥800.00"},
    NoticeKind.DEDUCTIONS: {Language.EN: "CN¥2,000.00", Language.ZH: "¥2,000.00"},
    NoticeKind.ENFORCEMENT: {Language.EN: "CN¥15,000.00", Language.ZH: "¥15,000.00"},
    NoticeKind.OFFSET: {Language.EN: "CN¥300.00", Language.ZH: "¥300.00"},
    NoticeKind.FUNDED: {Language.EN: "CN¥20,000.00", Language.ZH: "¥20,000.00"},
    NoticeKind.RETURNED: {Language.EN: "CN¥250.00", Language.ZH: "¥250.00"},
    NoticeKind.REFUND: {Language.EN: "CN¥5,000.00", Language.ZH: "¥5,000.00"},
    NoticeKind.DIFFERENCE_AVAILABLE: {Language.EN: "CN¥15,000.00", Language.ZH: "¥15,000.00"},
    NoticeKind.UNLINK: {Language.EN: "CN¥20,000.00", Language.ZH: "¥20,000.00"},
}


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("event", ["held", "refused", "cleared", "scheduled", "unlinked"])
def test_unl7_every_unlink_event_renders(event: str, language: Language) -> None:
    context = {**CONTEXTS[NoticeKind.UNLINK], "event": event}
    subject, body = render(NoticeKind.UNLINK, language, "Asia/Shanghai", shop=SHOP, **context)
    assert subject and "Bluefin Home" in body
    if event == "held":
        assert "payout_account_changed" in body
    if event in ("scheduled", "unlinked"):
        assert "returns@bluefin.example" in body


@pytest.mark.parametrize("language", list(Language))
def test_dep8_a_run_of_deductions_is_one_notice_listing_each(language: Language) -> None:
    """DEP-8: several violations of a shop in one batch are told in one notice that
    names each (up to its list's length), the total and what is owed on top."""
    context = CONTEXTS[NoticeKind.DEDUCTIONS]
    subject, body = render(NoticeKind.DEDUCTIONS, language, shop=SHOP, **context)
    assert "5" in subject and format_money(cny(2000), language) in subject
    for line in (
        ("empty_parcel（v-17）：¥400.00", "empty_parcel（v-18）：¥400.00")
        if (language is Language.ZH)
        else ("- empty_parcel (v-17): CN¥400.00", "- empty_parcel (v-18): CN¥400.00")
    ):
        assert line in body
    assert ("另有 3 项" if language is Language.ZH else "and 3 more") in body
    assert format_money(cny(300), language) in body  # owed on top of the deposit
    assert "v-18" in body.split("\n\n")[-1]  # flagged for closure
    html = render_html(subject, body, language)
    assert "<br>" in html  # one line per deduction in the email too


def test_every_kind_has_a_context_here() -> None:
    assert set(CONTEXTS) == set(NoticeKind)


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_dep5_every_kind_renders_in_every_language(kind: NoticeKind, language: Language) -> None:
    subject, body = render(kind, language, "Asia/Shanghai", shop=SHOP, **CONTEXTS[kind])
    assert "\n" not in subject and subject
    assert "Bluefin Home" in body
    assert FIGURES[kind][language] in subject + body


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("event", ["submitted", "approved", "rejected", "withdrawn", "review_late"])
def test_ref8_every_refund_step_is_told_in_every_language(event: str, language: Language) -> None:
    context = {**CONTEXTS[NoticeKind.REFUND], "event": event}
    subject, body = render(NoticeKind.REFUND, language, "Asia/Shanghai", shop=SHOP, **context)
    assert "ref_1" in subject and "_" not in subject.replace("ref_1", "")  # words, not codes
    assert FIGURES[NoticeKind.REFUND][language] in body
    if event == "rejected":
        assert "Upload a clearer scan." in body


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("offer", [STOPPED, LOWERED], ids=["category", "policy"])
def test_ref2_a_difference_offer_says_why_how_much_and_how_to_apply(
    offer: DifferenceOffer, language: Language
) -> None:
    subject, body = render(
        NoticeKind.DIFFERENCE_AVAILABLE, language, shop=SHOP, offer=offer, sla_days=3
    )
    amount = format_money(offer.amount, language)
    assert amount in subject and amount in body
    assert format_money(offer.before, language) in body
    assert format_money(offer.required, language) in body
    assert '"difference"' in body and "/v1/shops/shop1/refunds" in body  # how to apply
    if offer.category:
        assert offer.key == "category:electronics"
        assert '"electronics"' in body and "Electronics" in body
    else:
        assert offer.key == "policy:cn-crossborder:2"
        assert "category" not in body and "cn-crossborder" in body
        assert ("第 2 版" if language is Language.ZH else "Version 2") in body


@pytest.mark.parametrize("cause", CAUSES, ids=[c.kind.value for c in CAUSES])
@pytest.mark.parametrize("language", list(Language))
def test_dep5_every_cause_is_said_in_every_language(cause: Cause, language: Language) -> None:
    _, body = render(NoticeKind.TOPUP, language, shop=SHOP, demand=_demand(cause=cause))
    assert "（）" not in body and "()" not in body


def test_dep5_chinese_topup_notice_is_written_in_chinese_cause_included() -> None:
    subject, body = render(NoticeKind.TOPUP, Language.ZH, shop=SHOP, demand=_demand(300))
    assert subject.startswith("请为店铺")
    assert "2026年4月1日" in subject
    assert "补缴" in body and "另欠平台 ¥300.00" in body
    assert "经营类目变更：应缴保证金由 ¥5,000.00 调整为 ¥20,000.00" in body
    assert not any(word in body for word in ("categories", "required", "held", "violation"))


def test_dep5_english_notice_says_why_in_english() -> None:
    _, body = render(NoticeKind.TOPUP, Language.EN, shop=SHOP, demand=_demand(cause=CAUSES[2]))
    assert "(violation v-17 deducted CN¥300.00)" in body
    assert "April 1, 2026" in body


def test_dates_are_the_markets_calendar_date() -> None:
    """23:30 UTC on 31 March is already 1 April in Shanghai, still 31 March in London."""
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    assert format_day(late, Language.EN, "Asia/Shanghai") == "April 1, 2026"
    assert format_day(late, Language.EN, "Europe/London") == "April 1, 2026"  # BST
    assert format_day(late, Language.EN, "America/New_York") == "March 31, 2026"
    assert format_day(late, Language.ZH, "America/New_York") == "2026年3月31日"


def test_money_is_exact_and_grouped_per_locale() -> None:
    assert format_money(Money("GBP", 400_000), Language.EN) == "£4,000.00"
    assert format_money(Money("USD", 1), Language.EN) == "$0.01"
    assert format_money(Money("JPY", 1234), Language.EN) == "¥1,234"
    assert format_money(Money("CNY", 123_456_789_012_345), Language.ZH) == "¥1,234,567,890,123.45"


def test_the_html_email_escapes_the_text() -> None:
    html = render_html("Top up <now>", "a & b\n\nsecond <p>", Language.ZH)
    assert '<html lang="zh-Hans">' in html
    assert "Top up &lt;now&gt;" in html and "a &amp; b" in html and "second &lt;p&gt;" in html
    assert html.count("<p style") == 3  # two paragraphs and the footer


def test_a_template_field_that_is_missing_fails_loudly() -> None:
    with pytest.raises(UndefinedError):
        render(NoticeKind.TOPUP, Language.EN, shop=SHOP)


# A CNY deposit paid to a USD account: converted on the payout day, with the fee the
# receiving bank takes (the cn-crossborder pack's USD bank fee).
CONVERTED = Payout(
    "po_1",
    "ref_1",
    "dd-ref_1",
    "shop1",
    cny(5000),
    "USD",
    PayoutStatus.SENT,
    1,
    NOW,
    dest_amount=Money("USD", 70312),
    fx=Fx(Decimal("0.140624"), date(2026, 2, 27), "ECB"),
    fee=Money("USD", 1500),
    bank_reference="SBX-42",
)
SENT_AMOUNT = {lang: format_money(Money("USD", 70312), lang) for lang in Language}
FEE = {lang: format_money(Money("USD", 1500), lang) for lang in Language}
RATE_DAY = {Language.EN: "February 27, 2026", Language.ZH: "2026年2月27日"}


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("event", ["paying", "paid"])
def test_ref7_payout_notices_show_what_was_sent_the_rate_and_the_bank_fee(
    event: str, language: Language
) -> None:
    context = {**CONTEXTS[NoticeKind.REFUND], "event": event, "payout": CONVERTED}
    subject, body = render(NoticeKind.REFUND, language, "Asia/Shanghai", shop=SHOP, **context)
    assert SENT_AMOUNT[language] in subject
    assert SENT_AMOUNT[language] in body and "0.140624" in body and "ECB" in body
    assert RATE_DAY[language] in body  # the rate's own day (a Friday), not the send day
    assert FEE[language] in body
    if event == "paid":
        assert "SBX-42" in body
    # Without a conversion or a fee, neither is mentioned.
    plain = replace(CONVERTED, dest_currency="CNY", dest_amount=None, fx=None, fee=None)
    _, body = render(
        NoticeKind.REFUND, language, "Asia/Shanghai", shop=SHOP, **{**context, "payout": plain}
    )
    assert "0.140624" not in body and FEE[language] not in body
    assert FIGURES[NoticeKind.REFUND][language] in body


@pytest.mark.parametrize("language", list(Language))
def test_ref7_an_approval_names_the_receiving_banks_fee(language: Language) -> None:
    pending = replace(CONVERTED, status=PayoutStatus.PENDING, dest_amount=None, fx=None)
    context = {**CONTEXTS[NoticeKind.REFUND], "event": "approved", "payout": pending}
    _, body = render(NoticeKind.REFUND, language, "Asia/Shanghai", shop=SHOP, **context)
    assert FEE[language] in body
