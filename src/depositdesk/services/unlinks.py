"""Unlinking a shop (UNL-1..7), first slice: the request, its security review, the
six-area checklist, the closure preconditions, confirm and the unlink at the date.

The request is made by the shop's owner or an admin with a fresh second factor
(step-up, UNL-1); the seller's security signals within the policy's window hold it
for a reviewer. The checklist (domain/unlinks.py) is recomputed on every read from
the projection (eligibility's blocking records, toggles, the ledger's balances), by
index. Confirming needs every area `ok` and step-up again; the shop then stops
taking orders at the cutoff (`shops.orders_cutoff_at`, which ingestion enforces:
`shop_closed_for_orders`) and a timer unlinks it at the date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from depositdesk.domain.errors import Conflict, NotFound, Refused, ValidationProblem
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.shop import Language, ShopStatus
from depositdesk.domain.shop_state import ToggleKind
from depositdesk.domain.timers import Timer
from depositdesk.domain.unlinks import (
    NOTIFY_WINDOW_DAYS,
    Checklist,
    Unlink,
    UnlinkFacts,
    UnlinkStatus,
    checklist,
)
from depositdesk.services.access import (
    Principal,
    Role,
    require,
    require_shop_role,
    require_step_up,
)
from depositdesk.services.funding import position
from depositdesk.services.notices import issue_notice
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.webhooks import publish, time_data

REQUESTERS = (Role.OWNER, Role.ADMIN)  # UNL-1: the owner or an admin
REVIEWERS = (Role.REVIEWER, Role.PLATFORM_ADMIN)
READERS = (Role.PLATFORM_ADMIN, Role.REVIEWER, Role.AUDITOR, Role.INTEGRATION)
UNLINK_TIMER = "unlink.due"  # timer kind: a scheduled unlink's date came
MAX_TEXT = 2000
MAX_VERSION = 40


@dataclass(frozen=True, slots=True)
class UnlinkView:
    """A request with its checklist as of `as_of`."""

    unlink: Unlink
    checklist: Checklist
    as_of: datetime

    @property
    def shop_id(self) -> str:
        return self.unlink.shop_id


@dataclass(frozen=True, slots=True)
class ClosureNotice:
    """UNL-6a: the closure notice shows on the shop from `started_at`; its period
    ends at `ends_at`."""

    shop_id: str
    started_at: datetime
    ends_at: datetime


def _text(value: str | None, field: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationProblem(field, "required", f"{field} is required")
    if len(text) > limit:
        raise ValidationProblem(field, "max_length", f"at most {limit} characters")
    return text


def _start_of(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


def _facts(uow: UnitOfWork, view: ShopView, unlink: Unlink, now: datetime) -> UnlinkFacts:
    shop_id = view.shop.id
    seller = uow.sellers.get(view.shop.seller_id)
    verified = True
    if unlink.requested_user_id is not None:
        user = uow.users.get(unlink.requested_user_id)
        verified = user is not None and user.email_verified_at is not None
    pos = position(uow, view)
    last_order = uow.unlinks.last_order_at(shop_id)
    return UnlinkFacts(
        unlink=unlink,
        now=now,
        language=seller.language if seller is not None else Language.EN,
        email_verified=verified,
        records=uow.projection.blocking_records(shop_id, now, None),
        receivable=str(pos.receivable) if pos.receivable.is_positive() else None,
        proceeds=str(pos.proceeds) if pos.proceeds.is_positive() else None,
        has_orders=uow.unlinks.has_orders(shop_id),
        recent_customers=(
            last_order is not None and last_order > now - timedelta(days=NOTIFY_WINDOW_DAYS)
        ),
        campaigns=uow.unlinks.active_toggles(shop_id, ToggleKind.CAMPAIGN),
        creators=uow.unlinks.active_toggles(shop_id, ToggleKind.CREATOR),
        notice_started_at=uow.unlinks.notice_started(shop_id),
        notice_days=view.pack.closure_notice_days,
        last_order_at=last_order,
        waiting_days=view.pack.closure_waiting_days,
    )


def _view(uow: UnitOfWork, view: ShopView, unlink: Unlink, now: datetime) -> UnlinkView:
    return UnlinkView(unlink, checklist(_facts(uow, view, unlink, now)), now)


def _tell(uow: UnitOfWork, view: ShopView, unlink: Unlink, now: datetime, event: str) -> None:
    """The seller's notice (EN/ZH) and `unlink.<status>`."""
    held = position(uow, view).held
    issue_notice(
        uow,
        view,
        NoticeKind.UNLINK,
        now,
        {"unlink_id": unlink.id, "event": event, "status": unlink.status.value},
        unlink.unlink_at if event == "scheduled" else None,
        unlink=unlink,
        event=event,
        held=held,
    )
    _publish(uow, unlink, now, event)


