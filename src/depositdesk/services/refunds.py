"""Refund applications: apply, follow, withdraw, review (REF-3..5, REF-7a, REF-8).

An application is gated by eligibility (REF-3: no early refund, ever) and reserves
its amount in the ledger in the same transaction, so a deduction arriving before
the payout takes only what is left of the deposit. The reviewer's decision re-checks
eligibility as if the application were not there (its reservation counted as held
again); a rejection or withdrawal releases the reservation. Payouts follow an
approval (REF-6, next slice).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from depositdesk.domain.calendar import BusinessCalendar
from depositdesk.domain.eligibility import Blocker, RefundKind
from depositdesk.domain.errors import Conflict, NotEligible, NotFound, ValidationProblem
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.ledger import refund_release_entry, refund_reserve_entry
from depositdesk.domain.money import Money, check_currency
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.payouts import Payout, PayoutStatus
from depositdesk.domain.refunds import (
    ORIGINAL_ROUTE,
    REJECTION_MESSAGES,
    Destination,
    Refund,
    RefundStatus,
    RefundStep,
    RejectionCode,
    SlaState,
    sla_state,
    timeline,
)
from depositdesk.domain.security_signals import SecuritySignal, SignalKind
from depositdesk.domain.timers import Timer
from depositdesk.services.access import (
    Principal,
    Role,
    require,
    require_shop_role,
    require_step_up,
)
from depositdesk.services.attachments import owned_by
from depositdesk.services.eligibility import assess_shop
from depositdesk.services.money_moves import check_idempotency_key, replay, request_hash
from depositdesk.services.notices import issue_notice
from depositdesk.services.paging import CreatedCursor, Page
from depositdesk.services.payout_estimates import payout_route
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop, load_shop_of
from depositdesk.services.webhooks import money_data, publish, time_data

APPLICANTS = (Role.OWNER, Role.ADMIN)  # REF-4: the shop owner or an admin
REVIEWERS = (Role.REVIEWER, Role.PLATFORM_ADMIN)
# interface.md "seller, platform": every platform role, the marketplace's own systems
# (integration) included, follows refunds.
READERS = (Role.PLATFORM_ADMIN, Role.REVIEWER, Role.AUDITOR, Role.INTEGRATION)
MAX_TEXT = 2000
REVIEW_TIMER = "refund.review_due"  # timer kind: an application's review is due


@dataclass(frozen=True, slots=True)
class RefundView:
    """An application as its reader sees it, with its timeline and review clock."""

    refund: Refund
    steps: tuple[RefundStep, ...]
    sla: SlaState | None  # while submitted
    expected_arrival: tuple[int, int]  # business days after paying (REF-6)
    payout: Payout | None = None
    # REF-6: the account paid (the payout's, else where it would go today); None
    # when the original route is asked for and no pay-in named its account.
    account: str | None = None
    # REF-7: the fee the receiving bank takes (the payout's, else the policy's today).
    bank_fee: Money | None = None
    # UNL-1: the seller's security signals within the policy's window (a payout
    # account changed), for the reviewer and the seller to see.
    signals: tuple[SecuritySignal, ...] = ()


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationProblem(field, "required", f"{field} is required")
        return None
    if len(text) > MAX_TEXT:
        raise ValidationProblem(field, "max_length", f"at most {MAX_TEXT} characters")
    return text


def _destination(
    view: ShopView, account: str | None, currency: str | None, reason: str | None
) -> Destination:
    """The original pay-in route by default; another account only with a reason."""
    if account is None:
        if currency is not None or reason is not None:
            raise ValidationProblem(
                "destination.account", "required", "name the account the currency belongs to"
            )
        return Destination(ORIGINAL_ROUTE, view.pack.currency)
    why = _text(reason, "destination.reason", required=True)
    code = check_currency(currency or view.pack.currency, "destination.currency")
    return Destination(account, code, why)


def _signals(uow: UnitOfWork, view: ShopView, now: datetime) -> tuple[SecuritySignal, ...]:
    """UNL-1: the seller's security signals within the pack's window."""
    window = timedelta(days=view.pack.security.payout_account_change_days)
    return tuple(uow.signals.since(view.shop.seller_id, now - window))


def _view(
    uow: UnitOfWork,
    refund: Refund,
    now: datetime,
    pack_view: ShopView,
    signals: tuple[SecuritySignal, ...] | None = None,
) -> RefundView:
    """`signals`: the seller's, when the caller read them once for a whole page."""
    calendar = BusinessCalendar(pack_view.pack.country, pack_view.pack.timezone)
    sla = (
        sla_state(refund.review_due_at, now, calendar)
        if refund.status is RefundStatus.SUBMITTED
        else None
    )
    payout = uow.payouts.for_refund(refund.id)
    return RefundView(
        refund,
        tuple(uow.refunds.steps(refund.id)),
        sla,
        pack_view.pack.bank_arrival_business_days,
        payout,
        payout.route if payout else payout_route(pack_view, refund.destination),
        payout.fee if payout else pack_view.pack.bank_fee(refund.destination.currency),
        signals if signals is not None else _signals(uow, pack_view, now),
    )


