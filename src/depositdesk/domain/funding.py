"""Is the deposit funded, and what must the seller be told? (DEP-4, DEP-5)

Pure rules over a `DepositPosition`: the services read the position and the last
notice, ask these functions, and store what they answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from depositdesk.domain.enforcement import Case
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.shop import ShopStatus


class CauseKind(StrEnum):
    """Why the deposit was looked at again (said in the notice, in its language)."""

    CATEGORIES_CHANGED = "categories_changed"  # DEP-1: a costlier category added
    POLICY_CHANGED = "policy_changed"  # POL-4: a new pack version raised a deposit
    VIOLATION_DEDUCTED = "violation_deducted"  # DEP-8
    PAY_IN = "pay_in"  # DEP-4
    VIOLATION_RETURNED = "violation_returned"  # DEP-9: a deduction given back
    OFFSET = "offset"  # DEP-7: taken from sales proceeds
    ORDERS_REFUNDED = "orders_refunded"  # UNL-3: customers refunded beyond the proceeds


@dataclass(frozen=True, slots=True)
class Cause:
    kind: CauseKind
    before: Money | None = None  # required before (categories, policy)
    after: Money | None = None  # required after; for a deduction, the amount deducted
    ref: str = ""  # the violation id, or "<pack> version <n>"


class FundingStatus(StrEnum):
    FUNDED = "funded"
    UNDERFUNDED = "underfunded"


def funding_status(position: DepositPosition) -> FundingStatus:
    return FundingStatus.FUNDED if position.funded else FundingStatus.UNDERFUNDED


def owed(position: DepositPosition) -> Money:
    """What the seller must pay to be funded again: the shortfall plus any receivable."""
    return position.shortfall + position.receivable.max0()


def first_funding(status: ShopStatus, position: DepositPosition) -> bool:
    """DEP-4: a pending shop becomes active once its first deposit is paid in full."""
    return (
        status is ShopStatus.PENDING_DEPOSIT and position.funded and position.required.is_positive()
    )


@dataclass(frozen=True, slots=True)
class TopUpDemand:
    """DEP-5: the written top-up notice's figures."""

    position: DepositPosition
    owed: Money
    due_at: datetime
    grace_days: int
    cause: Cause

    def data(self) -> dict[str, str | int]:
        """The figures as stored with the notice, in minor units."""
        return {
            "required_minor": self.position.required.minor,
            "held_minor": self.position.held.minor,
            "receivable_minor": self.position.receivable.minor,
            "owed_minor": self.owed.minor,
            "currency": self.owed.currency,
            "cause": self.cause.kind.value,
        }


def topup_demand(
    status: ShopStatus,
    position: DepositPosition,
    case: Case | None,
    now: datetime,
    grace_days: int,
    cause: Cause,
) -> TopUpDemand | None:
    """DEP-5: a notice when the seller owes something and owes more than the last
    notice of the open case said (a notice per rise, never a second one for the same
    shortfall). The first notice of a case is due `grace_days` after it; a later one
    repeats the case's due date (the ladder counts from it: domain/enforcement.py).
    A shop still waiting for its first deposit gets none: it is `pending_deposit`."""
    if status is ShopStatus.PENDING_DEPOSIT:
        return None
    amount = owed(position)
    if not amount.is_positive():
        return None
    if case is None:
        return TopUpDemand(position, amount, now + timedelta(days=grace_days), grace_days, cause)
    if case.noticed_owed_minor >= amount.minor:
        return None
    return TopUpDemand(position, amount, case.due_at, grace_days, cause)