def _publish(uow: UnitOfWork, unlink: Unlink, now: datetime, event: str) -> None:
    publish(
        uow,
        f"unlink.{unlink.status.value}",
        f"{unlink.id}:{event}",
        {
            "unlink_id": unlink.id,
            "shop_id": unlink.shop_id,
            "status": unlink.status.value,
            "unlink_date": unlink.unlink_date.isoformat(),
            "cutoff_at": time_data(unlink.cutoff_at),
        },
        now,
    )


def request_unlink(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    unlink_date: date,
    support_contact: str,
) -> UnlinkView:
    """UNL-1: the owner or an admin asks to unlink the shop, with step-up. The cutoff
    for new orders is the policy's `unlink_cutoff_days` before the date starts (in
    the market's time zone), and must not have passed: so the earliest date is that
    many days ahead. Security signals within the policy's window hold it for a
    reviewer (`manual_review`, the signals in `held_reasons`)."""
    view = load_shop(uow, who, now, shop_id, lock=True)
    require_shop_role(who, view.shop.seller_id, shop_id, REQUESTERS, ())
    pack = view.pack
    require_step_up(who, now, pack.security.step_up_minutes, "unlinking a shop")
    if view.shop.status.is_final:
        raise Conflict(f"shop {shop_id} is {view.shop.status}; it cannot be unlinked")
    contact = _text(support_contact, "support_contact")
    unlink_at = _start_of(unlink_date, pack.timezone)
    cutoff_at = unlink_at - timedelta(days=pack.unlink_cutoff_days)
    if unlink_at <= now or cutoff_at < now:
        earliest = (now + timedelta(days=pack.unlink_cutoff_days + 1)).astimezone(
            ZoneInfo(pack.timezone)
        )
        raise ValidationProblem(
            "unlink_date",
            "too_soon",
            f"the unlink date must leave {pack.unlink_cutoff_days} days before it for the "
            f"cutoff of new orders: {earliest.date().isoformat()} or later",
        )
    current = uow.unlinks.open_for_shop(shop_id)
    if current is not None:
        raise Refused(
            "unlink_open",
            f"shop {shop_id} has an open unlink request {current.id} ({current.status})",
            409,
            unlink_id=current.id,
        )
    window = timedelta(days=pack.security.payout_account_change_days)
    signals = uow.signals.since(view.shop.seller_id, now - window)
    reasons = tuple(f"{s.kind.value}: {s.detail}" for s in signals)
    unlink = Unlink(
        id=new_ordered_id("unl"),
        shop_id=shop_id,
        seller_id=view.shop.seller_id,
        status=UnlinkStatus.MANUAL_REVIEW if reasons else UnlinkStatus.PREPARING,
        unlink_date=unlink_date,
        unlink_at=unlink_at,
        cutoff_at=cutoff_at,
        support_contact=contact,
        requested_at=now,
        requested_by=who.actor,
        requested_role=who.role.value,
        requested_user_id=who.user_id,
        held_reasons=reasons,
    )
    uow.unlinks.add(unlink)
    if reasons:
        _tell(uow, view, unlink, now, "held")
    else:
        _publish(uow, unlink, now, "requested")
    return _view(uow, view, unlink, now)


def _load(
    uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str, lock: bool = False
) -> tuple[Unlink, ShopView]:
    unlink = uow.unlinks.get(unlink_id, lock=lock)
    if unlink is None:
        raise NotFound(f"unlink {unlink_id} not found")
    try:
        view = load_shop(uow, who, now, unlink.shop_id, lock=lock)
    except NotFound:
        raise NotFound(f"unlink {unlink_id} not found") from None
    return unlink, view


