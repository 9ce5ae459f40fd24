"""The enforcement board (DEP-5, DEP-6): every shop with an open under-funding case,
with the ladder step in force, what it owes, when it was due and how many days it is
overdue, for the operations console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.funding import owed
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyBook
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.funding import funding_position
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import view_of

BOARD_READERS = (Role.PLATFORM_ADMIN, Role.REVIEWER, Role.AUDITOR)
MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class BoardRow:
    shop_id: str
    shop_name: str
    seller_id: str
    market: str
    timezone: str
    step: str | None  # DEP-6a code; None before the first step (the notice only)
    step_at: datetime | None
    owed: Money  # shortfall plus receivable (DEP-5, DEP-8)
    due_at: datetime
    days_overdue: int  # whole days since the due date; 0 while it is not yet due


def board(
    uow: UnitOfWork, who: Principal, now: datetime, *, limit: int = MAX_ROWS
) -> list[BoardRow]:
    """Under-funded shops, the earliest due first (platform staff only)."""
    require(who, *BOARD_READERS)
    book = PolicyBook(uow.policies.versions())
    rows = []
    for shop in uow.shops.with_open_case(min(max(limit, 1), MAX_ROWS)):
        case = shop.case
        assert case is not None
        view = view_of(uow, shop, now, book)
        rows.append(
            BoardRow(
                shop_id=shop.id,
                shop_name=shop.name,
                seller_id=shop.seller_id,
                market=shop.market,
                timezone=view.pack.timezone,
                step=case.step,
                step_at=case.step_at,
                owed=owed(funding_position(uow, view)),
                due_at=case.due_at,
                days_overdue=max((now - case.due_at).days, 0),
            )
        )
    return rows
