"""Policy packs (POL-1) and the preview of a new version (POL-4)."""

from __future__ import annotations

from datetime import date

from depositdesk.domain.policy import PolicyPack
from depositdesk.domain.policy_impact import (
    CategoryImpact,
    Outcome,
    PolicyImpact,
    ShopImpact,
    Tally,
)
from depositdesk.domain.shop import ShopStatus
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out, PolicyRefOut, Time
from depositdesk.services.policies import PackInForce


class CategoryOut(Out):
    code: str
    name: str
    deposit: MoneyOut
    after_sales_days: int


class LadderStepOut(Out):
    step: str
    after_days: int


class PolicyOut(Out):
    pack: str
    version: int
    effective_from: date
    market_name: str
    currency: str
    country: str
    timezone: str
    categories: list[CategoryOut]
    review_sla_business_days: int
    payout_window_days: int
    bank_arrival_business_days: tuple[int, int]
    topup_grace_days: int
    closure_waiting_days: int
    closure_notice_days: int
    ladder: list[LadderStepOut]

    @classmethod
    def fields_of(cls, pack: PolicyPack) -> dict[str, object]:
        return {
            "pack": pack.pack,
            "version": pack.version,
            "effective_from": pack.effective_from,
            "market_name": pack.market_name,
            "currency": pack.currency,
            "country": pack.country,
            "timezone": pack.timezone,
            "categories": [
                CategoryOut(
                    code=c.code,
                    name=c.name,
                    deposit=MoneyOut.of(c.deposit),
                    after_sales_days=c.after_sales_days,
                )
                for c in pack.categories
            ],
            "review_sla_business_days": pack.review_sla_business_days,
            "payout_window_days": pack.payout_window_days,
            "bank_arrival_business_days": pack.bank_arrival_business_days,
            "topup_grace_days": pack.topup_grace_days,
            "closure_waiting_days": pack.closure_waiting_days,
            "closure_notice_days": pack.closure_notice_days,
            "ladder": [LadderStepOut(step=s.step, after_days=s.after_days) for s in pack.ladder],
        }

    @classmethod
    def of(cls, pack: PolicyPack) -> PolicyOut:
        return cls.model_validate(cls.fields_of(pack))


class PolicyPageOut(Out):
    items: list[PolicyOut]
    next_cursor: str | None = None

    @classmethod
    def of(cls, packs: list[PolicyPack]) -> PolicyPageOut:
        return cls(items=[PolicyOut.of(p) for p in packs])


class VersionOut(Out):
    version: int
    effective_from: date


class PolicyVersionsOut(PolicyOut):
    """The version in force, and every stored version of the pack."""

    versions: list[VersionOut]

    @classmethod
    def of_versions(cls, found: PackInForce) -> PolicyVersionsOut:
        versions = [
            VersionOut(version=p.version, effective_from=p.effective_from) for p in found.versions
        ]
        return cls.model_validate({**cls.fields_of(found.pack), "versions": versions})


class ShareOut(Out):
    """A number of shops and the exact total of their amounts."""

    shops: int
    total: MoneyOut


class TallyOut(Out):
    shops: int  # shops reviewed (terminated and unlinked ones are left out)
    topup: ShareOut  # shops that would get a top-up notice, and what the notices ask
    difference: ShareOut  # shops with part of the deposit refundable, and how much
    unchanged_shops: int
    becomes_funded_shops: int  # under-funded shops a lowered deposit funds again

    @classmethod
    def of(cls, tally: Tally) -> TallyOut:
        return cls(
            shops=tally.shops,
            topup=ShareOut(shops=tally.topup_shops, total=MoneyOut.of(tally.topup_total)),
            difference=ShareOut(
                shops=tally.difference_shops, total=MoneyOut.of(tally.difference_total)
            ),
            unchanged_shops=tally.unchanged_shops,
            becomes_funded_shops=tally.becomes_funded_shops,
        )


class CategoryImpactOut(TallyOut):
    """Shops grouped by the category that sets their new required deposit (DEP-1);
    `code` null groups the shops with no active category."""

    code: str | None
    name: str
    deposit_before: MoneyOut | None  # in the version replaced; null for a new category
    deposit_after: MoneyOut | None

    @classmethod
    def of_category(cls, c: CategoryImpact) -> CategoryImpactOut:
        return cls.model_validate(
            {
                **TallyOut.of(c.tally).model_dump(),
                "code": c.code,
                "name": c.name,
                "deposit_before": MoneyOut.of(c.deposit_before) if c.deposit_before else None,
                "deposit_after": MoneyOut.of(c.deposit_after) if c.deposit_after else None,
            }
        )


class ShopImpactOut(Out):
    shop_id: str
    seller_id: str
    status: ShopStatus
    category: str | None  # the category that sets the new required deposit
    required_before: MoneyOut
    required_after: MoneyOut
    held: MoneyOut
    receivable: MoneyOut
    outcome: Outcome
    amount: MoneyOut  # topup: owed (shortfall + receivable); difference: refundable
    due_at: Time | None  # topup: the notice's due date
    becomes_funded: bool

    @classmethod
    def of(cls, s: ShopImpact) -> ShopImpactOut:
        return cls(
            shop_id=s.shop_id,
            seller_id=s.seller_id,
            status=s.status,
            category=s.category,
            required_before=MoneyOut.of(s.required_before),
            required_after=MoneyOut.of(s.required_after),
            held=MoneyOut.of(s.held),
            receivable=MoneyOut.of(s.receivable),
            outcome=s.outcome,
            amount=MoneyOut.of(s.amount),
            due_at=s.due_at,
            becomes_funded=s.becomes_funded,
        )


class PolicyImpactOut(Out):
    """What loading the version would do (POL-4); nothing was stored."""

    pack: str
    version: int
    market_name: str
    currency: str
    effective_from: date
    takes_effect_at: Time  # now when already in force, else 00:00 UTC of effective_from
    in_force_now: bool
    replaces: PolicyRefOut | None  # the version in force when it takes effect
    total: TallyOut  # the whole market
    categories: list[CategoryImpactOut]
    shops: list[ShopImpactOut]  # the shops that would owe a top-up or get a difference
    left_out_shops: int  # terminated and unlinked shops, not reviewed

    @classmethod
    def of(cls, found: PolicyImpact) -> PolicyImpactOut:
        return cls(
            pack=found.pack.pack,
            version=found.pack.version,
            market_name=found.market_name,
            currency=found.currency,
            effective_from=found.effective_from,
            takes_effect_at=found.takes_effect_at,
            in_force_now=found.in_force_now,
            replaces=PolicyRefOut.of(found.replaces) if found.replaces else None,
            total=TallyOut.of(found.total),
            categories=[CategoryImpactOut.of_category(c) for c in found.categories],
            shops=[ShopImpactOut.of(s) for s in found.affected],
            left_out_shops=found.left_out,
        )
