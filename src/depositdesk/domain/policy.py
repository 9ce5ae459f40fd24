"""Policy packs: one versioned TOML document per market (rules POL-1..3, DEP-1).

Every figure marked *policy* in domain.md lives here as data, never as a constant
in code. Computations record the (pack, version) they used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from depositdesk.domain.errors import NotFound
from depositdesk.domain.money import Money, major

# The largest single amount (a pay-in, a loss, proceeds) a pack may allow, and the
# default when a pack names none: 10^12 whole units of its currency.
DEFAULT_MAX_AMOUNT_UNITS = 10**12
# DEP-9: days after a violation during which a rectified deduction may be returned,
# when a pack names none (an EXAMPLE value, like the packs' own).
DEFAULT_RECTIFICATION_DAYS = 30
# UNL-6/UNL-7: new orders stop this many days before the unlink date (the cutoff).
DEFAULT_UNLINK_CUTOFF_DAYS = 1
MAX_AMOUNT_CAP_MINOR = 10**15

# DEP-6a: the public ladder step codes, in the order they escalate.
LADDER_STEPS: tuple[str, ...] = (
    "warning",
    "listing_suspended",
    "delisted",
    "rights_suspended",
    "programs_suspended",
    "marketplace_suspended",
)


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    deposit: Money
    after_sales_days: int


@dataclass(frozen=True, slots=True)
class LadderStep:
    step: str
    after_days: int  # days after the top-up due date


@dataclass(frozen=True, slots=True)
class BankFee:
    """REF-7, POL-2: what the bank of a destination account in `fee.currency`
    charges on an incoming refund. The seller bears it: it is shown before applying
    and recorded with the payout, and the ledger is not touched (the platform sends
    the whole amount; the receiving bank takes its fee)."""

    fee: Money  # in the destination account's currency

    @property
    def currency(self) -> str:
        return self.fee.currency


@dataclass(frozen=True, slots=True)
class SecurityThresholds:
    step_up_minutes: int
    payout_account_change_days: int
    max_failed_second_factor: int
    lock_minutes: int


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """The (pack, version) a computation used (POL-1)."""

    pack: str
    version: int


@dataclass(frozen=True, slots=True)
class PolicyPack:
    pack: str
    version: int
    effective_from: date
    currency: str
    market_name: str
    country: str  # ISO 3166 code for the business-day calendar
    timezone: str
    categories: tuple[Category, ...]
    review_sla_business_days: int
    payout_window_days: int
    bank_arrival_business_days: tuple[int, int]
    topup_grace_days: int
    closure_waiting_days: int
    closure_notice_days: int
    ladder: tuple[LadderStep, ...]
    security: SecurityThresholds
    closure_violation_types: tuple[str, ...] = ()
    max_amount: Money | None = None  # None: DEFAULT_MAX_AMOUNT_UNITS of the currency
    rectification_days: int = DEFAULT_RECTIFICATION_DAYS  # DEP-9
    unlink_cutoff_days: int = DEFAULT_UNLINK_CUTOFF_DAYS  # UNL-7: cutoff before unlinking
    bank_fees: tuple[BankFee, ...] = ()  # REF-7: by destination currency
    source: str = field(default="", compare=False, repr=False)

    @property
    def ref(self) -> PolicyRef:
        return PolicyRef(self.pack, self.version)

    @property
    def amount_limit(self) -> Money:
        """The largest single amount taken in this market: a pay-in, a consumer's
        loss, a fine, a charge, proceeds."""
        return self.max_amount or major(self.currency, DEFAULT_MAX_AMOUNT_UNITS)

    def category(self, code: str) -> Category | None:
        for category in self.categories:
            if category.code == code:
                return category
        return None

    def bank_fee(self, dest_currency: str) -> Money | None:
        """REF-7: the fee the bank of an account in `dest_currency` charges, if any."""
        for fee in self.bank_fees:
            if fee.currency == dest_currency:
                return fee.fee
        return None

    def category_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    def required_deposit(self, active: Iterable[str]) -> Money:
        """DEP-1: the highest deposit among the active categories, not the sum."""
        best = Money.zero(self.currency)
        for code in active:
            category = self.category(code)
            if category is not None and category.deposit.minor > best.minor:
                best = category.deposit
        return best

    def after_sales_period(self, code: str | None) -> timedelta:
        """After-sales period of a category; the longest of the pack when unknown.

        An order whose `order.placed` has not arrived yet has no category; the
        longest period keeps eligibility on the safe side until it does (EVT-2).
        """
        category = self.category(code) if code is not None else None
        if category is not None:
            return timedelta(days=category.after_sales_days)
        return timedelta(days=max(c.after_sales_days for c in self.categories))

    def starts_before(self, at: datetime) -> bool:
        return self.effective_from <= at.date()


class PolicyBook:
    """Every loaded version of every pack, read once per unit of work."""

    def __init__(self, versions: Iterable[PolicyPack]) -> None:
        self.by_pack: dict[str, list[PolicyPack]] = {}
        for pack in sorted(versions, key=lambda p: (p.pack, p.version)):
            self.by_pack.setdefault(pack.pack, []).append(pack)

    def names(self) -> list[str]:
        return sorted(self.by_pack)

    def versions(self, pack: str) -> list[PolicyPack]:
        return list(self.by_pack.get(pack, ()))

    def in_force(self, pack: str, at: datetime) -> PolicyPack:
        """POL-1: the newest version whose effective_from has come."""
        versions = self.by_pack.get(pack)
        if not versions:
            raise NotFound(
                f"policy pack {pack!r} not found; loaded packs: {', '.join(self.names()) or 'none'}"
            )
        current = versions[0]
        for version in versions:
            if version.starts_before(at):
                current = version
        return current

    def first(self, pack: str) -> PolicyPack:
        """The oldest stored version of a pack (the start of its market)."""
        return self.in_force(pack, datetime.min)

    def latest(self, pack: str) -> PolicyPack | None:
        versions = self.by_pack.get(pack)
        return versions[-1] if versions else None
