"""Refunds: what follows an application, by the market's calendar (REF-5, REF-6).

The application states, payouts and exchange (REF-4..8) arrive with the refunds
issue; today this holds the timeline that eligibility shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from depositdesk.domain.calendar import BusinessCalendar
from depositdesk.domain.policy import PolicyPack


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
