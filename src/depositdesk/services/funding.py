"""After anything that changes what is held or required: first funding (DEP-4), a
written top-up notice that opens or raises an under-funding case (DEP-5), or the
case closing because the seller is funded again, which lifts every enforcement step
(DEP-6). The rules are pure (domain/funding.py, domain/enforcement.py); this module
reads what they need and stores what they decide, with its notices and webhooks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from depositdesk.domain.enforcement import LADDER_TIMER, Case, next_step, restrictions, step_time
from depositdesk.domain.funding import Cause, first_funding, topup_demand
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.policy import PolicyPack
from depositdesk.domain.shop import Shop, ShopStatus
from depositdesk.domain.timers import Timer
from depositdesk.services.notices import issue_notice
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView
from depositdesk.services.webhooks import money_data as _money
from depositdesk.services.webhooks import publish
from depositdesk.services.webhooks import time_data as _time


def position(uow: UnitOfWork, view: ShopView) -> DepositPosition:
    """Held, receivable and proceeds against what the shop requires now."""
    return DepositPosition.from_balances(view.required, uow.ledger.balances(view.shop.id))


def funding_position(uow: UnitOfWork, view: ShopView) -> DepositPosition:
    """The position funding rules judge: a shop that is leaving (closing, terminated,
    unlinked) needs no deposit any more (what it holds is coming back, REF-1), so
    only what it owes the platform can make it under-funded."""
    pos = position(uow, view)
    if view.shop.status.is_closing:
        return replace(pos, required=Money.zero(pos.required.currency))
    return pos


def review_funding(uow: UnitOfWork, view: ShopView, now: datetime, cause: Cause) -> Shop:
    """Mark a first full funding (DEP-4); close the open case when the seller is
    funded again (DEP-6: every step lifted); or issue a top-up notice when what the
    seller owes grew (DEP-5), opening a case with its first ladder timer.
    `cause` says why, in the notice. Returns the shop as it leaves it."""
    pos = funding_position(uow, view)
    shop = view.shop
    if first_funding(shop.status, pos):
        shop = replace(shop, status=ShopStatus.ACTIVE, funded_at=now)
        uow.shops.save(shop)
        _funded(uow, shop, pos, now, lifted=())
        return shop
    if pos.funded:
        if shop.case is not None:
            return lift(uow, view, pos, now)
        return shop
    demand = topup_demand(shop.status, pos, shop.case, now, view.pack.topup_grace_days, cause)
    if demand is None:
        return shop
    if shop.case is None:
        case = Case(opened_at=now, due_at=demand.due_at, noticed_owed_minor=demand.owed.minor)
        if not shop.status.is_final:
            schedule_next_step(uow, shop.id, case, view.pack, now)
    else:
        case = replace(shop.case, noticed_owed_minor=demand.owed.minor)
    shop = replace(shop, case=case)
    uow.shops.save(shop)
    notice = issue_notice(
        uow, view, NoticeKind.TOPUP, now, demand.data(), demand.due_at, demand=demand
    )
    publish(
        uow,
        "deposit.underfunded",
        notice.id,
        {
            "shop_id": shop.id,
            "owed": _money(demand.owed),
            "required": _money(pos.required),
            "held": _money(pos.held),
            "receivable": _money(pos.receivable),
            "due_at": _time(demand.due_at),
            "cause": cause.kind.value,
            "notice_id": notice.id,
        },
        now,
    )
    return shop


def lift(uow: UnitOfWork, view: ShopView, pos: DepositPosition, now: datetime) -> Shop:
    """DEP-6: paid in full again: the case closes, every step is lifted at once, the
    pending ladder timers are cancelled, and the seller and the marketplace are told.
    Returns the shop as it leaves it."""
    shop = view.shop
    case = shop.case
    assert case is not None
    lifted = restrictions(view.pack.ladder, case.step)
    status = ShopStatus.ACTIVE if shop.status is ShopStatus.RESTRICTED else shop.status
    shop = replace(shop, case=None, status=status)
    uow.shops.save(shop)
    uow.timers.cancel(LADDER_TIMER, shop.id, now)
    data: dict[str, str | int] = {
        "held_minor": pos.held.minor,
        "required_minor": pos.required.minor,
        "currency": pos.required.currency,
        "lifted": ",".join(lifted),
    }
    issue_notice(uow, view, NoticeKind.FUNDED, now, data, None, pos=pos, lifted=lifted)
    _funded(uow, shop, pos, now, lifted, case)
    return shop


def _funded(
    uow: UnitOfWork,
    shop: Shop,
    pos: DepositPosition,
    now: datetime,
    lifted: tuple[str, ...],
    case: Case | None = None,
) -> None:
    """The `shop.funded` webhook: first funding (DEP-4) or a case closed (DEP-6)."""
    key = f"{shop.id}:{_time(case.opened_at) if case else 'first'}"
    publish(
        uow,
        "shop.funded",
        key,
        {
            "shop_id": shop.id,
            "status": shop.status.value,
            "held": _money(pos.held),
            "required": _money(pos.required),
            "lifted": list(lifted),
        },
        now,
    )


def schedule_next_step(
    uow: UnitOfWork, shop_id: str, case: Case, pack: PolicyPack, now: datetime
) -> None:
    """A timer at the next ladder step's time (DEP-6); none at the top of the ladder."""
    step = next_step(pack.ladder, case.step)
    if step is None:
        return
    payload: dict[str, object] = {"case": _time(case.opened_at), "step": step.step}
    uow.timers.schedule(
        Timer.new(LADDER_TIMER, shop_id, step_time(case.due_at, step), now, payload)
    )
