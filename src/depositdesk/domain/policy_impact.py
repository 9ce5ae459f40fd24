"""What a new policy pack version would do to the shops of its market (POL-4 preview).

Pure: the service reads each shop's standing (active categories, held, receivable, the
open under-funding case) and hands it here with the version the new one replaces and
the new one itself. Nothing is stored; the answer is what loading the version would
do at the moment it takes effect, on today's balances.

Per shop (terminated and unlinked shops are left out, as the review leaves them):
- `topup` when the required deposit ROSE (DEP-1, the highest active category) and the
  seller would get a top-up notice (DEP-5): not while waiting for a first deposit
  (`pending_deposit`), only when the seller would owe something, and, with an
  under-funding case already open, only when it is more than that case's last notice
  asked. The amount is what the notice would ask: shortfall plus receivable
  (`funding.owed`), not only the rise.
- `difference` when the required deposit FELL and part of the held deposit becomes
  refundable (REF-2): `min(held, old required) - new required`, never below zero: the
  part the lowering frees, so a surplus the seller already had is not counted again.
  Paying it out still follows REF-2's conditions when the seller applies.
- `unchanged` otherwise: the same requirement; a rise the held deposit covers; a rise
  for a shop still waiting for its first deposit (that deposit will be the new
  figure); a fall that frees nothing because the shop was under-funded.

A fall that makes an under-funded shop funded again says so (`becomes_funded`): its
first deposit is complete (DEP-4) or its case closes and its steps are lifted (DEP-6).
Totals are per category (the category that sets the shop's NEW required deposit) and
for the whole market, in exact money (DEP-2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

from depositdesk.domain.enforcement import Case
from depositdesk.domain.funding import Cause, CauseKind, topup_demand
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.policy import Category, PolicyPack, PolicyRef
from depositdesk.domain.shop import ShopStatus

__all__ = [
    "CategoryImpact",
    "Outcome",
    "PolicyImpact",
    "ShopImpact",
    "ShopStanding",
    "Tally",
    "preview",
    "setting_category",
    "takes_effect_at",
]


class Outcome(StrEnum):
    TOPUP = "topup"  # POL-4 / DEP-5: a top-up notice
    DIFFERENCE = "difference"  # POL-4 / REF-2: part of the deposit becomes refundable
    UNCHANGED = "unchanged"  # nothing for the seller to pay or to ask back


@dataclass(frozen=True, slots=True)
class ShopStanding:
    """A shop as it stands today, as the preview needs it."""

    shop_id: str
    seller_id: str
    status: ShopStatus
    categories: tuple[str, ...]  # the active ones
    held: Money
    receivable: Money
    case: Case | None = None  # the open under-funding case (DEP-5/6), if any


@dataclass(frozen=True, slots=True)
class ShopImpact:
    shop_id: str
    seller_id: str
    status: ShopStatus
    category: str | None  # the category that sets the new required deposit (DEP-1)
    required_before: Money
    required_after: Money
    held: Money
    receivable: Money
    outcome: Outcome
    amount: Money  # topup: owed (shortfall + receivable); difference: refundable; else 0
    due_at: datetime | None  # topup: the notice's due date
    becomes_funded: bool  # a fall that funds an under-funded shop again


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts and exact totals of a group of shops."""

    shops: int
    topup_shops: int
    topup_total: Money
    difference_shops: int
    difference_total: Money
    unchanged_shops: int
    becomes_funded_shops: int

    @classmethod
    def of(cls, currency: str, impacts: Iterable[ShopImpact]) -> Tally:
        shops = topups = differences = unchanged = funded = 0
        topup_total = difference_total = Money.zero(currency)
        for s in impacts:
            shops += 1
            funded += s.becomes_funded
            if s.outcome is Outcome.TOPUP:
                topups += 1
                topup_total += s.amount
            elif s.outcome is Outcome.DIFFERENCE:
                differences += 1
                difference_total += s.amount
            else:
                unchanged += 1
        return cls(shops, topups, topup_total, differences, difference_total, unchanged, funded)


@dataclass(frozen=True, slots=True)
class CategoryImpact:
    """One category of the new version (or `code` None: shops with no active category)."""

    code: str | None
    name: str
    deposit_before: Money | None  # in the replaced version; None when it is new
    deposit_after: Money | None  # None for the no-category group
    tally: Tally


