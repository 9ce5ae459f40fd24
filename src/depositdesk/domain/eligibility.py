"""Can this shop get its deposit back — and if not, why not and when? (REF-1..3)

The answer is computed from a `ShopFacts` snapshot that the repository reads
from the per-shop projection with indexed queries (EVT-3), so its cost does not
grow with the shop's history. Every blocker names its public `code`, its unlink
`area`, the records behind it and, where time alone clears it, `clears_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from depositdesk.domain.money import Money

# Blocker code -> unlink area (domain.md, "Blocker codes").
BLOCKER_AREAS: dict[str, str] = {
    "shop_not_closing": "deposit",
    "no_deposit": "deposit",
    "pending_refund": "deposit",
    "category_active": "deposit",
    "receivable": "financial_reconciliation",
    "outstanding_charges": "financial_reconciliation",
    "open_orders": "order_completion",
    "after_sales_period": "order_completion",
    "open_after_sales_cases": "order_completion",
    "open_disputes": "order_completion",
    "open_complaints": "order_completion",
    "unpaid_fines": "policy_compliance",
    "unrectified_violations": "policy_compliance",
}

CLOSING_STATUSES = frozenset({"closing", "unlinked", "terminated"})
MAX_RECORDS = 100


@dataclass(frozen=True, slots=True)
class RecordSet:
    """Ids of blocking records (at most MAX_RECORDS of them) and how many there are."""

    ids: tuple[str, ...] = ()
    count: int = 0
    clears_at: datetime | None = None  # only where time alone clears them

    @classmethod
    def of(
        cls,
        ids: list[str] | tuple[str, ...],
        count: int | None = None,
        clears_at: datetime | None = None,
    ) -> RecordSet:
        return cls(tuple(ids[:MAX_RECORDS]), len(ids) if count is None else count, clears_at)


EMPTY = RecordSet()


@dataclass(frozen=True, slots=True)
class ShopFacts:
    """What eligibility needs to know about a shop, read at one moment."""

    shop_id: str
    status: str
    now: datetime
    held: Money
    receivable: Money
    required: Money  # with the categories as they are
    required_without: Money | None = None  # (difference) with the category stopped
    category: str | None = None
    category_active: bool = False
    records: dict[str, RecordSet] = field(default_factory=dict)  # blocker code -> records


@dataclass(frozen=True, slots=True)
class Blocker:
    code: str
    area: str
    message: str
    records: tuple[str, ...]
    count: int
    clears_at: datetime | None


@dataclass(frozen=True, slots=True)
class Eligibility:
    kind: str
    eligible: bool
    amount: Money
    blockers: tuple[Blocker, ...]
    earliest_at: datetime | None

    def codes(self) -> list[str]:
        return [b.code for b in self.blockers]


def _count(n: int, noun: str, scope: str = "") -> str:
    """'1 order in category X is' / '3 orders in category X are'."""
    return f"{n} {noun if n == 1 else noun + 's'}{scope} {'is' if n == 1 else 'are'}"


def _message(code: str, facts: ShopFacts, rs: RecordSet) -> str:
    n = rs.count
    them = "it" if n == 1 else "them"
    scope = f" in category {facts.category}" if facts.category else ""
    when = f" The last one ends {rs.clears_at:%Y-%m-%d %H:%M} UTC." if rs.clears_at else ""
    above = " above the required deposit" if facts.required_without is not None else ""
    messages = {
        "shop_not_closing": "A full refund is only paid when the shop is closing: start "
        "unlinking the shop, or wait for its contract to end.",
        "no_deposit": f"There is no deposit to refund{above}.",
        "pending_refund": "An application for this refund is already being handled; "
        "follow it instead of applying again.",
        "category_active": f"Category {facts.category} still has listings. Stop selling in it "
        "(delist its products) before asking for the difference back.",
        "receivable": f"You owe {facts.receivable} to the platform (consumer compensation "
        "beyond your deposit). Pay it in first.",
        "outstanding_charges": f"{_count(n, 'charge')} billed and unpaid (advertising, "
        f"commission or fees). Settle {them} first.",
        "open_orders": f"{_count(n, 'order', scope)} not delivered or cancelled yet. "
        f"Fulfil or cancel {them}.",
        "after_sales_period": f"{_count(n, 'order', scope)} still in the after-sales period.{when}",
        "open_after_sales_cases": f"{_count(n, 'after-sales case', scope)} open. Resolve {them}.",
        "open_disputes": f"{_count(n, 'dispute', scope)} open. Resolve {them}.",
        "open_complaints": f"{_count(n, 'consumer complaint')} open. Resolve {them}.",
        "unpaid_fines": f"{_count(n, 'fine')} unpaid. Pay {them}.",
        "unrectified_violations": f"{_count(n, 'violation')} not rectified. Rectify {them} "
        "(pay the fines, delist the offending products).",
    }
    return messages[code]


FULL_RECORD_CODES: tuple[str, ...] = (
    "outstanding_charges",
    "open_orders",
    "after_sales_period",
    "open_after_sales_cases",
    "open_disputes",
    "open_complaints",
    "unpaid_fines",
    "unrectified_violations",
)
# REF-2: only the category's orders, their after-sales periods, cases and disputes.
DIFFERENCE_RECORD_CODES: tuple[str, ...] = (
    "open_orders",
    "after_sales_period",
    "open_after_sales_cases",
    "open_disputes",
)


def assess(kind: str, facts: ShopFacts) -> Eligibility:
    """REF-1 (kind "full") or REF-2 (kind "difference") with REF-3's reasons."""
    blockers: list[Blocker] = []

    def block(code: str, rs: RecordSet = EMPTY) -> None:
        blockers.append(
            Blocker(
                code, BLOCKER_AREAS[code], _message(code, facts, rs), rs.ids, rs.count, rs.clears_at
            )
        )

    if kind == "full":
        amount = facts.held.max0()
        if facts.status not in CLOSING_STATUSES:
            block("shop_not_closing")
        codes = FULL_RECORD_CODES
    elif kind == "difference":
        assert facts.required_without is not None
        amount = (facts.held - facts.required_without).max0()
        if facts.category_active:
            block("category_active")
        codes = DIFFERENCE_RECORD_CODES
    else:
        raise ValueError(f"unknown refund kind {kind!r}")
    if not amount.is_positive():
        block("no_deposit")
    pending = facts.records.get("pending_refund", EMPTY)
    if pending.count:
        block("pending_refund", pending)
    if facts.receivable.is_positive():
        block("receivable")
    for code in codes:
        rs = facts.records.get(code, EMPTY)
        if rs.count:
            block(code, rs)
    blockers.sort(key=lambda b: list(BLOCKER_AREAS).index(b.code))
    eligible = not blockers
    if eligible:
        earliest: datetime | None = facts.now
    elif all(b.clears_at is not None for b in blockers):
        earliest = max(b.clears_at for b in blockers if b.clears_at is not None)
    else:
        earliest = None
    return Eligibility(kind, eligible, amount, tuple(blockers), earliest)
