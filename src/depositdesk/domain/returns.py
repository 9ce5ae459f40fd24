"""Returning a deduction after rectification (DEP-9).

A violation's deduction (DEP-8, the consumer's loss) may be given back, in parts or
whole, once the seller has rectified, while the *policy* period counted from the
violation still runs. Each return is its own balanced entry (domain/ledger.py
`violation_return_entry`) and its own record; the returns of a violation never add
up to more than its deduction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from depositdesk.domain.clock import rfc3339
from depositdesk.domain.errors import Conflict, ValidationProblem
from depositdesk.domain.money import Money


class NotRectified(Conflict):
    """The violation is not rectified (yet): nothing may be returned (DEP-9)."""

    code = "not_rectified"


class ReturnRefused(ValidationProblem):
    """A well-formed return a DEP-9 rule refuses: status 422, the rule as the
    problem's machine code, and the field at fault."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(field, code, message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Violation:
    """A recorded violation as a reviewer decides a return: what was deducted, what
    has come back so far, and until when a return is possible."""

    id: str
    type: str
    recorded_at: datetime
    consumer_loss: Money  # the deduction (DEP-8)
    rectified_at: datetime | None
    returned: Money  # the sum of its returns so far
    returnable_until: datetime

    @property
    def remaining(self) -> Money:
        """What may still be returned."""
        return (self.consumer_loss - self.returned).max0()


@dataclass(frozen=True, slots=True)
class ViolationReturn:
    """One return as stored (table `violation_returns`)."""

    id: str
    shop_id: str
    violation_id: str
    amount: Money
    entry_id: int
    at: datetime
    by: str  # the actor who returned it
    note: str


def returnable_until(recorded_at: datetime, rectification_days: int) -> datetime:
    """DEP-9: the last moment a deduction may be returned (the *policy* period,
    counted from the violation)."""
    return recorded_at + timedelta(days=rectification_days)


def check_returnable(violation: Violation, now: datetime) -> None:
    """DEP-9: only a rectified violation, and only within the period."""
    if violation.rectified_at is None:
        raise NotRectified(
            f"violation {violation.id} is not rectified; a deduction is returned only "
            "after the seller rectifies (DEP-9)"
        )
    if now > violation.returnable_until:
        raise ReturnRefused(
            "rectification_period_over",
            "violation_id",
            f"the rectification period of violation {violation.id} ended at "
            f"{rfc3339(violation.returnable_until)}; its deduction can no longer be returned",
        )


def check_amount(violation: Violation, amount: Money) -> None:
    """DEP-9: the returns of a violation never exceed its deduction."""
    left = violation.remaining
    if amount.currency != left.currency or amount.minor > left.minor:
        raise ReturnRefused(
            "return_exceeds_deduction",
            "amount.amount",
            f"violation {violation.id} deducted {violation.consumer_loss}, of which "
            f"{violation.returned} was returned already: at most {left} is left to return",
        )
