"""Policy packs (POL-1)."""

from __future__ import annotations

from datetime import date

from depositdesk.domain.policy import PolicyPack
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out
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
