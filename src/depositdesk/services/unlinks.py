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

from depositdesk.domain.eligibility import EMPTY
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
    UnlinkAction,
    UnlinkFacts,
    UnlinkStatus,
    checklist,
)
from depositdesk.services import archives
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
from depositdesk.services.shop_view import ShopView, load_shop, load_shop_of
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


def archive_ready(uow: UnitOfWork, shop_id: str) -> bool:
    """UNL-4: a ready archive of the shop exists."""
    return archives.archive_ready(uow, shop_id)


def _facts(uow: UnitOfWork, view: ShopView, unlink: Unlink, now: datetime) -> UnlinkFacts:
    shop_id = view.shop.id
    seller = uow.sellers.get(view.shop.seller_id)
    verified = True
    if unlink.requested_user_id is not None:
        user = uow.users.get(unlink.requested_user_id)
        verified = user is not None and user.email_verified_at is not None
    pos = position(uow, view)
    last_order = uow.unlinks.last_order_at(shop_id)
    window = timedelta(days=NOTIFY_WINDOW_DAYS)
    recent = last_order is not None and last_order > now - window
    return UnlinkFacts(
        unlink=unlink,
        now=now,
        language=seller.language if seller is not None else Language.EN,
        email_verified=verified,
        records=uow.projection.blocking_records(shop_id, now, None),
        receivable=str(pos.receivable) if pos.receivable.is_positive() else None,
        proceeds=str(pos.proceeds) if pos.proceeds.is_positive() else None,
        has_orders=uow.unlinks.has_orders(shop_id),
        recent_customers=recent,
        tax_summary_done=bool(uow.unlinks.actions(unlink.id, UnlinkAction.TAX_SUMMARY)),
        proceeds_sending=_sending(uow, unlink.id),
        archive_ready=archive_ready(uow, shop_id),
        customers_pending=(
            uow.unlinks.customers_pending(unlink.id, shop_id, now - window) if recent else EMPTY
        ),
        campaigns=uow.unlinks.active_toggles(shop_id, ToggleKind.CAMPAIGN),
        creators=uow.unlinks.active_toggles(shop_id, ToggleKind.CREATOR),
        notice_started_at=uow.unlinks.notice_started(shop_id),
        notice_days=view.pack.closure_notice_days,
        last_finished_at=uow.unlinks.last_finished_at(shop_id),
        waiting_days=view.pack.closure_waiting_days,
    )


def _sending(uow: UnitOfWork, unlink_id: str) -> str | None:
    """The amount of a proceeds withdrawal the bank has not taken yet (UNL-2), if any."""
    runs = uow.unlinks.actions(unlink_id, UnlinkAction.WITHDRAW_PROCEEDS)
    unsent = [r for r in runs if r.unsent]
    return str(unsent[-1].result["amount"]) if unsent else None


def view_of(uow: UnitOfWork, view: ShopView, unlink: Unlink, now: datetime) -> UnlinkView:
    return UnlinkView(unlink, checklist(_facts(uow, view, unlink, now)), now)


