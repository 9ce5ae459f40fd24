"""The deposit: what is held and required, pay-ins, the ledger (DEP-2..5)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.errors import IdempotencyConflict, ValidationProblem
from depositdesk.domain.funding import Cause, CauseKind, FundingStatus, funding_status
from depositdesk.domain.ledger import (
    BALANCE_LIMIT_MINOR,
    Account,
    DepositPosition,
    RecordedEntry,
    balance_past_limit,
    payin_entry,
)
from depositdesk.domain.money import Money
from depositdesk.domain.notices import Notice
from depositdesk.domain.policy import PolicyRef
from depositdesk.domain.shop import ShopStatus
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.funding import position, review_funding
from depositdesk.services.paging import EntryCursor
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import load_shop

RECENT_NOTICES = 20


@dataclass(frozen=True, slots=True)
class DepositView:
    shop_id: str
    position: DepositPosition
    status: FundingStatus
    shop_status: ShopStatus
    enforcement_step: str | None  # DEP-6: the ladder arrives with the enforcement issue
    notices: tuple[Notice, ...]  # the latest ones
    policy: PolicyRef


@dataclass(frozen=True, slots=True)
class PayIn:
    """A recorded pay-in, with the deposit as it stood right after it."""

    entry_id: int
    shop_id: str
    amount: Money
    reference: str
    at: datetime
    deposit: DepositView


@dataclass(frozen=True, slots=True)
class LedgerPage:
    shop_id: str
    currency: str
    entries: tuple[RecordedEntry, ...]  # newest first
    balances: dict[Account, Money]
    next_cursor: EntryCursor | None


def deposit(uow: UnitOfWork, who: Principal | None, now: datetime, shop_id: str) -> DepositView:
    """Held, required, shortfall and the latest notices (`who` None: no visibility check)."""
    view = load_shop(uow, who, now, shop_id)
    pos = position(uow, view)
    return DepositView(
        shop_id=shop_id,
        position=pos,
        status=funding_status(pos),
        shop_status=view.shop.status,
        enforcement_step=None,
        notices=tuple(uow.notices.for_shops([shop_id], RECENT_NOTICES)),
        policy=view.policy,
    )


def _request_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def pay_in(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    amount: str,
    currency: str | None,
    reference: str,
    idempotency_key: str | None,
) -> PayIn:
    """DEP-4: record a pay-in once per idempotency key (DEP-3).

    `currency` None takes the shop's. The shop row is locked first, so concurrent
    retries of one key queue behind each other and all but the first find the
    stored result and replay it.
    """
    require(who, Role.INTEGRATION, Role.PLATFORM_ADMIN)
    if not idempotency_key:
        raise ValidationProblem(
            "Idempotency-Key", "required", "money-moving requests need an Idempotency-Key header"
        )
    if len(idempotency_key) > 200:
        raise ValidationProblem("Idempotency-Key", "max_length", "at most 200 characters")
    view = load_shop(uow, who, now, shop_id, lock=True)
    fingerprint = _request_hash("payin", shop_id, amount, currency, reference)
    # Keys belong to the party and the endpoint (as Stripe scopes them per account),
    # not to a token: the same key from two platform tokens is one request.
    scope = f"{who.party}:payins"
    stored = uow.idempotency.get(scope, idempotency_key, PayIn)
    if stored is not None:
        if stored.request_hash != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different request; use a new key"
            )
        return stored.result
    shop_currency = view.pack.currency
    if currency is not None and currency != shop_currency:
        raise ValidationProblem(
            "amount.currency", "market_currency", f"this shop's deposit is paid in {shop_currency}"
        )
    money = Money.parse(amount, shop_currency, "amount.amount" if currency else "amount")
    if not money.is_positive():
        raise ValidationProblem("amount", "positive", "a pay-in must be more than zero")
    if money.minor > view.pack.amount_limit.minor:
        raise ValidationProblem(
            "amount.amount",
            "max_amount",
            f"a single amount in this market is at most {view.pack.amount_limit}",
        )
    if not reference.strip() or len(reference) > 200:
        raise ValidationProblem(
            "reference",
            "required",
            "reference (the bank transfer reference) must be 1-200 characters",
        )
    balances = uow.ledger.balances(shop_id)
    before = DepositPosition.from_balances(view.required, balances)
    entry = payin_entry(money, before.receivable, reference.strip())
    past = balance_past_limit(balances, entry)
    if past is not None:
        raise ValidationProblem(
            "amount.amount",
            "balance_limit",
            f"this pay-in would take the shop's {past[0]} balance past "
            f"{BALANCE_LIMIT_MINOR:,} minor units; nothing was recorded",
        )
    entry_id = uow.ledger.post(shop_id, entry, now, f"payin:{idempotency_key}")
    review_funding(uow, view, now, Cause(CauseKind.PAY_IN))
    result = PayIn(
        entry_id, shop_id, money, reference.strip(), now, deposit(uow, None, now, shop_id)
    )
    uow.idempotency.put(scope, idempotency_key, fingerprint, result, now)
    return result


def ledger(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    cursor: EntryCursor | None,
    limit: int,
) -> LedgerPage:
    """Journal entries, newest first, and every account's balance (DEP-3)."""
    view = load_shop(uow, who, now, shop_id)
    entries = uow.ledger.entries(shop_id, limit + 1, cursor.before_id if cursor else None)
    balances = {
        account: Money(currency, minor)
        for (account, currency), minor in sorted(uow.ledger.balances(shop_id).items())
    }
    return LedgerPage(
        shop_id=shop_id,
        currency=view.pack.currency,
        entries=tuple(entries[:limit]),
        balances=balances,
        next_cursor=EntryCursor(entries[limit - 1].id) if len(entries) > limit else None,
    )
