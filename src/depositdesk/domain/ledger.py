"""Balanced, immutable journal entries on per-shop accounts (DEP-3, DEP-4, DEP-8).

Signs follow double-entry bookkeeping from the platform's side: a debit is
positive, a credit negative, and every entry sums to zero per currency.
`cash` and `receivable` are assets of the platform (normally positive);
`deposit_held` and `proceeds` are what the platform owes the seller (normally
negative). So a paid-in deposit of 5000.00 shows as cash +5000.00 and
deposit_held -5000.00. A balance is the sum of its account's postings; the database
keeps it as a running balance, updated with each entry (adapters/db/ledger_repo.py),
and a property test holds the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from depositdesk.domain.money import Money


class Account(StrEnum):
    CASH = "cash"  # money the platform holds for this shop (asset)
    DEPOSIT_HELD = "deposit_held"  # the security deposit owed back to the seller (liability)
    RECEIVABLE = "receivable"  # what the seller owes the platform (asset, DEP-8)
    PROCEEDS = "proceeds"  # the seller's sales proceeds held by the platform (liability)
    REFUND_RESERVED = "refund_reserved"  # deposit promised back by an open application


# Accounts whose natural balance is a credit: shown to people with the sign flipped.
CREDIT_NORMAL = frozenset({Account.DEPOSIT_HELD, Account.PROCEEDS, Account.REFUND_RESERVED})


class EntryKind(StrEnum):
    PAYIN = "payin"
    VIOLATION_DEDUCTION = "violation_deduction"
    PROCEEDS_AVAILABLE = "proceeds_available"
    OFFSET = "offset"  # DEP-7: the shortfall taken from sales proceeds
    VIOLATION_RETURN = "violation_return"  # DEP-9: a deduction given back after rectification
    REFUND_RESERVE = "refund_reserve"  # REF-4: an application's amount set aside
    REFUND_RELEASE = "refund_release"  # REF-5: rejected or withdrawn, back to the deposit
    REFUND_PAYOUT = "refund_payout"  # REF-6: the bank paid the seller
    ORDER_REFUND = "order_refund"  # UNL-3: an order cancelled at unlinking, refunded in full
    PROCEEDS_WITHDRAWAL = "proceeds_withdrawal"  # UNL-2: proceeds paid out to the seller


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    amount: Money


class UnbalancedEntry(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class JournalEntry:
    kind: EntryKind
    memo: str
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if len(self.postings) < 2:
            raise UnbalancedEntry("an entry needs at least two postings")
        totals: dict[str, int] = {}
        moves = False
        for posting in self.postings:
            amount = posting.amount
            totals[amount.currency] = totals.get(amount.currency, 0) + amount.minor
            moves = moves or amount.minor != 0
        unbalanced = {c: t for c, t in totals.items() if t != 0}
        if unbalanced:
            raise UnbalancedEntry(f"postings do not sum to zero: {unbalanced}")
        if not moves:
            raise UnbalancedEntry("an entry must move money")


def entry(kind: EntryKind, memo: str, *postings: tuple[Account, Money]) -> JournalEntry:
    """Build an entry, leaving out zero postings."""
    return JournalEntry(kind, memo, tuple([Posting(a, m) for a, m in postings if m.minor != 0]))


# Sum of postings per (account, currency), in minor units.
Balances = Mapping[tuple[Account, str], int]

# No account of a shop may hold more than this, either way, in minor units: a
# balance and any sum of its postings stay far inside a 64-bit integer (9.2e18),
# on every database, whatever order the postings are added in.
BALANCE_LIMIT_MINOR = 10**17


def balance_past_limit(before: Balances, entry: JournalEntry) -> tuple[Account, Money] | None:
    """The first account this entry would take past BALANCE_LIMIT_MINOR, with the
    balance it would reach; None when every balance stays inside."""
    for posting in entry.postings:
        key = (posting.account, posting.amount.currency)
        after = before.get(key, 0) + posting.amount.minor
        if abs(after) > BALANCE_LIMIT_MINOR:
            return posting.account, Money(posting.amount.currency, after)
    return None


def balances(postings: Iterable[Posting]) -> dict[tuple[Account, str], int]:
    """Sum of postings per (account, currency), in minor units."""
    totals: dict[tuple[Account, str], int] = defaultdict(int)
    for posting in postings:
        totals[(posting.account, posting.amount.currency)] += posting.amount.minor
    return dict(totals)


@dataclass(frozen=True, slots=True)
class RecordedEntry:
    """A journal entry as stored: its id, when it was booked and what caused it."""

    id: int
    shop_id: str
    at: datetime
    kind: EntryKind
    memo: str
    source: str  # `event:<id>` or `payin:<Idempotency-Key>`
    postings: tuple[Posting, ...]


@dataclass(frozen=True, slots=True)
class DepositPosition:
    """What the deposit page shows: held, owed, and how they compare to required."""

    required: Money
    held: Money
    receivable: Money
    proceeds: Money

    @property
    def shortfall(self) -> Money:
        return (self.required - self.held).max0()

    @property
    def funded(self) -> bool:
        return self.held.minor >= self.required.minor and self.receivable.minor <= 0

    @classmethod
    def from_balances(cls, required: Money, totals: Balances) -> DepositPosition:
        cur = required.currency
        return cls(
            required,
            balance_of(totals, Account.DEPOSIT_HELD, cur),
            balance_of(totals, Account.RECEIVABLE, cur),
            balance_of(totals, Account.PROCEEDS, cur),
        )


def balance_of(totals: Balances, account: Account, currency: str) -> Money:
    """An account's balance the way its holder reads it: credit-normal accounts (the
    deposit held, proceeds) with their sign turned, so what is held reads positive."""
    raw = totals.get((account, currency), 0)
    return Money(currency, -raw if account in CREDIT_NORMAL else raw)


def payin_entry(amount: Money, receivable: Money, reference: str) -> JournalEntry:
    """DEP-4 with DEP-8: a pay-in first repays what the seller owes, then fills the deposit.

    The receivable is money the platform already paid consumers on the seller's
    behalf, so it is repaid before the deposit counts as refilled.
    """
    repay = min(amount.minor, max(receivable.minor, 0))
    memo = f"pay-in {reference}"
    if repay:
        memo += f" ({Money(amount.currency, repay)} repays the amount owed)"
    return _repay_then_refill(EntryKind.PAYIN, memo, Account.CASH, amount, receivable)


def violation_deduction(
    loss: Money, held: Money, violation_id: str, violation_type: str
) -> tuple[JournalEntry, Money, Money]:
    """DEP-8: the consumer's actual loss is paid from the deposit; what the deposit
    cannot cover becomes a receivable the seller owes on top of refilling it. The
    entry, with what the deposit covered and what became a receivable."""
    covered_minor = min(loss.minor, max(held.minor, 0))
    covered = Money(loss.currency, covered_minor)
    uncovered = Money(loss.currency, loss.minor - covered_minor)
    booked = entry(
        EntryKind.VIOLATION_DEDUCTION,
        f"violation {violation_id} ({violation_type}): consumer compensated {loss}",
        (Account.CASH, -loss),
        (Account.DEPOSIT_HELD, covered),
        (Account.RECEIVABLE, uncovered),
    )
    return booked, covered, uncovered


def proceeds_entry(amount: Money, event_id: str) -> JournalEntry:
    return entry(
        EntryKind.PROCEEDS_AVAILABLE,
        f"sales proceeds available (event {event_id})",
        (Account.CASH, amount),
        (Account.PROCEEDS, -amount),
    )


def _repay_then_refill(
    kind: EntryKind, memo: str, source: Account, amount: Money, receivable: Money
) -> JournalEntry:
    """Money from `source` first repays what the seller owes, then refills the deposit
    (the order of DEP-8: the receivable was paid out to consumers already)."""
    repay = Money(amount.currency, min(amount.minor, max(receivable.minor, 0)))
    return entry(
        kind,
        memo,
        (source, amount),
        (Account.RECEIVABLE, -repay),
        (Account.DEPOSIT_HELD, -(amount - repay)),
    )


def offset_entry(amount: Money, receivable: Money, event_id: str) -> JournalEntry:
    """DEP-7: the platform takes what the seller owes from available sales proceeds."""
    return _repay_then_refill(
        EntryKind.OFFSET,
        f"shortfall {amount} taken from sales proceeds (event {event_id})",
        Account.PROCEEDS,
        amount,
        receivable,
    )


def violation_return_entry(amount: Money, receivable: Money, violation_id: str) -> JournalEntry:
    """DEP-9: the platform gives back part or all of a deduction after rectification.

    The platform's own money comes into the shop's cash; it first cancels what the
    seller still owes, then goes back to the held deposit.
    """
    return _repay_then_refill(
        EntryKind.VIOLATION_RETURN,
        f"violation {violation_id} rectified: {amount} of the deduction returned",
        Account.CASH,
        amount,
        receivable,
    )


def refund_reserve_entry(amount: Money, refund_id: str) -> JournalEntry:
    """REF-4: the application's amount leaves the held deposit for the reservation, so
    a deduction arriving before the payout can never spend it (DEP-8 takes what is
    left of the deposit, the rest becoming a receivable)."""
    return entry(
        EntryKind.REFUND_RESERVE,
        f"refund {refund_id}: {amount} reserved for the application",
        (Account.DEPOSIT_HELD, amount),
        (Account.REFUND_RESERVED, -amount),
    )


def refund_release_entry(amount: Money, refund_id: str, why: str) -> JournalEntry:
    """REF-5: a rejected or withdrawn application gives its reservation back."""
    return entry(
        EntryKind.REFUND_RELEASE,
        f"refund {refund_id} {why}: {amount} back to the deposit",
        (Account.REFUND_RESERVED, amount),
        (Account.DEPOSIT_HELD, -amount),
    )


def order_refund_entry(amount: Money, proceeds: Money, order_id: str) -> JournalEntry:
    """UNL-3: an order that cannot be fulfilled is cancelled and its customer refunded
    in full. The money comes out of the seller's sales proceeds; what they cannot
    cover the seller owes the platform (a receivable, settled by a pay-in, DEP-8)."""
    covered = Money(amount.currency, min(amount.minor, max(proceeds.minor, 0)))
    return entry(
        EntryKind.ORDER_REFUND,
        f"order {order_id} cancelled at unlinking: {amount} refunded to the customer",
        (Account.CASH, -amount),
        (Account.PROCEEDS, covered),
        (Account.RECEIVABLE, amount - covered),
    )


def proceeds_withdrawal_entry(amount: Money, payout_key: str) -> JournalEntry:
    """UNL-2: the seller's available sales proceeds leave the platform to the seller's
    payout account (the gateway pays `payout_key` at most once)."""
    return entry(
        EntryKind.PROCEEDS_WITHDRAWAL,
        f"sales proceeds {amount} withdrawn ({payout_key})",
        (Account.PROCEEDS, amount),
        (Account.CASH, -amount),
    )
