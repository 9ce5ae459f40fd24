"""Difference refunds offered to the seller (REF-2, POL-4).

When a shop stops selling in the category that set its required deposit (the
`category.stopped` event, or its categories set without it) or a policy version
lowers its requirement, part of what it holds may come back. When REF-2 holds for
it, the seller gets one `difference_available` notice with the amount and how to
apply; the application itself is still theirs to make (REF-4) and is checked again
then (REF-3).

- **A category stopped.** REF-2 is asked for that category (its orders finished,
  its after-sales periods over, its cases and disputes resolved). When only time
  stands in the way (an after-sales period that ends on a date), a timer at that
  date (`OFFER_TIMER`) asks again and offers then. Several categories stopped at
  once make one offer, for the one with the highest deposit (the one that set the
  requirement, DEP-1).
- **A policy lowered the requirement.** Nothing is left, so no category's records
  are asked for: the difference `held - new required` must be positive, with no
  receivable and no difference application already open.

Each offer is made once: per category, and per policy version (the notice's
`data.offer` says which, and earlier notices are looked at before writing one).
A leaving shop (closing, terminated, unlinked) is offered nothing: its whole
deposit comes back under REF-1.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from depositdesk.domain.eligibility import (
    BlockerCode,
    Eligibility,
    RecordSet,
    RefundKind,
    ShopFacts,
    assess,
)
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.policy import PolicyBook, PolicyRef
from depositdesk.domain.policy_impact import setting_category
from depositdesk.domain.timers import Timer
from depositdesk.services.eligibility import assess_shop
from depositdesk.services.funding import position
from depositdesk.services.notices import issue_notice
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop

OFFER_TIMER = "difference.offer"  # timer kind: a stopped category's blockers clear by then


@dataclass(frozen=True, slots=True)
class DifferenceOffer:
    """What the notice says: the amount that can come back and why."""

    amount: Money  # held - new required (REF-2)
    held: Money
    before: Money  # the required deposit before the stop or the new version
    required: Money  # the required deposit now
    category: str | None  # the stopped category's code; None: a policy lowered it
    category_name: str | None
    policy: PolicyRef | None  # the version that lowered it; None: a category stopped

    @property
    def key(self) -> str:
        """What an offer is made once for (the notice's `data.offer`)."""
        return _key(self.category, self.policy)


def _key(category: str | None, policy: PolicyRef | None) -> str:
    if category:
        return f"category:{category}"
    assert policy is not None
    return f"policy:{policy.pack}:{policy.version}"


def offer_after_stops(
    uow: UnitOfWork, stopped: Mapping[str, Collection[str]], now: datetime, book: PolicyBook
) -> None:
    """After ingestion stopped categories (`category.stopped`): shop id -> the
    categories that were active and are stopped now."""
    for shop_id in sorted(stopped):
        view = load_shop(uow, None, now, shop_id, book=book)
        offer_after_stop(uow, view, stopped[shop_id], now)


def offer_after_stop(
    uow: UnitOfWork, view: ShopView, stopped: Collection[str], now: datetime
) -> None:
    """`stopped` were active until now; `view` is the shop without them. Offer the
    difference when stopping them lowered the required deposit and REF-2 holds."""
    if not stopped or view.shop.status.is_closing:
        return
    before = view.pack.required_deposit([*view.categories, *stopped])
    if before.minor <= view.required.minor:
        return  # a cheaper category stopped: the requirement is what it was
    category = setting_category(view.pack, stopped)
    if category is not None:
        _offer_category(uow, view, category.code, now)


def offer_after_lowering(uow: UnitOfWork, view: ShopView, before: Money, now: datetime) -> None:
    """POL-4: the version in force (`view.pack`) lowered the shop's required deposit
    from `before`; offer the difference when it can be applied for now."""
    shop = uow.shops.get(view.shop.id)  # as the funding review may have left it
    if shop is None or shop.status.is_closing or view.required.minor >= before.minor:
        return
    view = replace(view, shop=shop)
    if _offered(uow, view.shop.id, _key(None, view.policy)):
        return
    result = _lowered(uow, view, now)
    if result.eligible:
        _tell(uow, view, now, result, before, None, view.policy)


def on_offer_due(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    """The blockers of a stopped category's difference were due to clear: ask again.
    Nothing when the shop sells in it again or is leaving (the reason went away)."""
    shop_id, category = str(timer.payload["shop_id"]), str(timer.payload["category"])
    if uow.shops.get(shop_id) is None:
        return
    view = load_shop(uow, None, now, shop_id, lock=True)
    if category in view.categories or view.shop.status.is_closing:
        return
    _offer_category(uow, view, category, now)


def _offered(uow: UnitOfWork, shop_id: str, key: str) -> bool:
    earlier = uow.notices.of_kind(shop_id, NoticeKind.DIFFERENCE_AVAILABLE)
    return any(n.data.get("offer") == key for n in earlier)


def _offer_category(uow: UnitOfWork, view: ShopView, category: str, now: datetime) -> None:
    """REF-2 for a stopped category: offer it, or wait for the date its blockers
    clear; blockers that need the seller's action (an open order, case or dispute,
    a receivable, an application already made) leave nothing to offer yet."""
    shop_id = view.shop.id
    if _offered(uow, shop_id, _key(category, None)):
        return
    result = assess_shop(uow, view, now, RefundKind.DIFFERENCE, category)
    subject = f"{shop_id}:{category}"
    if result.eligible:
        uow.timers.cancel(OFFER_TIMER, subject, now)
        before = view.pack.required_deposit([*view.categories, category])
        _tell(uow, view, now, result, before, category, None)
    elif result.earliest_at is not None:
        uow.timers.cancel(OFFER_TIMER, subject, now)
        payload: dict[str, object] = {"shop_id": shop_id, "category": category}
        uow.timers.schedule(Timer.new(OFFER_TIMER, subject, result.earliest_at, now, payload))


def _lowered(uow: UnitOfWork, view: ShopView, now: datetime) -> Eligibility:
    """REF-2 for a lowered requirement: no category is left, so only the deposit's own
    blockers count (nothing above the requirement, a receivable, an open application)."""
    pending = uow.refunds.open_ids(view.shop.id, RefundKind.DIFFERENCE)
    records = {BlockerCode.PENDING_REFUND: RecordSet.of(pending)} if pending else {}
    facts = ShopFacts(
        shop_id=view.shop.id,
        status=view.shop.status,
        now=now,
        position=position(uow, view),
        required_without=view.required,
        records=records,
    )
    return assess(RefundKind.DIFFERENCE, facts)


def _tell(
    uow: UnitOfWork,
    view: ShopView,
    now: datetime,
    result: Eligibility,
    before: Money,
    category: str | None,
    policy: PolicyRef | None,
) -> None:
    known = view.pack.category(category) if category else None
    offer = DifferenceOffer(
        amount=result.amount,
        held=position(uow, view).held,
        before=before,
        required=view.required,
        category=category,
        category_name=known.name if known else None,
        policy=policy,
    )
    data: dict[str, str | int] = {
        "offer": offer.key,
        "amount_minor": offer.amount.minor,
        "currency": offer.amount.currency,
        "required_minor": offer.required.minor,
    }
    if category:
        data["category"] = category
    issue_notice(
        uow,
        view,
        NoticeKind.DIFFERENCE_AVAILABLE,
        now,
        data,
        None,
        offer=offer,
        sla_days=view.pack.review_sla_business_days,
    )
