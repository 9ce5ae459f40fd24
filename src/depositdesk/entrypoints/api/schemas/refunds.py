"""Refund applications, their timeline and the review queue (REF-3..8)."""

from __future__ import annotations

from depositdesk.domain.eligibility import RefundKind
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


class ArrivalOut(Out):
    """REF-6: business days after the payout is sent."""

    from_business_days: int
    to_business_days: int


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
    timeline: list[StepOut]
    policy: PolicyRefOut

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
            timeline=[StepOut(at=s.at, status=s.status, note=s.note) for s in view.steps],
            policy=PolicyRefOut.of(r.policy),
        )


class RefundPageOut(Out):
    items: list[RefundOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[RefundView], next_cursor: str | None) -> RefundPageOut:
        return cls(items=[RefundOut.of(v) for v in page.items], next_cursor=next_cursor)
