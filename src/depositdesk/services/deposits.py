"""The deposit: what is held and required, pay-ins, the ledger (DEP-2..5)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from depositdesk.domain.clock import rfc3339
from depositdesk.domain.errors import IdempotencyConflict, ValidationProblem
from depositdesk.domain.ledger import CREDIT_NORMAL, Account, payin_entry
from depositdesk.domain.money import Money
from depositdesk.services.access import Principal, require
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shops import load_shop, position, review_funding


def notice_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "shop_id": row["shop_id"],
        "kind": row["kind"],
        "subject": row["subject"],
        "body": row["body"],
        "data": json.loads(row["data"]),
        "created_at": rfc3339(row["created_at"]),
        "due_at": rfc3339(row["due_at"]),
        "policy": {"pack": row["policy_pack"], "version": row["policy_version"]},
    }


def deposit_json(
    uow: UnitOfWork, principal: Principal | None, shop_id: str, now: datetime
) -> dict[str, Any]:
    view = load_shop(uow, principal, shop_id, now)
    pos = position(uow, view)
    return {
        "shop_id": shop_id,
        "required": pos.required.as_json(),
        "held": pos.held.as_json(),
        "shortfall": pos.shortfall.as_json(),
        "receivable": pos.receivable.as_json(),
        "proceeds": pos.proceeds.as_json(),
        "status": "funded" if pos.funded else "underfunded",
        "shop_status": view.row["status"],
        "enforcement_step": None,
        "notices": [notice_json(n) for n in uow.notices.for_shops([shop_id], 20)],
        "policy": {"pack": view.pack.pack, "version": view.pack.version},
    }


def request_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def pay_in(
    uow: UnitOfWork,
    principal: Principal,
    now: datetime,
    shop_id: str,
    amount: object,
    reference: object,
    idempotency_key: str | None,
) -> tuple[int, dict[str, Any]]:
    """DEP-4: record a pay-in once per idempotency key (DEP-3); returns (status, body).

    The shop row is locked first, so concurrent retries of one key queue behind
    each other and all but the first find the stored answer and replay it.
    """
    require(principal, "integration", "platform_admin")
    if not idempotency_key:
        raise ValidationProblem(
            "Idempotency-Key", "required", "money-moving requests need an Idempotency-Key header"
        )
    if len(idempotency_key) > 200:
        raise ValidationProblem("Idempotency-Key", "max_length", "at most 200 characters")
    view = load_shop(uow, principal, shop_id, now, lock=True)
    fingerprint = request_hash("payin", shop_id, amount, reference)
    scope = principal.actor
    stored = uow.idempotency.get(scope, idempotency_key)
    if stored is not None:
        if stored["request_hash"] != fingerprint:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for a different request; use a new key"
            )
        return int(stored["status_code"]), json.loads(stored["response"])
    currency = view.pack.currency
    if isinstance(amount, dict):
        if amount.get("currency") != currency:
            raise ValidationProblem(
                "amount.currency", "market_currency", f"this shop's deposit is paid in {currency}"
            )
        money = Money.parse(amount.get("amount"), currency, "amount.amount")
    else:
        money = Money.parse(amount, currency, "amount")
    if not money.is_positive():
        raise ValidationProblem("amount", "positive", "a pay-in must be more than zero")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
        raise ValidationProblem(
            "reference",
            "required",
            "reference (the bank transfer reference) must be 1-200 characters",
        )
    before = position(uow, view)
    entry = payin_entry(money, before.receivable, reference.strip())
    entry_id = uow.ledger.post(shop_id, entry, now, f"payin:{idempotency_key}")
    review_funding(uow, view, now, "pay-in")
    body = {
        "entry_id": entry_id,
        "shop_id": shop_id,
        "amount": money.as_json(),
        "reference": reference.strip(),
        "at": rfc3339(now),
        "deposit": deposit_json(uow, None, shop_id, now),
    }
    uow.idempotency.put(scope, idempotency_key, fingerprint, 201, json.dumps(body), now)
    return 201, body


def ledger_json(
    uow: UnitOfWork,
    principal: Principal,
    shop_id: str,
    now: datetime,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    view = load_shop(uow, principal, shop_id, now)
    before = int(cursor) if cursor and cursor.isdigit() else None
    rows = uow.ledger.entries(shop_id, limit + 1, before)
    entries = [
        {
            "id": r["id"],
            "at": rfc3339(r["at"]),
            "kind": r["kind"],
            "memo": r["memo"],
            "source": r["source"],
            "postings": [
                {
                    "account": p["account"],
                    "amount": Money(p["currency"], p["amount_minor"]).as_json(),
                }
                for p in r["postings"]
            ],
        }
        for r in rows[:limit]
    ]
    balances = {}
    for (account, currency), minor in sorted(uow.ledger.balances(shop_id).items()):
        balances[account] = Money(currency, minor).as_json()
    return {
        "shop_id": shop_id,
        "currency": view.pack.currency,
        "sign_convention": "debit positive, credit negative; "
        + ", ".join(a.value for a in Account if a in CREDIT_NORMAL)
        + " hold what the platform owes the seller (normally negative)",
        "entries": entries,
        "balances": balances,
        "next_cursor": str(rows[limit - 1]["id"]) if len(rows) > limit else None,
    }


def list_notices(
    uow: UnitOfWork, principal: Principal, now: datetime, shop_id: str | None, limit: int
) -> dict[str, Any]:
    if shop_id is not None:
        load_shop(uow, principal, shop_id, now)
        shop_ids: list[str] | None = [shop_id]
    elif principal.is_seller:
        shop_ids = [r["id"] for r in uow.shops.page(principal.seller_id, None, 10_000)]
    else:
        shop_ids = None
    rows = uow.notices.for_shops(shop_ids, limit)
    return {"items": [notice_json(r) for r in rows], "next_cursor": None}
