"""Can this shop get its deposit back — and if not, why not and when? (REF-1..3)

The answer is computed from a `ShopFacts` snapshot that the repository reads
from the per-shop projection with indexed queries (EVT-3), so its cost does not
grow with the shop's history. Every blocker names its public `code`, its unlink
`area`, the records behind it and, where time alone clears it, `clears_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.shop import ShopStatus
from depositdesk.domain.shop_state import RecordKind


class RefundKind(StrEnum):
    FULL = "full"  # REF-1: the shop closes or its contract ended
    DIFFERENCE = "difference"  # REF-2: a costlier category stopped, or a policy lowered it


class Area(StrEnum):
    """The unlink areas (UNL-6b) a blocker belongs to, plus `deposit` itself."""

    DEPOSIT = "deposit"
    ACCOUNT_ACCESS = "account_access"
    FINANCIAL_RECONCILIATION = "financial_reconciliation"
    ORDER_COMPLETION = "order_completion"
    DATA_ARCHIVING = "data_archiving"
    POLICY_COMPLIANCE = "policy_compliance"
    NOTIFICATION_MANAGEMENT = "notification_management"


class BlockerCode(StrEnum):
    """Public blocker codes (domain.md, "Blocker codes"), in the order they are shown."""

    SHOP_NOT_CLOSING = "shop_not_closing"
    NO_DEPOSIT = "no_deposit"
    PENDING_REFUND = "pending_refund"
    CATEGORY_ACTIVE = "category_active"
    RECEIVABLE = "receivable"
    OUTSTANDING_CHARGES = "outstanding_charges"
    OPEN_ORDERS = "open_orders"
    AFTER_SALES_PERIOD = "after_sales_period"
    OPEN_AFTER_SALES_CASES = "open_after_sales_cases"
    OPEN_DISPUTES = "open_disputes"
    OPEN_COMPLAINTS = "open_complaints"
    UNPAID_FINES = "unpaid_fines"
    UNRECTIFIED_VIOLATIONS = "unrectified_violations"

    @property
    def area(self) -> Area:
        return BLOCKER_AREAS[self]


B = BlockerCode
BLOCKER_AREAS: dict[BlockerCode, Area] = {
    B.SHOP_NOT_CLOSING: Area.DEPOSIT,
    B.NO_DEPOSIT: Area.DEPOSIT,
    B.PENDING_REFUND: Area.DEPOSIT,
    B.CATEGORY_ACTIVE: Area.DEPOSIT,
    B.RECEIVABLE: Area.FINANCIAL_RECONCILIATION,
    B.OUTSTANDING_CHARGES: Area.FINANCIAL_RECONCILIATION,
    B.OPEN_ORDERS: Area.ORDER_COMPLETION,
    B.AFTER_SALES_PERIOD: Area.ORDER_COMPLETION,
    B.OPEN_AFTER_SALES_CASES: Area.ORDER_COMPLETION,
    B.OPEN_DISPUTES: Area.ORDER_COMPLETION,
    B.OPEN_COMPLAINTS: Area.ORDER_COMPLETION,
    B.UNPAID_FINES: Area.POLICY_COMPLIANCE,
    B.UNRECTIFIED_VIOLATIONS: Area.POLICY_COMPLIANCE,
}
_ORDER = {code: i for i, code in enumerate(BlockerCode)}

# An open record of each kind blocks with this code; support tickets block nothing.
RECORD_BLOCKERS: dict[RecordKind, BlockerCode] = {
    RecordKind.AFTER_SALES_CASE: B.OPEN_AFTER_SALES_CASES,
    RecordKind.DISPUTE: B.OPEN_DISPUTES,
    RecordKind.COMPLAINT: B.OPEN_COMPLAINTS,
    RecordKind.FINE: B.UNPAID_FINES,
    RecordKind.VIOLATION: B.UNRECTIFIED_VIOLATIONS,
    RecordKind.CHARGE: B.OUTSTANDING_CHARGES,
}
# REF-2: a difference refund counts only the category's orders, their after-sales
# periods, cases and disputes.
DIFFERENCE_RECORD_KINDS: tuple[RecordKind, ...] = (RecordKind.AFTER_SALES_CASE, RecordKind.DISPUTE)
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
    status: ShopStatus
    now: datetime
    position: DepositPosition  # required with the categories as they are
    required_without: Money | None = None  # (difference) with the category stopped
    category: str | None = None
    category_active: bool = False
    records: dict[BlockerCode, RecordSet] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Blocker:
    code: BlockerCode
    message: str
    records: tuple[str, ...]
    count: int
    clears_at: datetime | None

    @property
    def area(self) -> Area:
        return self.code.area


@dataclass(frozen=True, slots=True)
class Eligibility:
    kind: RefundKind
    eligible: bool
    amount: Money
    blockers: tuple[Blocker, ...]
    earliest_at: datetime | None

    def codes(self) -> list[BlockerCode]:
        return [b.code for b in self.blockers]


def _count(n: int, noun: str, scope: str = "") -> str:
    """'1 order in category X is' / '3 orders in category X are'."""
    return f"{n} {noun if n == 1 else noun + 's'}{scope} {'is' if n == 1 else 'are'}"


def _message(code: BlockerCode, facts: ShopFacts, rs: RecordSet) -> str:
    n = rs.count
    them = "it" if n == 1 else "them"
    scope = f" in category {facts.category}" if facts.category else ""
    when = f" The last one ends {rs.clears_at:%Y-%m-%d %H:%M} UTC." if rs.clears_at else ""
    above = " above the required deposit" if facts.required_without is not None else ""
    messages: dict[str, str] = {
        "shop_not_closing": "A full refund is only paid when the shop is closing: start "
        "unlinking the shop, or wait for its contract to end.",
        "no_deposit": f"There is no deposit to refund{above}.",
        "pending_refund": "An application for this refund is already being handled; "
        "follow it instead of applying again.",
        "category_active": f"Category {facts.category} still has listings. Stop selling in it "
        "(delist its products) before asking for the difference back.",
        "receivable": f"You owe {facts.position.receivable} to the platform (consumer compensation "
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


FULL_RECORD_CODES: tuple[BlockerCode, ...] = (
    B.OUTSTANDING_CHARGES,
    B.OPEN_ORDERS,
    B.AFTER_SALES_PERIOD,
    B.OPEN_AFTER_SALES_CASES,
    B.OPEN_DISPUTES,
    B.OPEN_COMPLAINTS,
    B.UNPAID_FINES,
    B.UNRECTIFIED_VIOLATIONS,
)
DIFFERENCE_RECORD_CODES: tuple[BlockerCode, ...] = (
    B.OPEN_ORDERS,
    B.AFTER_SALES_PERIOD,
    *(RECORD_BLOCKERS[k] for k in DIFFERENCE_RECORD_KINDS),
)


def assess(kind: RefundKind, facts: ShopFacts) -> Eligibility:
    """REF-1 (kind full) or REF-2 (kind difference) with REF-3's reasons."""
    blockers: list[Blocker] = []

    def block(code: BlockerCode, rs: RecordSet = EMPTY) -> None:
        blockers.append(Blocker(code, _message(code, facts, rs), rs.ids, rs.count, rs.clears_at))

    held = facts.position.held
    if kind is RefundKind.FULL:
        amount = held.max0()
        if not facts.status.is_closing:
            block(B.SHOP_NOT_CLOSING)
        codes = FULL_RECORD_CODES
    else:
        if facts.required_without is None:
            raise ValueError("a difference refund needs the required deposit without the category")
        amount = (held - facts.required_without).max0()
        if facts.category_active:
            block(B.CATEGORY_ACTIVE)
        codes = DIFFERENCE_RECORD_CODES
    if not amount.is_positive():
        block(B.NO_DEPOSIT)
    pending = facts.records.get(B.PENDING_REFUND, EMPTY)
    if pending.count:
        block(B.PENDING_REFUND, pending)
    if facts.position.receivable.is_positive():
        block(B.RECEIVABLE)
    for code in codes:
        rs = facts.records.get(code, EMPTY)
        if rs.count:
            block(code, rs)
    blockers.sort(key=lambda b: _ORDER[b.code])
    eligible = not blockers
    if eligible:
        earliest: datetime | None = facts.now
    elif all(b.clears_at is not None for b in blockers):
        earliest = max(b.clears_at for b in blockers if b.clears_at is not None)
    else:
        earliest = None
    return Eligibility(kind, eligible, amount, tuple(blockers), earliest)
