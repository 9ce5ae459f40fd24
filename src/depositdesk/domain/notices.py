"""Written notices to sellers (DEP-5): what was said, when, under which policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from depositdesk.domain.policy import PolicyRef


class NoticeKind(StrEnum):
    TOPUP = "topup"  # DEP-5: the deposit is short; pay by the due date
    DEDUCTION = "deduction"  # DEP-8: a violation was deducted from the deposit
    # DEP-8: several violations of one shop arrived in one batch of events and were
    # deducted together: one notice lists them (not one email per violation).
    DEDUCTIONS = "deductions"
    ENFORCEMENT = "enforcement"  # DEP-6: a ladder step was applied
    OFFSET = "offset"  # DEP-7: the shortfall was taken from sales proceeds (told after)
    FUNDED = "funded"  # DEP-6: paid in full again; every step lifted
    RETURNED = "returned"  # DEP-9: a deduction given back after rectification
    REFUND = "refund"  # REF-5..8: an application's step (data.event says which)
    DIFFERENCE_AVAILABLE = "difference_available"  # REF-2/POL-4: a difference can come back
    UNLINK = "unlink"  # UNL-1/UNL-7: an unlink request's step (data.event says which)


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    shop_id: str
    kind: NoticeKind
    subject: str
    body: str
    data: dict[str, str | int]  # the figures behind the text, in minor units
    created_at: datetime
    due_at: datetime | None
    policy: PolicyRef | None