def get_unlink(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> UnlinkView:
    """UNL-6b: the request and its checklist, recomputed now."""
    unlink, view = _load(uow, who, now, unlink_id)
    if not who.is_seller:
        require(who, *READERS)
    return _view(uow, view, unlink, now)


def review(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    unlink_id: str,
    *,
    decision: str,
    message: str | None = None,
) -> UnlinkView:
    """UNL-1: a reviewer clears a held request (back to `preparing`) or refuses it;
    the seller is told why."""
    require(who, *REVIEWERS)
    unlink, view = _load(uow, who, now, unlink_id, lock=True)
    if decision not in ("clear", "refuse"):
        raise ValidationProblem("decision", "decision", "decision must be 'clear' or 'refuse'")
    if unlink.status is not UnlinkStatus.MANUAL_REVIEW:
        raise Conflict(f"unlink {unlink_id} is {unlink.status}; only a held one is reviewed")
    words = _text(message, "message") if decision == "refuse" or message else None
    unlink = replace(
        unlink,
        status=UnlinkStatus.PREPARING if decision == "clear" else UnlinkStatus.REFUSED,
        review_message=words,
        reviewed_by=who.actor,
        reviewed_at=now,
    )
    uow.unlinks.save(unlink)
    _tell(uow, view, unlink, now, "cleared" if decision == "clear" else "refused")
    return _view(uow, view, unlink, now)


def start_closure_notice(
    uow: UnitOfWork, who: Principal, now: datetime, shop_id: str
) -> ClosureNotice:
    """UNL-6a: start showing the closure notice on the shop (once; again is a no-op)."""
    view = load_shop(uow, who, now, shop_id, lock=True)
    require_shop_role(who, view.shop.seller_id, shop_id, REQUESTERS, ())
    if view.shop.status.is_final:
        raise Conflict(f"shop {shop_id} is {view.shop.status}")
    started = uow.unlinks.notice_started(shop_id)
    if started is None:
        started = now
        uow.unlinks.start_notice(shop_id, now, who.actor)
    return ClosureNotice(shop_id, started, started + timedelta(days=view.pack.closure_notice_days))


def accept_agreement(
    uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str, *, version: str
) -> UnlinkView:
    """UNL-6a: the seller accepts the closure agreement; its version is recorded."""
    unlink, view = _load(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    text = _text(version, "version", MAX_VERSION)
    if unlink.status not in (UnlinkStatus.PREPARING, UnlinkStatus.MANUAL_REVIEW):
        raise Conflict(f"unlink {unlink_id} is {unlink.status}")
    unlink = replace(unlink, agreement_version=text, agreement_at=now)
    uow.unlinks.save(unlink)
    return _view(uow, view, unlink, now)


def confirm(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> UnlinkView:
    """UNL-7: when every area is `ok`, the owner or an admin confirms (step-up again):
    the shop is closing, takes no order placed after the cutoff, and a timer unlinks
    it at the date."""
    unlink, view = _load(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    require_step_up(who, now, view.pack.security.step_up_minutes, "confirming an unlink")
    if unlink.status is UnlinkStatus.SCHEDULED:
        return _view(uow, view, unlink, now)
    if unlink.status is not UnlinkStatus.PREPARING:
        raise Conflict(f"unlink {unlink_id} is {unlink.status}; it cannot be confirmed")
    if unlink.cutoff_at < now:
        raise ValidationProblem(
            "unlink_date",
            "too_soon",
            f"the cutoff {time_data(unlink.cutoff_at)} has passed: start a new request "
            "with a later date",
        )
    current = _view(uow, view, unlink, now)
    if not current.checklist.all_ok:
        checks = [
            {
                "area": area.area.value,
                "code": c.code.value,
                "status": c.status.value,
                "message": c.message,
                "action": c.action,
            }
            for area in current.checklist.areas
            for c in area.checks
            if c.status.value != "ok"
        ]
        codes = ", ".join(str(c["code"]) for c in checks)
        raise Refused(
            "unlink_not_ready",
            f"unlink {unlink_id} cannot be confirmed while checks are not ok ({codes})",
            422,
            checks=checks,
        )
    unlink = replace(
        unlink, status=UnlinkStatus.SCHEDULED, confirmed_at=now, confirmed_by=who.actor
    )
    uow.unlinks.save(unlink)
    shop = view.shop
    cutoff = (
        min(shop.orders_cutoff_at, unlink.cutoff_at) if shop.orders_cutoff_at else unlink.cutoff_at
    )
    uow.shops.save(replace(shop, status=ShopStatus.CLOSING, orders_cutoff_at=cutoff))
    uow.timers.schedule(
        Timer.new(UNLINK_TIMER, unlink.id, unlink.unlink_at, now, {"shop_id": shop.id})
    )
    _tell(uow, view, unlink, now, "scheduled")
    return _view(uow, view, unlink, now)


def on_unlink_due(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    """UNL-7: the unlink date came: the shop is unlinked and the seller told."""
    shop_id = str(timer.payload.get("shop_id", ""))
    view = load_shop(uow, None, now, shop_id, lock=True)
    unlink = uow.unlinks.get(timer.subject, lock=True)
    if unlink is None or unlink.status is not UnlinkStatus.SCHEDULED:
        return
    unlink = replace(unlink, status=UnlinkStatus.UNLINKED, unlinked_at=now)
    uow.unlinks.save(unlink)
    shop = replace(view.shop, status=ShopStatus.UNLINKED)
    uow.shops.save(shop)
    _tell(uow, replace(view, shop=shop), unlink, now, "unlinked")