def _tell(
    uow: UnitOfWork,
    view: ShopView,
    unlink: Unlink,
    now: datetime,
    event: str,
    **context: object,
) -> None:
    """The seller's notice (EN/ZH) and `unlink.<status>`."""
    held = position(uow, view).held
    data: dict[str, str | int] = {
        "unlink_id": unlink.id,
        "event": event,
        "status": unlink.status.value,
    }
    if unlink.refund_id is not None:
        data["refund_id"] = unlink.refund_id
    due = unlink.unlink_at if event == "scheduled" else None
    retry = context.get("retry_at")
    if event == "refund_blocked" and isinstance(retry, datetime):
        due = retry
    issue_notice(
        uow,
        view,
        NoticeKind.UNLINK,
        now,
        data,
        due,
        unlink=unlink,
        event=event,
        held=held,
        **context,
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
    reasons = _signal_reasons(uow, view, now)
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
    return view_of(uow, view, unlink, now)


def load_unlink(
    uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str, lock: bool = False
) -> tuple[Unlink, ShopView]:
    unlink = uow.unlinks.get(unlink_id, lock=lock)
    if unlink is None:
        raise NotFound(f"unlink {unlink_id} not found")
    return unlink, load_shop_of(uow, who, now, unlink.shop_id, f"unlink {unlink_id}", lock)


def get_unlink(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> UnlinkView:
    """UNL-6b: the request and its checklist, recomputed now."""
    unlink, view = load_unlink(uow, who, now, unlink_id)
    if not who.is_seller:
        require(who, *READERS)
    return view_of(uow, view, unlink, now)


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
    unlink, view = load_unlink(uow, who, now, unlink_id, lock=True)
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
    return view_of(uow, view, unlink, now)


def _signal_reasons(
    uow: UnitOfWork, view: ShopView, now: datetime, after: datetime | None = None
) -> tuple[str, ...]:
    """UNL-1: the seller's security signals within the pack's window (and later than
    `after`, when given), as the reasons a request is held for."""
    window_start = now - timedelta(days=view.pack.security.payout_account_change_days)
    since = max(window_start, after) if after is not None else window_start
    signals = uow.signals.since(view.shop.seller_id, since)
    return tuple(f"{s.kind.value}: {s.detail}" for s in signals if after is None or s.at > after)


def hold_on_new_signals(
    uow: UnitOfWork, view: ShopView, unlink: Unlink, now: datetime
) -> Unlink | None:
    """UNL-1: a security signal of the seller newer than the request (or than its last
    clearance by a reviewer), within the policy's window, holds the sensitive step
    being asked for (confirming, withdrawing the proceeds) for manual review instead
    of letting it go ahead. Returns the held request (saved, the seller told why), or
    None when nothing new was signalled."""
    reasons = _signal_reasons(uow, view, now, after=unlink.reviewed_at or unlink.requested_at)
    if not reasons:
        return None
    held = replace(
        unlink, status=UnlinkStatus.MANUAL_REVIEW, held_reasons=reasons, review_message=None
    )
    uow.unlinks.save(held)
    _tell(uow, view, held, now, "held")
    return held


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
    unlink, view = load_unlink(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    text = _text(version, "version", MAX_VERSION)
    if unlink.status not in (UnlinkStatus.PREPARING, UnlinkStatus.MANUAL_REVIEW):
        raise Conflict(f"unlink {unlink_id} is {unlink.status}")
    unlink = replace(unlink, agreement_version=text, agreement_at=now)
    uow.unlinks.save(unlink)
    return view_of(uow, view, unlink, now)


def confirm(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> UnlinkView:
    """UNL-7: when every area is `ok`, the owner or an admin confirms (step-up again):
    the shop is closing, takes no order placed after the cutoff, and a timer unlinks
    it at the date."""
    unlink, view = load_unlink(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    require_step_up(who, now, view.pack.security.step_up_minutes, "confirming an unlink")
    if unlink.status is UnlinkStatus.SCHEDULED:
        return view_of(uow, view, unlink, now)
    if unlink.status is not UnlinkStatus.PREPARING:
        raise Conflict(f"unlink {unlink_id} is {unlink.status}; it cannot be confirmed")
    if unlink.cutoff_at < now:
        raise ValidationProblem(
            "unlink_date",
            "too_soon",
            f"the cutoff {time_data(unlink.cutoff_at)} has passed: start a new request "
            "with a later date",
        )
    current = view_of(uow, view, unlink, now)
    if current.checklist.all_ok and (held := hold_on_new_signals(uow, view, unlink, now)):
        return view_of(uow, view, held, now)
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
    return view_of(uow, view, unlink, now)


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
    apply_full_refund(uow, now, unlink)  # REF-1: or a notice of what still blocks it


# -- cancel (before the date) ---------------------------------------------------------


def cancel(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> UnlinkView:
    """The owner or an admin calls the request off before the unlink date: status
    `cancelled`; a scheduled one gives the shop back its orders (the cutoff lifted,
    the unlink timer cancelled)."""
    unlink, view = load_unlink(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    if unlink.status is UnlinkStatus.CANCELLED:
        return view_of(uow, view, unlink, now)
    if not unlink.status.is_open or now >= unlink.unlink_at:
        raise Refused(
            "unlink_not_active",
            f"unlink {unlink_id} is {unlink.status}; only an open request is cancelled "
            "before its date",
            409,
            status_now=unlink.status.value,
        )
    was_scheduled = unlink.status is UnlinkStatus.SCHEDULED
    unlink = replace(
        unlink, status=UnlinkStatus.CANCELLED, cancelled_at=now, cancelled_by=who.actor
    )
    uow.unlinks.save(unlink)
    if was_scheduled:
        uow.timers.cancel(UNLINK_TIMER, unlink.id, now)
        shop = view.shop
        if shop.status is ShopStatus.CLOSING:
            if shop.funded_at is None:
                status = ShopStatus.PENDING_DEPOSIT
            elif shop.case is not None and shop.case.step is not None:
                status = ShopStatus.RESTRICTED
            else:
                status = ShopStatus.ACTIVE
            shop = replace(shop, status=status, orders_cutoff_at=None)
            uow.shops.save(shop)
            view = replace(view, shop=shop)
    _tell(uow, view, unlink, now, "cancelled")
    return view_of(uow, view, unlink, now)


# -- the full refund after unlinking (REF-1) ---------------------------------------------

REFUND_TIMER = "unlink.refund"  # timer kind: try the full refund again
REFUND_RETRY = timedelta(days=1)  # when nothing says when the blockers clear


def _system_owner(seller_id: str) -> Principal:
    """depositdesk applying for the seller's full refund at unlinking (audited as such)."""
    return Principal("system-unlink", Role.OWNER, seller_id, "unlink worker")


def apply_full_refund(
    uow: UnitOfWork, now: datetime, unlink: Unlink, *, quiet: bool = False
) -> Unlink:
    """REF-1 after UNL-7: apply for the full refund as soon as nothing blocks it;
    otherwise tell the seller what blocks it and when it clears, and try again then
    (or on the next day, or when an event clears a blocker)."""
    from depositdesk.domain.eligibility import RefundKind
    from depositdesk.services import refunds
    from depositdesk.services.eligibility import assess_shop

    view = load_shop(uow, None, now, unlink.shop_id, lock=True)
    if unlink.refund_id is not None:
        return unlink
    result = assess_shop(uow, view, now, RefundKind.FULL, None)
    if not result.eligible:
        codes = [b.code.value for b in result.blockers]
        if codes == ["no_deposit"] or quiet:
            return unlink  # nothing held; or an event's retry: the timer's notice stands
        retry = result.earliest_at or now + REFUND_RETRY
        retry = max(retry, now + timedelta(minutes=1))
        uow.timers.cancel(REFUND_TIMER, unlink.id, now)
        uow.timers.schedule(
            Timer.new(REFUND_TIMER, unlink.id, retry, now, {"shop_id": unlink.shop_id})
        )
        blockers = [f"{b.code.value}: {b.message}" for b in result.blockers]
        _tell(
            uow,
            view,
            unlink,
            now,
            "refund_blocked",
            blockers=blockers,
            clears_at=result.earliest_at,
            retry_at=retry,
        )
        return unlink
    system = _system_owner(unlink.seller_id)
    refund = refunds.apply(
        uow,
        system,
        now,
        unlink.shop_id,
        kind=RefundKind.FULL.value,
        category=None,
        reason=f"shop unlinked (unlink {unlink.id}): full deposit refund (REF-1)",
        idempotency_key=f"unlink:{unlink.id}:full-refund",
    )
    unlink = replace(unlink, refund_id=refund.refund.id)
    uow.unlinks.save(unlink)
    uow.timers.cancel(REFUND_TIMER, unlink.id, now)
    _tell(uow, view, unlink, now, "refund_applied", refund_id=refund.refund.id)
    return unlink


def on_refund_due(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    unlink = uow.unlinks.get(timer.subject, lock=True)
    if unlink is None or unlink.status is not UnlinkStatus.UNLINKED:
        return
    apply_full_refund(uow, now, unlink)


# -- verification (UNL-8) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verification:
    shop_id: str
    unlink_id: str | None
    shop_hidden: bool
    shop_status: str
    no_transactions_after_cutoff: bool
    cutoff_at: datetime | None
    orders_after_cutoff: tuple[str, ...]
    confirmation_sent: bool
    confirmation_notice_id: str | None
    confirmation_sent_at: datetime | None
    refund_id: str | None

    @property
    def ok(self) -> bool:
        return self.shop_hidden and self.no_transactions_after_cutoff and self.confirmation_sent


def verification(uow: UnitOfWork, who: Principal, now: datetime, shop_id: str) -> Verification:
    """UNL-8: gone from the seller's active shops, no order placed after the cutoff,
    the confirmation notice sent: one answer with the evidence of each."""
    view = load_shop(uow, who, now, shop_id)
    if not who.is_seller:
        require(who, *READERS)
    unlink = uow.unlinks.latest_for_shop(shop_id)
    if unlink is None:
        raise NotFound(f"shop {shop_id} has no unlink request")
    after = tuple(uow.unlinks.last_order_placed_after(shop_id, unlink.cutoff_at))
    notice = None
    if unlink.status is UnlinkStatus.UNLINKED:
        notice = next(
            (
                n
                for n in uow.notices.for_shops([shop_id], 200)
                if n.kind is NoticeKind.UNLINK
                and n.data.get("unlink_id") == unlink.id
                and n.data.get("event") == "unlinked"
            ),
            None,
        )
    return Verification(
        shop_id=shop_id,
        unlink_id=unlink.id,
        shop_hidden=view.shop.status is ShopStatus.UNLINKED,
        shop_status=view.shop.status.value,
        no_transactions_after_cutoff=not after,
        cutoff_at=unlink.cutoff_at,
        orders_after_cutoff=after,
        confirmation_sent=notice is not None,
        confirmation_notice_id=notice.id if notice else None,
        confirmation_sent_at=notice.created_at if notice else None,
        refund_id=unlink.refund_id,
    )


# -- escalation (UNL-9) and the reviewers' queue --------------------------------------------


@dataclass(frozen=True, slots=True)
class Escalation:
    id: str
    unlink_id: str
    message: str
    created_at: datetime
    bundle: dict[str, object]


def escalate(
    uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str, *, message: str
) -> Escalation:
    """UNL-9: the seller hands a stalled request to platform support with its
    documentation: the errors seen (checks not ok, actions that failed, refused
    calls), the checklist and the audit trail. It joins the reviewers' queue."""
    unlink, view = load_unlink(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    text = _text(message, "message")
    current = view_of(uow, view, unlink, now)
    checks = [
        {
            "area": a.area.value,
            "code": c.code.value,
            "status": c.status.value,
            "message": c.message,
            "records": list(c.records),
            "action": c.action,
        }
        for a in current.checklist.areas
        for c in a.checks
    ]
    trail = uow.audit.page(
        shop_id=unlink.shop_id, actor=None, since=None, before_seq=None, limit=200
    )
    errors: list[dict[str, object]] = [
        {"kind": "check", "code": c["code"], "status": c["status"], "message": c["message"]}
        for c in checks
        if c["status"] != "ok"
    ]
    for run_ in uow.unlinks.actions(unlink.id):
        if run_.result.get("error"):
            errors.append(
                {"kind": "action", "action": run_.action.value, "error": run_.result["error"]}
            )
    for r in trail:
        if r.action in ("access.refused",) or r.action.endswith("_refused"):
            errors.append(
                {"kind": "refused", "action": r.action, "at": time_data(r.at), "after": r.after}
            )
    bundle: dict[str, object] = {
        "unlink": {
            "id": unlink.id,
            "shop_id": unlink.shop_id,
            "status": unlink.status.value,
            "unlink_date": unlink.unlink_date.isoformat(),
            "cutoff_at": time_data(unlink.cutoff_at),
        },
        "errors": errors,
        "checklist": checks,
        "audit_trail": [
            {
                "seq": r.seq,
                "at": time_data(r.at),
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
            }
            for r in trail
        ],
    }
    esc = Escalation(new_ordered_id("esc"), unlink.id, text, now, bundle)
    uow.unlinks.add_escalation(esc.id, unlink.id, text, bundle, now, who.actor)
    uow.unlinks.save(replace(unlink, escalated_at=now))
    _publish(uow, unlink, now, f"escalated:{esc.id}")
    return esc


def review_queue(
    uow: UnitOfWork, who: Principal, now: datetime, *, statuses: list[str], limit: int
) -> list[UnlinkView]:
    """Requests held for review and escalated ones (`escalated`), oldest first; a
    seller sees its own."""
    if not who.is_seller:
        require(who, *READERS)
    known = {s.value for s in UnlinkStatus} | {"escalated"}
    for s in statuses:
        if s not in known:
            raise ValidationProblem(
                "status", "unlink_status", f"status is one of {', '.join(sorted(known))}"
            )
    wanted = [s for s in statuses if s != "escalated"]
    escalated = "escalated" in statuses or not statuses
    if not statuses:
        wanted = [UnlinkStatus.MANUAL_REVIEW.value]
    seller = who.seller_id if who.is_seller else None
    items = []
    for u in uow.unlinks.queue(wanted, escalated, seller, limit):
        view = load_shop(uow, None, now, u.shop_id)
        items.append(view_of(uow, view, u, now))
    return items


def refund_after_events(uow: UnitOfWork, now: datetime, shop_ids: set[str]) -> None:
    """REF-1 after UNL-7: an event that may have cleared the last blocker of an
    unlinked shop's full refund (an order delivered, a dispute closed, a fine paid)
    tries the application again at once."""
    for shop_id in sorted(shop_ids):
        unlink = uow.unlinks.latest_for_shop(shop_id)
        if unlink is not None and unlink.status is UnlinkStatus.UNLINKED and not unlink.refund_id:
            apply_full_refund(uow, now, unlink, quiet=True)
