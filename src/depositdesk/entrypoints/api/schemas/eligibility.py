"""Eligibility for a deposit refund (REF-1..3)."""

from __future__ import annotations

from depositdesk.domain.eligibility import Area, Blocker, BlockerCode, RefundKind
from depositdesk.domain.payouts import PayoutEstimate
from depositdesk.domain.refunds import RefundTimeline
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out, PolicyRefOut, Time
from depositdesk.services.eligibility import EligibilityAnswer, WhatIf


class BlockerOut(Out):
    code: BlockerCode
    area: Area
    message: str
    records: list[str]
    count: int
    clears_at: Time | None

    @classmethod
    def of(cls, blocker: Blocker) -> BlockerOut:
        return cls(
            code=blocker.code,
            area=blocker.area,
            message=blocker.message,
            records=list(blocker.records),
            count=blocker.count,
            clears_at=blocker.clears_at,
        )


class TimelineOut(Out):
    apply_from: Time
    review_due_by: Time
    payout_due_by: Time
    bank_arrival_after_approval_business_days: tuple[int, int]

    @classmethod
    def of(cls, timeline: RefundTimeline) -> TimelineOut:
        return cls(
            apply_from=timeline.apply_from,
            review_due_by=timeline.review_due_by,
            payout_due_by=timeline.payout_due_by,
            bank_arrival_after_approval_business_days=timeline.bank_arrival_business_days,
        )


class FxEstimateOut(Out):
    rate: str  # a decimal, as text
    rate_date: str  # YYYY-MM-DD
    source: str


class PayoutEstimateOut(Out):
    """REF-7 before applying: what the payout would send today and what arrives."""

    currency: str
    account: str | None  # null: the original route, and no pay-in named its account
    sent: MoneyOut | None  # null: no exchange rate for today
    fx: FxEstimateOut | None  # indicative: the payout uses the rate of its own day
    bank_fee: MoneyOut | None  # what the receiving bank takes; the seller bears it
    arrives: MoneyOut | None

    @classmethod
    def of(cls, e: PayoutEstimate) -> PayoutEstimateOut:
        return cls(
            currency=e.currency,
            account=e.account,
            sent=MoneyOut.of(e.sent) if e.sent else None,
            fx=FxEstimateOut(
                rate=format(e.fx.rate, "f"),
                rate_date=e.fx.rate_date.isoformat(),
                source=e.fx.source,
            )
            if e.fx
            else None,
            bank_fee=MoneyOut.of(e.bank_fee) if e.bank_fee else None,
            arrives=MoneyOut.of(e.arrives) if e.arrives else None,
        )


class EligibilityOut(Out):
    kind: RefundKind
    category: str | None
    what_if: WhatIf | None
    eligible: bool
    amount: MoneyOut
    blockers: list[BlockerOut]
    earliest_at: Time | None
    timeline: TimelineOut | None
    as_of: Time
    policy: PolicyRefOut
    payout: PayoutEstimateOut | None = None

    @classmethod
    def of(cls, answer: EligibilityAnswer) -> EligibilityOut:
        result = answer.result
        return cls(
            kind=result.kind,
            category=answer.category,
            what_if=answer.what_if,
            eligible=result.eligible,
            amount=MoneyOut.of(result.amount),
            blockers=[BlockerOut.of(b) for b in result.blockers],
            earliest_at=result.earliest_at,
            timeline=TimelineOut.of(answer.timeline) if answer.timeline else None,
            as_of=answer.as_of,
            policy=PolicyRefOut.of(answer.policy),
            payout=PayoutEstimateOut.of(answer.payout) if answer.payout else None,
        )
