"""What every money-moving request shares (DEP-2, DEP-3): its Idempotency-Key, the
first answer replayed, an amount in the market's currency, the balance bound.

The use cases (`deposits.pay_in`, `violations.return_deduction`) call these in the
same order: check the key, lock the shop, `replay` (a stored answer ends the call),
then the request's own rules, `market_amount`, `check_balance_limit`, the posting,
and `uow.idempotency.put` of the answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from depositdesk.domain.errors import IdempotencyConflict, ValidationProblem
from depositdesk.domain.ledger import (
    BALANCE_LIMIT_MINOR,
    Balances,
    JournalEntry,
    balance_past_limit,
)
from depositdesk.domain.money import Money, check_currency
from depositdesk.domain.policy import PolicyPack
from depositdesk.services.access import Principal
from depositdesk.services.ports.uow import UnitOfWork

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
MAX_KEY = 200


def key_scope(who: Principal, endpoint: str) -> str:
    """Where a request's key belongs: the party and the endpoint, not a token (the same
    key from two platform tokens is one request), as Stripe scopes keys per account."""
    return f"{who.party}:{endpoint}"


def reads_key_ahead(endpoint: str) -> Callable[[F], F]:
    """Mark a use case `(uow, who, now, …, *, idempotency_key, …)` whose key's scope is
    `key_scope(who, endpoint)`: `services/usecase.run` has the key read ahead, so that
    it rides with the shop's lock in one round trip (PostgreSQL) instead of a round
    trip of its own after it."""

    def ahead(uow: UnitOfWork, who: object, *_: object, **kwargs: object) -> None:
        key = kwargs.get("idempotency_key")
        if isinstance(who, Principal) and isinstance(key, str) and key:
            uow.idempotency.read_ahead(key_scope(who, endpoint), key)

    def mark(fn: F) -> F:
        fn.reads_ahead = ahead  # type: ignore[attr-defined]
        return fn

    return mark


def check_idempotency_key(key: str | None) -> str:
    """DEP-3: a money-moving request names itself with an Idempotency-Key."""
    if not key:
        raise ValidationProblem(
            "Idempotency-Key", "required", "money-moving requests need an Idempotency-Key header"
        )
    if len(key) > MAX_KEY:
        raise ValidationProblem("Idempotency-Key", "max_length", f"at most {MAX_KEY} characters")
    return key


def request_hash(*parts: object) -> str:
    """The fingerprint of a request's inputs: the same key with other inputs is refused."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def replay(uow: UnitOfWork, scope: str, key: str, fingerprint: str, kind: type[T]) -> T | None:
    """The answer first stored under (scope, key), or None for a new request; the same
    key with another request is `409 idempotency_conflict` (DEP-3).

    Call it with the shop locked: concurrent retries of one key then queue behind each
    other, and all but the first find the stored answer."""
    stored = uow.idempotency.get(scope, key, kind)
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise IdempotencyConflict(
            "this Idempotency-Key was used for a different request; use a new key"
        )
    return stored.result


def market_amount(pack: PolicyPack, amount: str, currency: str | None, *, what: str) -> Money:
    """A positive amount in the market's currency, within its single-amount bound (DEP-2).

    `currency` None takes the market's; `what` names the movement in messages
    ("a pay-in")."""
    market_currency = pack.currency
    if currency is not None:
        check_currency(currency, "amount.currency")  # a code that is not money says so
    if currency is not None and currency != market_currency:
        raise ValidationProblem(
            "amount.currency",
            "market_currency",
            f"this shop's deposit is paid in {market_currency}",
        )
    money = Money.parse(amount, market_currency, "amount.amount" if currency else "amount")
    if not money.is_positive():
        raise ValidationProblem("amount", "positive", f"{what} must be more than zero")
    if money.minor > pack.amount_limit.minor:
        raise ValidationProblem(
            "amount.amount",
            "max_amount",
            f"a single amount in this market is at most {pack.amount_limit}",
        )
    return money


def check_balance_limit(balances: Balances, entry: JournalEntry, what: str) -> None:
    """No entry takes a balance of the shop past BALANCE_LIMIT_MINOR (domain/ledger.py)."""
    past = balance_past_limit(balances, entry)
    if past is not None:
        raise ValidationProblem(
            "amount.amount",
            "balance_limit",
            f"this {what} would take the shop's {past[0]} balance past "
            f"{BALANCE_LIMIT_MINOR:,} minor units; nothing was recorded",
        )
