"""Refunds: applications, their statuses and review clock, and what follows an
application by the market's calendar (REF-3..8).

An application reserves its amount in the ledger (domain/ledger.py
`refund_reserve_entry`), so a deduction arriving meanwhile takes only what is left;
a rejection or withdrawal releases it. Payouts and exchange (REF-6, REF-7) follow an
approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from depositdesk.domain.calendar import BusinessCalendar
from depositdesk.domain.eligibility import RefundKind
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyPack, PolicyRef


class RefundStatus(StrEnum):
    """REF-7a: the public refund statuses."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAYING = "paying"
    PAID = "paid"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        """Still holding its reservation: one open application per shop and kind."""
        return self in (
            RefundStatus.SUBMITTED,
            RefundStatus.APPROVED,
            RefundStatus.PAYING,
            RefundStatus.FAILED,
        )


class RejectionCode(StrEnum):
    """REF-5: why a reviewer rejected, each with a message the seller can act on."""

    PROOF_INVALID = "proof_invalid"
    INFO_INCORRECT = "info_incorrect"
    VIOLATION_PRESENT = "violation_present"
    NOT_ELIGIBLE = "not_eligible"
    OTHER = "other"


# What the seller reads when the reviewer adds no message of their own.
REJECTION_MESSAGES: dict[RejectionCode, str] = {
    RejectionCode.PROOF_INVALID: "The proof could not be accepted (unreadable, incomplete or "
    "not about this shop). Upload a clear PDF, PNG or JPEG and apply again.",
    RejectionCode.INFO_INCORRECT: "Some details of the application are not correct (amount, "
    "reason or payout account). Check them and apply again.",
    RejectionCode.VIOLATION_PRESENT: "The shop has a violation that is not rectified. Rectify "
    "it (pay the fine, delist the products) and apply again.",
    RejectionCode.NOT_ELIGIBLE: "The shop is not eligible for this refund yet; the eligibility "
    "page lists what blocks it and when each item clears.",
    RejectionCode.OTHER: "The application was rejected; the reviewer's message says why.",
}


class SlaState(StrEnum):
    """REF-5: where a pending review stands against its due time."""

    ON_TIME = "on_time"
    DUE_TODAY = "due_today"
    LATE = "late"


def sla_state(review_due_at: datetime, now: datetime, calendar: BusinessCalendar) -> SlaState:
    """Late once the due time passed; due today when it falls on the market's today."""
    if now >= review_due_at:
        return SlaState.LATE
    # The due time is the end of a business day (local midnight after it).
    if calendar.local_date(review_due_at - timedelta(microseconds=1)) == calendar.local_date(now):
        return SlaState.DUE_TODAY
    return SlaState.ON_TIME


@dataclass(frozen=True, slots=True)
class Destination:
    """Where the refund is paid: the original pay-in route unless the seller names
    another account, with a reason (a security signal, UNL-1)."""

    route: str  # "original", or the account the seller gave
    currency: str  # the account's currency; the payout converts when it differs (REF-7)
    change_reason: str | None = None

    @property
    def original(self) -> bool:
        return self.route == ORIGINAL_ROUTE


ORIGINAL_ROUTE = "original"


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    shop_id: str
    kind: RefundKind
    category: str | None
    amount: Money
    reason: str
    destination: Destination
    attachment_ids: tuple[str, ...]
    status: RefundStatus
    submitted_at: datetime
    submitted_by: str
    review_due_at: datetime
    policy: PolicyRef
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason_code: RejectionCode | None = None
    message: str | None = None
    payout_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundStep:
    """One line of the timeline (REF-8)."""

    at: datetime
    status: RefundStatus
    note: str
    by: str


@dataclass(frozen=True, slots=True)
class RefundTimeline:
    apply_from: datetime
    review_due_by: datetime  # REF-5: the policy's SLA in the market's business days
    payout_due_by: datetime  # REF-6: the payout window after the review is due
    bank_arrival_business_days: tuple[int, int]  # REF-6: after approval


def timeline(pack: PolicyPack, apply_at: datetime) -> RefundTimeline:
    """What follows an application made at `apply_at`."""
    calendar = BusinessCalendar(pack.country, pack.timezone)
    review_due = calendar.business_deadline(apply_at, pack.review_sla_business_days)
    return RefundTimeline(
        apply_from=apply_at,
        review_due_by=review_due,
        payout_due_by=review_due + timedelta(days=pack.payout_window_days),
        bank_arrival_business_days=pack.bank_arrival_business_days,
    )
