"""Eligibility as a use case: read the projection, assess, add the timeline (REF-1..3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from depositdesk.domain.calendar import BusinessCalendar
from depositdesk.domain.clock import rfc3339
from depositdesk.domain.eligibility import Eligibility, ShopFacts, assess
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.policy import PolicyPack
from depositdesk.services.access import Principal
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shops import load_shop, position


def eligibility(
    uow: UnitOfWork,
    principal: Principal,
    now: datetime,
    shop_id: str,
    kind: str,
    category: str | None,
    what_if: str | None,
) -> dict[str, Any]:
    view = load_shop(uow, principal, shop_id, now)
    if kind not in ("full", "difference"):
        raise ValidationProblem("kind", "refund_kind", "kind must be 'full' or 'difference'")
    if what_if not in (None, "stop"):
        raise ValidationProblem("what_if", "what_if", "what_if may only be 'stop'")
    if kind == "difference":
        if not category:
            raise ValidationProblem(
                "category", "required", "a difference refund names the category it leaves"
            )
        if view.pack.category(category) is None:
            raise ValidationProblem(
                "category",
                "known_category",
                f"{category!r} is not a category of the {view.pack.pack} pack",
            )
    elif category is not None or what_if is not None:
        raise ValidationProblem(
            "category", "difference_only", "category and what_if apply to kind=difference only"
        )
    pos = position(uow, view)
    records = uow.projection.blocking_records(
        shop_id, now, category if kind == "difference" else None
    )
    required_without = None
    active = False
    if kind == "difference":
        active = category in view.active and what_if != "stop"
        required_without = view.pack.required_deposit(c for c in view.active if c != category)
    facts = ShopFacts(
        shop_id=shop_id,
        status=view.row["status"],
        now=now,
        held=pos.held,
        receivable=pos.receivable,
        required=pos.required,
        required_without=required_without,
        category=category,
        category_active=active,
        records=records,
    )
    result = assess(kind, facts)
    return eligibility_json(result, view.pack, now, category, what_if)


def timeline(pack: PolicyPack, apply_at: datetime) -> dict[str, Any]:
    """What follows an application made at `apply_at` (REF-5, REF-6), by the
    market's business-day calendar."""
    cal = BusinessCalendar(pack.country, pack.timezone)
    review_due = cal.business_deadline(apply_at, pack.review_sla_business_days)
    low, high = pack.bank_arrival_business_days
    return {
        "apply_from": rfc3339(apply_at),
        "review_due_by": rfc3339(review_due),
        "payout_due_by": rfc3339(review_due + timedelta(days=pack.payout_window_days)),
        "bank_arrival_after_approval_business_days": [low, high],
    }


def eligibility_json(
    result: Eligibility, pack: PolicyPack, now: datetime, category: str | None, what_if: str | None
) -> dict[str, Any]:
    return {
        "kind": result.kind,
        "category": category,
        "what_if": what_if,
        "eligible": result.eligible,
        "amount": result.amount.as_json(),
        "blockers": [
            {
                "code": b.code,
                "area": b.area,
                "message": b.message,
                "records": list(b.records),
                "count": b.count,
                "clears_at": rfc3339(b.clears_at),
            }
            for b in result.blockers
        ],
        "earliest_at": rfc3339(result.earliest_at),
        "timeline": timeline(pack, result.earliest_at) if result.earliest_at else None,
        "as_of": rfc3339(now),
        "policy": {"pack": pack.pack, "version": pack.version},
    }
