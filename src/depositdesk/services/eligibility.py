"""Eligibility as a use case: read the projection, assess, add the timeline (REF-1..3)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from depositdesk.domain.eligibility import (
    BlockerCode,
    Eligibility,
    RecordSet,
    RefundKind,
    ShopFacts,
    assess,
)
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.money import check_currency
from depositdesk.domain.payouts import PayoutEstimate
from depositdesk.domain.policy import PolicyRef
from depositdesk.domain.refunds import Refund, RefundTimeline, timeline
from depositdesk.services.access import Principal
from depositdesk.services.funding import position
from depositdesk.services.payout_estimates import estimate_payout
from depositdesk.services.ports.rates import RateSource
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop


class WhatIf(StrEnum):
    STOP = "stop"  # answer as if the category were stopped now


@dataclass(frozen=True, slots=True)
class EligibilityAnswer:
    result: Eligibility
    category: str | None
    what_if: WhatIf | None
    timeline: RefundTimeline | None  # what follows an application made at earliest_at
    as_of: datetime
    policy: PolicyRef
    # REF-7 before applying: what a refund of the amount would send and what arrives,
    # to the original route or an account in the currency asked about.
    payout: PayoutEstimate | None = None


def _choice(enum: type[RefundKind] | type[WhatIf], value: str, field: str, rule: str) -> str:
    values = [m.value for m in enum]
    if value not in values:
        raise ValidationProblem(
            field, rule, f"{field} must be {' or '.join(repr(v) for v in values)}"
        )
    return value


def eligibility(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    kind: str,
    category: str | None = None,
    what_if: str | None = None,
    currency: str | None = None,
    rates: RateSource | None = None,
) -> EligibilityAnswer:
    """REF-1..3; with `rates`, also what the payout would be (REF-7): to the original
    route, or to an account in `currency` when given."""
    view = load_shop(uow, who, now, shop_id)
    dest_currency = check_currency(currency, "currency") if currency else view.pack.currency
    refund_kind = RefundKind(_choice(RefundKind, kind, "kind", "refund_kind"))
    stop = WhatIf(_choice(WhatIf, what_if, "what_if", "what_if")) if what_if is not None else None
    if refund_kind is RefundKind.DIFFERENCE:
        if not category:
            # REF-2 "or a policy lowers it": no category left, the lowered requirement.
            if stop is not None:
                raise ValidationProblem(
                    "category", "required", "what_if=stop names the category to stop"
                )
        elif view.pack.category(category) is None:
            raise ValidationProblem(
                "category",
                "known_category",
                f"{category!r} is not a category of the {view.pack.pack} pack",
            )
    elif category is not None or stop is not None:
        raise ValidationProblem(
            "category", "difference_only", "category and what_if apply to kind=difference only"
        )
    result = assess_shop(uow, view, now, refund_kind, category, stopped=stop is not None)
    payout = None
    if rates is not None:
        # No currency: the original route (in the deposit's currency); with one: an
        # account the seller would name, not known yet.
        account = view.shop.payin_route if currency is None else None
        payout = estimate_payout(view, result.amount, dest_currency, account, rates, now)
    return EligibilityAnswer(
        result=result,
        category=category,
        what_if=stop,
        timeline=timeline(view.pack, result.earliest_at) if result.earliest_at else None,
        as_of=now,
        policy=view.policy,
        payout=payout,
    )


def assess_shop(
    uow: UnitOfWork,
    view: ShopView,
    now: datetime,
    kind: RefundKind,
    category: str | None,
    *,
    stopped: bool = False,
    ignoring: Refund | None = None,
) -> Eligibility:
    """REF-1..3 for a loaded shop. `stopped` answers as if the category were stopped
    now; `ignoring` re-checks an application at decision time (REF-5): its own
    reservation counts as held again and it is not a pending refund."""
    difference = kind is RefundKind.DIFFERENCE
    pos = position(uow, view)
    if ignoring is not None:
        pos = replace(pos, held=pos.held + ignoring.amount)
    if difference and category is None:
        # A policy lowered the requirement (REF-2): no category is left, so no order or
        # case blocks; the deposit's own blockers (receivable, pending refund) still do.
        records = {}
    else:
        scope = category if difference else None
        records = uow.projection.blocking_records(view.shop.id, now, scope)
    pending = [
        i for i in uow.refunds.open_ids(view.shop.id, kind) if ignoring is None or i != ignoring.id
    ]
    if pending:
        records = {**records, BlockerCode.PENDING_REFUND: RecordSet.of(pending)}
    facts = ShopFacts(
        shop_id=view.shop.id,
        status=view.shop.status,
        now=now,
        position=pos,
        required_without=(
            view.pack.required_deposit(c for c in view.categories if c != category)
            if difference
            else None
        ),
        category=category,
        category_active=difference and category in view.categories and not stopped,
        records=records,
    )
    return assess(kind, facts)