def record_step(
    uow: UnitOfWork,
    view: ShopView,
    refund: Refund,
    now: datetime,
    note: str,
    by: str,
    payout: Payout | None = None,
) -> None:
    """A timeline line, the seller's notice (EN/ZH, emailed) and `refund.<status>`;
    a payout step's notice says what was sent, at which rate, and the bank's fee."""
    uow.refunds.add_step(refund.id, RefundStep(now, refund.status, note, by))
    _tell(uow, view, refund, now, refund.status.value, payout)


def _tell(
    uow: UnitOfWork,
    view: ShopView,
    refund: Refund,
    now: datetime,
    event: str,
    payout: Payout | None = None,
) -> None:
    data: dict[str, str | int] = {
        "refund_id": refund.id,
        "event": event,
        "amount_minor": refund.amount.minor,
        "currency": refund.amount.currency,
    }
    if payout is not None:
        data["payout_id"] = payout.id
        if payout.dest_amount is not None:
            data["sent_minor"] = payout.dest_amount.minor
            data["sent_currency"] = payout.dest_amount.currency
        if payout.fee is not None:
            data["bank_fee_minor"] = payout.fee.minor
            data["bank_fee_currency"] = payout.fee.currency
    due = refund.payout_due_at if event == "approved" else refund.review_due_at
    issue_notice(
        uow,
        view,
        NoticeKind.REFUND,
        now,
        data,
        due,
        refund=refund,
        event=event,
        sla_days=view.pack.review_sla_business_days,
        arrival=view.pack.bank_arrival_business_days,
        payout=payout,
    )
    publish(
        uow,
        f"refund.{event}",
        f"{refund.id}:{event}",
        {
            "refund_id": refund.id,
            "shop_id": refund.shop_id,
            "kind": refund.kind.value,
            "status": refund.status.value,
            "amount": money_data(refund.amount),
            "review_due_at": time_data(refund.review_due_at),
        },
        now,
    )


