"""The enforcement ladder at work (DEP-6, DEP-6a): the handler of the ladder timers.

`services/funding.review_funding` opens a case with the first top-up notice and
schedules the first step's timer; this handler applies the steps whose time has
come, each with a notice and an `enforcement.step` webhook, sets the shop
`restricted`, and schedules the next step. Paying closes the case (funding.lift),
which cancels the timers; a timer that still fires for a closed or newer case does
nothing. A late timer (the worker was down) applies every step that came due, in
order, so the shop ends on the step the policy gives for the shortfall's age.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from depositdesk.domain.enforcement import restrictions, step_time, steps_to_apply
from depositdesk.domain.funding import owed
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.shop import ShopStatus
from depositdesk.domain.timers import Timer
from depositdesk.services.funding import funding_position, lift, schedule_next_step
from depositdesk.services.notices import issue_notice
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import load_shop
from depositdesk.services.webhooks import money_data, publish, time_data


def on_ladder_due(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    """Apply the ladder steps due at `now` for the timer's shop (idempotent)."""
    view = load_shop(uow, None, now, timer.subject, lock=True)
    shop = view.shop
    case = shop.case
    if case is None or time_data(case.opened_at) != timer.payload.get("case"):
        return  # the case it was set for has closed
    if shop.status.is_final:
        return  # a terminated or unlinked shop is not escalated further
    pos = funding_position(uow, view)
    if pos.funded:  # funded by a change that did not review the shop (defensive)
        lift(uow, view, pos, now)
        return
    ladder = view.pack.ladder
    amount = owed(pos)
    for step in steps_to_apply(ladder, case, now):
        case = replace(case, step=step.step, step_at=now)
        data: dict[str, str | int] = {
            "step": step.step,
            "owed_minor": amount.minor,
            "currency": amount.currency,
            "after_days": step.after_days,
        }
        notice = issue_notice(
            uow,
            view,
            NoticeKind.ENFORCEMENT,
            now,
            data,
            case.due_at,
            step=step.step,
            restrictions=restrictions(ladder, step.step),
            owed=amount,
            case=case,
        )
        publish(
            uow,
            "enforcement.step",
            f"{shop.id}:{time_data(case.opened_at)}:{step.step}",
            {
                "shop_id": shop.id,
                "step": step.step,
                "restrictions": list(restrictions(ladder, step.step)),
                "owed": money_data(amount),
                "due_at": time_data(case.due_at),
                "step_due_at": time_data(step_time(case.due_at, step)),
                "notice_id": notice.id,
            },
            now,
        )
    status = ShopStatus.RESTRICTED if shop.status is ShopStatus.ACTIVE else shop.status
    if case.step is not None:
        shop = replace(shop, case=case, status=status)
        uow.shops.save(shop)
    schedule_next_step(uow, shop.id, case, view.pack, now)
