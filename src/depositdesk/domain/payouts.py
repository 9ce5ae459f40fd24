"""Payouts of approved refunds (REF-6, REF-7): one per approval, paid once by its key.

A payout is `pending` until the worker takes it, `sending` while the gateway is
asked (a lease: a worker that dies mid-send leaves it to be sent again, with the
same payout key, which the gateway pays at most once), `sent` once the gateway took
it, then `paid` or `failed` by the bank's answer. The exchange rate of the day it is
sent is stored with it (REF-7); the ledger stays in the deposit's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from depositdesk.domain.ledger import Account, EntryKind, JournalEntry, entry
from depositdesk.domain.money import Money


class PayoutStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Fx:
    rate: Decimal
    rate_date: date  # the day whose rate was used (a weekend uses Friday's)
    source: str


@dataclass(frozen=True, slots=True)
class Payout:
    id: str
    refund_id: str
    payout_key: str  # unique: the gateway pays a key at most once
    shop_id: str
    amount: Money  # in the deposit's currency
    dest_currency: str
    status: PayoutStatus
    attempts: int
    created_at: datetime
    dest_amount: Money | None = None  # what the bank transfers (REF-7)
    fx: Fx | None = None
    fee: Money | None = None
    sent_at: datetime | None = None  # also the lease start while `sending`
    settled_at: datetime | None = None
    bank_reference: str | None = None
    failure_reason: str | None = None
    # The account paid (route text), fixed when the payout is made: the seller's
    # named account, or the one the deposit came from (a pay-in's `payer`); None when
    # the original route is asked for and no pay-in named its account.
    route: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutEstimate:
    """REF-7, shown before applying: what a refund of `amount` would send to an
    account in `currency` at today's rate, what that account's bank takes, and what
    arrives. Indicative: the payout uses the rate of the day it is sent."""

    currency: str
    sent: Money | None  # None: no rate for today
    fx: Fx | None  # None: same currency, or no rate
    bank_fee: Money | None
    arrives: Money | None  # sent minus the fee, never below zero
    account: str | None  # the account paid; None: the original route, unknown


def estimate(
    sent: Money | None, fx: Fx | None, bank_fee: Money | None, account: str | None, currency: str
) -> PayoutEstimate:
    arrives = sent
    if sent is not None and bank_fee is not None and bank_fee.currency == sent.currency:
        arrives = Money(sent.currency, max(sent.minor - bank_fee.minor, 0))
    return PayoutEstimate(currency, sent, fx, bank_fee, arrives, account)


def payout_entry(amount: Money, refund_id: str, bank_reference: str) -> JournalEntry:
    """REF-6: the reserved deposit leaves the platform to the seller's bank."""
    return entry(
        EntryKind.REFUND_PAYOUT,
        f"refund {refund_id} paid out ({amount}, bank reference {bank_reference})",
        (Account.REFUND_RESERVED, amount),
        (Account.CASH, -amount),
    )
