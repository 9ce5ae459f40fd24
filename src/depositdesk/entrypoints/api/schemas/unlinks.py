"""Unlink requests, their checklist and closure preconditions (UNL-1..7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from depositdesk.domain.eligibility import Area
from depositdesk.domain.unlinks import CheckCode, CheckStatus, UnlinkStatus
from depositdesk.entrypoints.api.schemas.common import Out, Time
from depositdesk.entrypoints.api.schemas.requests import Body, Text
from depositdesk.services.unlink_actions import ActionAnswer
from depositdesk.services.unlinks import ClosureNotice, Escalation, UnlinkView, Verification


class UnlinkIn(Body):
    unlink_date: date = Field(
        description="the day the shop leaves Seller Center (the market's calendar); new "
        "orders stop the policy's unlink_cutoff_days before it starts",
        examples=["2026-12-31"],
    )
    support_contact: Text = Field(
        description="where customers go for returns and refunds after unlinking"
    )


class UnlinkReviewIn(Body):
    """UNL-1: clear a held request, or refuse it with a message the seller reads."""

    decision: str = Field(max_length=10, description="`clear` or `refuse`")
    message: Text | None = None


class AgreementIn(Body):
    """UNL-6a: the closure agreement's version the seller accepts."""

    version: str = Field(min_length=1, max_length=40, examples=["2026-01"])


class CheckOut(Out):
    code: CheckCode
    status: CheckStatus
    message: str  # in the seller's language
    records: list[str]  # the first 100
    count: int
    action: str | None  # what clears it
    clears_at: Time | None  # where time alone clears it


class AreaOut(Out):
    status: CheckStatus
    checks: list[CheckOut]


class UnlinkOut(Out):
    id: str
    shop_id: str
    status: UnlinkStatus
    unlink_date: date
    cutoff_at: Time
    support_contact: str
    held_reasons: list[str]  # UNL-1: the signals that hold it for review
    review_message: str | None
    agreement_version: str | None
    requested_at: Time
    confirmed_at: Time | None
    unlinked_at: Time | None
    cancelled_at: Time | None
    escalated_at: Time | None  # UNL-9: the last escalation to platform support
    refund_id: str | None  # REF-1: the full refund applied for after unlinking
    all_ok: bool
    checklist: dict[Area, AreaOut]
    as_of: Time

    @classmethod
    def of(cls, v: UnlinkView) -> UnlinkOut:
        u = v.unlink
        return cls(
            id=u.id,
            shop_id=u.shop_id,
            status=u.status,
            unlink_date=u.unlink_date,
            cutoff_at=u.cutoff_at,
            support_contact=u.support_contact,
            held_reasons=list(u.held_reasons),
            review_message=u.review_message,
            agreement_version=u.agreement_version,
            requested_at=u.requested_at,
            confirmed_at=u.confirmed_at,
            unlinked_at=u.unlinked_at,
            cancelled_at=u.cancelled_at,
            escalated_at=u.escalated_at,
            refund_id=u.refund_id,
            all_ok=v.checklist.all_ok,
            checklist={
                a.area: AreaOut(
                    status=a.status,
                    checks=[
                        CheckOut(
                            code=c.code,
                            status=c.status,
                            message=c.message,
                            records=list(c.records),
                            count=c.count,
                            action=c.action,
                            clears_at=c.clears_at,
                        )
                        for c in a.checks
                    ],
                )
                for a in v.checklist.areas
            },
            as_of=v.as_of,
        )


class ClosureNoticeOut(Out):
    shop_id: str
    started_at: Time
    ends_at: Time  # the notice period ends (closure_notice_period clears)

    @classmethod
    def of(cls, n: ClosureNotice) -> ClosureNoticeOut:
        return cls(shop_id=n.shop_id, started_at=n.started_at, ends_at=n.ends_at)


class ActionIn(Body):
    """Inputs of an unlink action (all optional)."""

    discount_code: str | None = Field(
        default=None,
        max_length=64,
        description="cancel-unfulfillable-orders: a code shown in each customer's email",
    )
    anonymize_customers: bool | None = Field(
        default=None,
        description="archive: customers as pseudonyms, no personal data (UNL-4)",
    )


class TaxMonthOut(Out):
    month: str  # YYYY-MM (UTC)
    currency: str
    orders: int
    sales: str  # decimal string in major units
    tax: str
    cancelled: int


class ActionOut(Out):
    """What an action did: `changed` false when it had nothing (more) to do (a retry,
    a replayed Idempotency-Key); `unlink` is the request with its checklist now."""

    unlink_id: str
    action: str
    changed: bool
    at: Time
    result: dict[str, Any]
    tax_summary: list[TaxMonthOut] | None = None
    unlink: UnlinkOut

    @classmethod
    def of(cls, a: ActionAnswer) -> ActionOut:
        from depositdesk.domain.money import Money

        tax = None
        if a.tax is not None:
            tax = [
                TaxMonthOut(
                    month=m.month,
                    currency=m.currency,
                    orders=m.orders,
                    sales=Money(m.currency, m.sales_minor).format(),
                    tax=Money(m.currency, m.tax_minor).format(),
                    cancelled=m.cancelled,
                )
                for m in a.tax
            ]
        return cls(
            unlink_id=a.outcome.unlink_id,
            action=a.outcome.action,
            changed=a.outcome.changed,
            at=a.outcome.at,
            result=a.outcome.result,
            tax_summary=tax,
            unlink=UnlinkOut.of(a.unlink),
        )


class VerificationOut(Out):
    """UNL-8: the three facts and their evidence; `ok` when all three hold."""

    shop_id: str
    unlink_id: str | None
    ok: bool
    shop_hidden: bool
    shop_status: str
    no_transactions_after_cutoff: bool
    cutoff_at: Time | None
    orders_after_cutoff: list[str]
    confirmation_sent: bool
    confirmation_notice_id: str | None
    confirmation_sent_at: Time | None
    refund_id: str | None

    @classmethod
    def of(cls, v: Verification) -> VerificationOut:
        return cls(
            shop_id=v.shop_id,
            unlink_id=v.unlink_id,
            ok=v.ok,
            shop_hidden=v.shop_hidden,
            shop_status=v.shop_status,
            no_transactions_after_cutoff=v.no_transactions_after_cutoff,
            cutoff_at=v.cutoff_at,
            orders_after_cutoff=list(v.orders_after_cutoff),
            confirmation_sent=v.confirmation_sent,
            confirmation_notice_id=v.confirmation_notice_id,
            confirmation_sent_at=v.confirmation_sent_at,
            refund_id=v.refund_id,
        )


class EscalateIn(Body):
    message: Text = Field(description="what is stalled, in the seller's words")


class EscalationOut(Out):
    id: str
    unlink_id: str
    message: str
    created_at: Time
    bundle: dict[str, Any]  # errors seen, checklist, audit trail (UNL-9)

    @classmethod
    def of(cls, e: Escalation) -> EscalationOut:
        return cls(
            id=e.id,
            unlink_id=e.unlink_id,
            message=e.message,
            created_at=e.created_at,
            bundle=dict(e.bundle),
        )


class UnlinkPageOut(Out):
    items: list[UnlinkOut]
    next_cursor: str | None = None
