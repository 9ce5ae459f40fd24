"""A shop's violations and the return of a deduction (DEP-8, DEP-9)."""

from __future__ import annotations

from depositdesk.domain.returns import Violation
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out, Time
from depositdesk.entrypoints.api.schemas.deposits import DepositOut
from depositdesk.services.paging import Page
from depositdesk.services.violations import ViolationReturned


class ViolationOut(Out):
    id: str
    type: str
    recorded_at: Time
    consumer_loss: MoneyOut  # what was deducted (DEP-8)
    rectified_at: Time | None
    returned: MoneyOut  # the sum of its returns so far (DEP-9)
    remaining: MoneyOut  # what may still be returned
    returnable_until: Time  # the end of the policy's rectification period

    @classmethod
    def of(cls, v: Violation) -> ViolationOut:
        return cls(
            id=v.id,
            type=v.type,
            recorded_at=v.recorded_at,
            consumer_loss=MoneyOut.of(v.consumer_loss),
            rectified_at=v.rectified_at,
            returned=MoneyOut.of(v.returned),
            remaining=MoneyOut.of(v.remaining),
            returnable_until=v.returnable_until,
        )


class ViolationPageOut(Out):
    items: list[ViolationOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Violation], next_cursor: str | None) -> ViolationPageOut:
        return cls(items=[ViolationOut.of(v) for v in page.items], next_cursor=next_cursor)


class ViolationReturnOut(Out):
    id: str
    shop_id: str
    violation_id: str
    amount: MoneyOut
    returned_total: MoneyOut  # every return of the violation, this one included
    remaining: MoneyOut  # what may still be returned
    at: Time
    entry_id: int
    deposit: DepositOut  # as GET /v1/shops/{id}/deposit answers, right after the return

    @classmethod
    def of(cls, r: ViolationReturned) -> ViolationReturnOut:
        return cls(
            id=r.id,
            shop_id=r.shop_id,
            violation_id=r.violation_id,
            amount=MoneyOut.of(r.amount),
            returned_total=MoneyOut.of(r.returned_total),
            remaining=MoneyOut.of(r.remaining),
            at=r.at,
            entry_id=r.entry_id,
            deposit=DepositOut.of(r.deposit),
        )
