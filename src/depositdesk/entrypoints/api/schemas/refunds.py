"""Refund applications, their timeline and the review queue (REF-3..8)."""

from __future__ import annotations

from depositdesk.domain.eligibility import RefundKind
from depositdesk.domain.payouts import Payout, PayoutStatus
from depositdesk.domain.refunds import RefundStatus, RejectionCode, SlaState
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out, PolicyRefOut, Time
from depositdesk.services.paging import Page
from depositdesk.services.refunds import RefundView


class StepOut(Out):
    at: Time
    status: RefundStatus
    note: str


class DestinationOut(Out):
    route: str  # "original": the pay-in route
    currency: str
    change_reason: str | None
    # REF-6: the account paid: the one named, or the one the deposit came from (a
    # pay-in's `payer`); null when no pay-in named it.
    account: str | None


class SignalOut(Out):
    """UNL-1: a security signal of the seller's, within the policy's window."""

    kind: str
    shop_id: str | None
    at: Time
    detail: str


class ArrivalOut(Out):
    """REF-6: business days after the payout is sent."""

    from_business_days: int
    to_business_days: int


class FxOut(Out):
    """REF-7: the rate of the payout day, its own day and its source."""

    rate: str  # a decimal, as text
    rate_date: str  # YYYY-MM-DD
    source: str


class PayoutOut(Out):
    id: str
    status: PayoutStatus
    amount: MoneyOut  # in the deposit's currency
    dest_amount: MoneyOut | None  # what the bank transfers, when converted
    fx: FxOut | None
    fee: MoneyOut | None  # REF-7: what the receiving bank takes, in its currency
    bank_reference: str | None
    sent_at: Time | None
    settled_at: Time | None
    failure_reason: str | None

    @classmethod
    def of(cls, p: Payout) -> PayoutOut:
        return cls(
            id=p.id,
            status=p.status,
            amount=MoneyOut.of(p.amount),
            dest_amount=MoneyOut.of(p.dest_amount) if p.dest_amount else None,
            fx=FxOut(
                rate=format(p.fx.rate, "f"),
                rate_date=p.fx.rate_date.isoformat(),
                source=p.fx.source,
            )
            if p.fx
            else None,
            fee=MoneyOut.of(p.fee) if p.fee else None,
            bank_reference=p.bank_reference,
            sent_at=p.sent_at,
            settled_at=p.settled_at,
            failure_reason=p.failure_reason,
        )


class RefundOut(Out):
    id: str
    shop_id: str
    kind: RefundKind
    category: str | None
    status: RefundStatus
    amount: MoneyOut
    reason: str
    destination: DestinationOut
    attachment_ids: list[str]
    submitted_at: Time
    review_due_at: Time
    sla: SlaState | None
    decided_at: Time | None
    reason_code: RejectionCode | None
    message: str | None
    payout_due_at: Time | None
    expected_arrival: ArrivalOut
    # REF-7: the fee the receiving bank takes, in the account's currency (the seller
    # bears it): the policy's figure until the payout is made, then the payout's.
    bank_fee: MoneyOut | None
    timeline: list[StepOut]
    payout: PayoutOut | None
    policy: PolicyRefOut
    # UNL-1: the seller's security signals within the policy's window (a payout
    # account changed): a sensitive request such as an unlink waits for a person.
    security_signals: list[SignalOut]

    @classmethod
    def of(cls, view: RefundView) -> RefundOut:
        r = view.refund
        low, high = view.expected_arrival
        return cls(
            id=r.id,
            shop_id=r.shop_id,
            kind=r.kind,
            category=r.category,
            status=r.status,
            amount=MoneyOut.of(r.amount),
            reason=r.reason,
            destination=DestinationOut(
                route=r.destination.route,
                currency=r.destination.currency,
                change_reason=r.destination.change_reason,
                account=view.account,
            ),
            attachment_ids=list(r.attachment_ids),
            submitted_at=r.submitted_at,
            review_due_at=r.review_due_at,
            sla=view.sla,
            decided_at=r.decided_at,
            reason_code=r.reason_code,
            message=r.message,
            payout_due_at=r.payout_due_at,
            expected_arrival=ArrivalOut(from_business_days=low, to_business_days=high),
            bank_fee=MoneyOut.of(view.bank_fee) if view.bank_fee else None,
            timeline=[StepOut(at=s.at, status=s.status, note=s.note) for s in view.steps],
            payout=PayoutOut.of(view.payout) if view.payout else None,
            policy=PolicyRefOut.of(r.policy),
            security_signals=[
                SignalOut(kind=g.kind.value, shop_id=g.shop_id, at=g.at, detail=g.detail)
                for g in view.signals
            ],
        )


class RefundPageOut(Out):
    items: list[RefundOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[RefundView], next_cursor: str | None) -> RefundPageOut:
        return cls(items=[RefundOut.of(v) for v in page.items], next_cursor=next_cursor)