def on_review_due(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    """REF-5: the review's due time passed; a still-submitted application is late:
    the seller is told (the queue shows it `late`)."""
    refund = uow.refunds.get(timer.subject, lock=True)
    if refund is None or refund.status is not RefundStatus.SUBMITTED:
        return
    view = load_shop(uow, None, now, refund.shop_id)
    _tell(uow, view, refund, now, "review_late")


def _blocked(result_blockers: tuple[Blocker, ...], what: str) -> NotEligible:
    codes = ", ".join(b.code.value for b in result_blockers)
    return NotEligible(f"{what}: not eligible yet ({codes})", result_blockers)


def apply(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    kind: str,
    category: str | None,
    reason: str,
    destination_account: str | None = None,
    destination_currency: str | None = None,
    destination_reason: str | None = None,
    attachment_ids: list[str] | None = None,
    idempotency_key: str | None,
) -> RefundView:
    """REF-3/REF-4: apply for a refund; the amount is what eligibility says, reserved."""
    view = load_shop(uow, who, now, shop_id, lock=True)
    require_shop_role(who, view.shop.seller_id, shop_id, APPLICANTS, ())
    key = check_idempotency_key(idempotency_key)
    fingerprint = request_hash(
        "refund",
        shop_id,
        kind,
        category,
        reason,
        destination_account,
        destination_currency,
        destination_reason,
        sorted(attachment_ids or []),
    )
    scope = f"{who.party}:refunds"
    stored = replay(uow, scope, key, fingerprint, str)
    if stored is not None:
        return get_refund(uow, who, now, stored)
    refund_kind = _kind(kind)
    if refund_kind is RefundKind.DIFFERENCE:
        # No category: the requirement a policy lowered (REF-2).
        if category is not None and view.pack.category(category) is None:
            raise ValidationProblem(
                "category", "known_category", f"name a category of the {view.pack.pack} pack"
            )
    elif category is not None:
        raise ValidationProblem("category", "difference_only", "a full refund names no category")
    text = _text(reason, "reason", required=True)
    assert text is not None
    destination = _destination(view, destination_account, destination_currency, destination_reason)
    if not destination.original:
        # Changing where money goes is sensitive: a signed-in user passes the second
        # factor within the policy's minutes first (issue 10's step-up).
        require_step_up(
            who, now, view.pack.security.step_up_minutes, "paying a refund to another account"
        )
    # REF-4: proof files the seller's users uploaded (another's or unknown: refused).
    proofs = owned_by(uow, view.shop.seller_id, attachment_ids or [])
    attachments = tuple(a.id for a in proofs)
    result = assess_shop(uow, view, now, refund_kind, category)
    if not result.eligible:
        raise _blocked(result.blockers, f"shop {shop_id}")
    refund = Refund(
        id=new_ordered_id("ref"),
        shop_id=shop_id,
        kind=refund_kind,
        category=category,
        amount=result.amount,
        reason=text,
        destination=destination,
        attachment_ids=attachments,
        status=RefundStatus.SUBMITTED,
        submitted_at=now,
        submitted_by=who.actor,
        review_due_at=timeline(view.pack, now).review_due_by,
        policy=view.policy,
    )
    uow.refunds.add(refund)
    if not destination.original:
        # UNL-1: another account than the deposit's is a security signal: a sensitive
        # request (an unlink) within the policy's window waits for a person.
        uow.signals.add(
            SecuritySignal(
                id=new_ordered_id("sig"),
                seller_id=view.shop.seller_id,
                shop_id=shop_id,
                kind=SignalKind.PAYOUT_ACCOUNT_CHANGED,
                source=f"refund:{refund.id}",
                detail=(
                    f"refund {refund.id} is to be paid to account {destination.route} "
                    f"({destination.currency}) instead of the account the deposit came "
                    f"from: {destination.change_reason}"
                ),
                at=now,
            )
        )
    uow.ledger.post(
        shop_id, refund_reserve_entry(refund.amount, refund.id), now, f"refund:{refund.id}"
    )
    note = (
        f"{refund.amount} applied for and reserved; review due by {time_data(refund.review_due_at)}"
    )
    if not destination.original:
        note += f"; paid to account {destination.route} ({destination.change_reason})"
    record_step(uow, view, refund, now, note, who.actor)
    uow.timers.schedule(
        Timer.new(REVIEW_TIMER, refund.id, refund.review_due_at, now, {"shop_id": shop_id})
    )
    uow.idempotency.put(scope, key, fingerprint, refund.id, now)
    return _view(uow, refund, now, view)


def _kind(kind: str) -> RefundKind:
    try:
        return RefundKind(kind)
    except ValueError:
        raise ValidationProblem(
            "kind", "refund_kind", "kind must be 'full' or 'difference'"
        ) from None


def _load(
    uow: UnitOfWork, who: Principal, now: datetime, refund_id: str, lock: bool = False
) -> tuple[Refund, ShopView]:
    refund = uow.refunds.get(refund_id, lock=lock)
    if refund is None:
        raise NotFound(f"refund {refund_id} not found")
    return refund, load_shop_of(uow, who, now, refund.shop_id, f"refund {refund_id}", lock)


def get_refund(uow: UnitOfWork, who: Principal, now: datetime, refund_id: str) -> RefundView:
    """REF-8: status, timeline and due dates (sellers: their own shops' only)."""
    refund, view = _load(uow, who, now, refund_id)
    if not who.is_seller:
        require(who, *READERS)
    return _view(uow, refund, now, view)


def list_refunds(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    cursor: CreatedCursor | None,
    limit: int,
) -> Page[RefundView]:
    view = load_shop(uow, who, now, shop_id)
    if not who.is_seller:
        require(who, *READERS)
    rows = uow.refunds.for_shop(shop_id, cursor, limit + 1)
    signals = _signals(uow, view, now)  # one seller: read once for the page
    items = [_view(uow, r, now, view, signals) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(tuple(items), CreatedCursor(last.submitted_at, last.id) if last else None)


def withdraw(uow: UnitOfWork, who: Principal, now: datetime, refund_id: str) -> RefundView:
    """REF-7a: the seller takes back an application before it is approved."""
    refund, view = _load(uow, who, now, refund_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, APPLICANTS, ())
    if refund.status is RefundStatus.WITHDRAWN:
        return _view(uow, refund, now, view)
    if refund.status is not RefundStatus.SUBMITTED:
        raise Conflict(
            f"refund {refund_id} is {refund.status}; only a submitted one can be withdrawn"
        )
    refund = replace(refund, status=RefundStatus.WITHDRAWN, decided_at=now, decided_by=who.actor)
    _release(uow, refund, now, "withdrawn")
    uow.refunds.save(refund)
    uow.timers.cancel(REVIEW_TIMER, refund.id, now)
    note = f"withdrawn by the seller; {refund.amount} back to the deposit"
    record_step(uow, view, refund, now, note, who.actor)
    return _view(uow, refund, now, view)


def _release(uow: UnitOfWork, refund: Refund, now: datetime, why: str) -> None:
    entry = refund_release_entry(refund.amount, refund.id, why)
    uow.ledger.post(refund.shop_id, entry, now, f"refund:{refund.id}:{why}")


def decide(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    refund_id: str,
    *,
    decision: str,
    reason_code: str | None = None,
    message: str | None = None,
) -> RefundView:
    """REF-5: approve (eligibility re-checked now) or reject with a code and a message
    the seller can act on. A receivable or a new unrectified violation blocks approval."""
    require(who, *REVIEWERS)
    refund, view = _load(uow, who, now, refund_id, lock=True)
    retry = refund.status is RefundStatus.FAILED  # REF-6: a failed payout is back in review
    if refund.status is not RefundStatus.SUBMITTED and not retry:
        raise Conflict(f"refund {refund_id} is {refund.status}; it was decided already")
    note_text = _text(message, "message", required=False)
    payout: Payout | None = None
    if decision == "approve":
        if reason_code is not None:
            raise ValidationProblem("reason_code", "reject_only", "a reason code is for rejections")
        result = assess_shop(uow, view, now, refund.kind, refund.category, ignoring=refund)
        if not result.eligible:
            raise _blocked(result.blockers, f"refund {refund_id} cannot be approved")
        window = timedelta(days=view.pack.payout_window_days)
        refund = replace(
            refund,
            status=RefundStatus.APPROVED,
            decided_at=now,
            decided_by=who.actor,
            message=note_text,
            payout_due_at=now + window,
        )
        uow.refunds.save(refund)
        payout = _payout_for(uow, view, refund, now)
        note = f"approved; payout due by {time_data(now + window)}"
        if payout.route is None:
            note += "; no pay-in named the account the deposit came from"
        if payout.fee is not None:
            note += f"; the receiving bank's fee: {payout.fee}"
    elif decision == "reject":
        try:
            code = RejectionCode(reason_code or "")
        except ValueError:
            codes = ", ".join(c.value for c in RejectionCode)
            raise ValidationProblem("reason_code", "rejection_code", f"one of {codes}") from None
        words = note_text or REJECTION_MESSAGES[code]
        refund = replace(
            refund,
            status=RefundStatus.REJECTED,
            decided_at=now,
            decided_by=who.actor,
            reason_code=code,
            message=words,
        )
        _release(uow, refund, now, "rejected")
        uow.refunds.save(refund)
        note = f"rejected ({code}): {words}"
    else:
        raise ValidationProblem("decision", "decision", "decision must be 'approve' or 'reject'")
    uow.timers.cancel(REVIEW_TIMER, refund.id, now)
    record_step(uow, view, refund, now, note, who.actor, payout)
    return _view(uow, refund, now, view)


def _payout_for(uow: UnitOfWork, view: ShopView, refund: Refund, now: datetime) -> Payout:
    """A pending payout for an approved refund (REF-6), with the account it pays and
    the bank fee the policy says that account's bank charges (REF-7), both fixed now.
    Each try has its own payout key, never reused: a payout that failed at the bank
    is tried again under a new one."""
    route = payout_route(view, refund.destination)
    fee = view.pack.bank_fee(refund.destination.currency)
    earlier = uow.payouts.for_refund(refund.id)
    if earlier is not None:
        payout = replace(
            earlier,
            payout_key=f"dd-{refund.id}-{earlier.attempts + 1}",
            status=PayoutStatus.PENDING,
            dest_amount=None,
            fx=None,
            sent_at=None,
            settled_at=None,
            bank_reference=None,
            failure_reason=None,
            route=route,
            fee=fee,
        )
        uow.payouts.save(payout)
        return payout
    payout = Payout(
        id=new_ordered_id("po"),
        refund_id=refund.id,
        payout_key=f"dd-{refund.id}",
        shop_id=refund.shop_id,
        amount=refund.amount,
        dest_currency=refund.destination.currency,
        status=PayoutStatus.PENDING,
        attempts=0,
        created_at=now,
        route=route,
        fee=fee,
    )
    uow.payouts.add(payout)
    return payout


def review_queue(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    limit: int,
    cursor: CreatedCursor | None = None,
) -> Page[RefundView]:
    """REF-5: submitted applications, the one due first at the top, with SLA state;
    paged by (review due time, id)."""
    require(who, *REVIEWERS)
    rows = uow.refunds.pending_review(cursor, limit + 1)
    items = []
    by_seller: dict[tuple[str, int], tuple[SecuritySignal, ...]] = {}
    for refund in rows[:limit]:
        view = load_shop(uow, None, now, refund.shop_id)
        key = (view.shop.seller_id, view.pack.security.payout_account_change_days)
        if key not in by_seller:  # each seller's signals read once for the page
            by_seller[key] = _signals(uow, view, now)
        items.append(_view(uow, refund, now, view, by_seller[key]))
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(tuple(items), CreatedCursor(last.review_due_at, last.id) if last else None)