@dataclass(frozen=True, slots=True)
class PolicyImpact:
    pack: PolicyRef  # the new version
    market_name: str
    currency: str
    effective_from: date
    takes_effect_at: datetime  # now when already in force, else 00:00 UTC of effective_from
    in_force_now: bool  # loading it today reviews the shops at once (else on its date)
    replaces: PolicyRef | None  # the version in force when it takes effect
    shops: tuple[ShopImpact, ...]  # every shop reviewed, by id
    categories: tuple[CategoryImpact, ...]  # the new version's order, then no-category
    total: Tally  # the whole market
    left_out: int  # terminated and unlinked shops, not reviewed

    @property
    def affected(self) -> tuple[ShopImpact, ...]:
        """The shops that would owe a top-up or get a difference back."""
        return tuple(s for s in self.shops if s.outcome is not Outcome.UNCHANGED)


def takes_effect_at(pack: PolicyPack, now: datetime) -> datetime:
    """When loading `pack` now changes the shops: at once when its date has come,
    else at 00:00 UTC of `effective_from` (the timer of POL-4)."""
    if pack.starts_before(now):
        return now
    return datetime.combine(pack.effective_from, time(0), UTC)


def setting_category(pack: PolicyPack, active: Iterable[str]) -> Category | None:
    """DEP-1: the active category whose deposit is the shop's required deposit (the
    first of equal ones, in the order `required_deposit` reads them)."""
    best: Category | None = None
    for code in active:
        category = pack.category(code)
        if category is not None and (best is None or category.deposit.minor > best.deposit.minor):
            best = category
    return best


def _shop(
    standing: ShopStanding, before: PolicyPack, after: PolicyPack, at: datetime
) -> ShopImpact:
    old = before.required_deposit(standing.categories)
    new = after.required_deposit(standing.categories)
    zero = Money.zero(after.currency)
    old_pos = DepositPosition(old, standing.held, standing.receivable, zero)
    new_pos = DepositPosition(new, standing.held, standing.receivable, zero)
    outcome, amount, due_at = Outcome.UNCHANGED, zero, None
    if new.minor > old.minor:
        # Exactly what loading would notify: the rule of domain/funding.topup_demand.
        cause = Cause(CauseKind.POLICY_CHANGED, old, new, f"{after.pack} version {after.version}")
        demand = topup_demand(
            standing.status, new_pos, standing.case, at, after.topup_grace_days, cause
        )
        if demand is not None:
            outcome, amount, due_at = Outcome.TOPUP, demand.owed, demand.due_at
    elif new.minor < old.minor:
        covered = old if standing.held.minor >= old.minor else standing.held
        freed = (covered - new).max0()
        if freed.is_positive():
            outcome, amount = Outcome.DIFFERENCE, freed
    category = setting_category(after, standing.categories)
    return ShopImpact(
        shop_id=standing.shop_id,
        seller_id=standing.seller_id,
        status=standing.status,
        category=category.code if category is not None else None,
        required_before=old,
        required_after=new,
        held=standing.held,
        receivable=standing.receivable,
        outcome=outcome,
        amount=amount,
        due_at=due_at,
        becomes_funded=new.minor < old.minor and not old_pos.funded and new_pos.funded,
    )


def preview(
    after: PolicyPack,
    before: PolicyPack | None,
    standings: Iterable[ShopStanding],
    now: datetime,
) -> PolicyImpact:
    """POL-4 without storing anything: `after` replacing `before` (None: a new market,
    which has no shops yet) for the shops of the market as they stand now."""
    at = takes_effect_at(after, now)
    shops: list[ShopImpact] = []
    left_out = 0
    for standing in sorted(standings, key=lambda s: s.shop_id):
        if standing.status.is_final:
            left_out += 1
        elif before is not None:
            shops.append(_shop(standing, before, after, at))
    categories = [
        CategoryImpact(
            code=c.code,
            name=c.name,
            deposit_before=_deposit(before, c.code),
            deposit_after=c.deposit,
            tally=Tally.of(after.currency, (s for s in shops if s.category == c.code)),
        )
        for c in after.categories
    ]
    bare = [s for s in shops if s.category is None]
    if bare:
        categories.append(
            CategoryImpact(None, "no active category", None, None, Tally.of(after.currency, bare))
        )
    return PolicyImpact(
        pack=after.ref,
        market_name=after.market_name,
        currency=after.currency,
        effective_from=after.effective_from,
        takes_effect_at=at,
        in_force_now=after.starts_before(now),
        replaces=before.ref if before is not None else None,
        shops=tuple(shops),
        categories=tuple(categories),
        total=Tally.of(after.currency, shops),
        left_out=left_out,
    )


def _deposit(pack: PolicyPack | None, code: str) -> Money | None:
    category = pack.category(code) if pack is not None else None
    return category.deposit if category is not None else None
