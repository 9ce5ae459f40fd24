"""Sellers, shops and their categories (DEP-1, DEP-4, DEP-5, REF-9)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from depositdesk.domain.clock import rfc3339
from depositdesk.domain.errors import Conflict, FieldProblem, NotFound, ValidationProblem
from depositdesk.domain.ledger import DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyPack
from depositdesk.services import policies
from depositdesk.services.access import Principal, check_shop_visible, require, require_shop_role
from depositdesk.services.policies import PolicyBook
from depositdesk.services.ports.uow import UnitOfWork

MARKETPLACE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("en", "zh")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _check_id(value: object, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not MARKETPLACE_ID.match(value):
        raise ValidationProblem(
            field, "marketplace_id", f"{field} must match [A-Za-z0-9_-]{{1,64}}"
        )
    return value


def create_seller(
    uow: UnitOfWork,
    principal: Principal,
    now: datetime,
    *,
    id: str | None,
    name: str,
    email: str,
    language: str | None,
) -> dict[str, Any]:
    require(principal, "platform_admin")
    problems = []
    seller_id = _check_id(id, "id") or new_id("sel")
    if not name.strip():
        problems.append(FieldProblem("name", "required", "name must not be empty"))
    if not EMAIL.match(email):
        problems.append(FieldProblem("email", "email", f"{email!r} is not an email address"))
    language = language or "en"
    if language not in LANGUAGES:
        problems.append(
            FieldProblem(
                "language", "supported_language", f"language must be one of {', '.join(LANGUAGES)}"
            )
        )
    if problems:
        raise ValidationProblem(problems)
    if uow.sellers.get(seller_id) is not None:
        raise Conflict(f"seller {seller_id} already exists")
    uow.sellers.add(id=seller_id, name=name.strip(), email=email, language=language, created_at=now)
    return seller_json(uow.sellers.get(seller_id))


def seller_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "language": row["language"],
        "created_at": rfc3339(row["created_at"]),
    }


def get_seller(uow: UnitOfWork, principal: Principal, seller_id: str) -> dict[str, Any]:
    row = uow.sellers.get(seller_id)
    if row is None or (principal.is_seller and principal.seller_id != seller_id):
        raise NotFound(f"seller {seller_id} not found")
    return seller_json(row)


@dataclass(frozen=True)
class ShopView:
    row: Any
    pack: PolicyPack
    active: tuple[str, ...]

    @property
    def required(self) -> Money:
        return self.pack.required_deposit(self.active)


def load_shop(
    uow: UnitOfWork,
    principal: Principal | None,
    shop_id: str,
    now: datetime,
    lock: bool = False,
    book: PolicyBook | None = None,
) -> ShopView:
    row = uow.shops.get(shop_id, lock=lock)
    if row is None:
        raise NotFound(f"shop {shop_id} not found")
    if principal is not None:
        check_shop_visible(principal, row["seller_id"], shop_id)
    book = book or PolicyBook.read(uow)
    pack = book.in_force(row["market"], now)
    active = tuple(c["category"] for c in uow.shops.categories(shop_id) if c["active"])
    return ShopView(row, pack, active)


def _check_categories(pack: PolicyPack, categories: object) -> list[str]:
    if not isinstance(categories, list) or not categories:
        raise ValidationProblem(
            "categories", "non_empty_list", "categories must be a non-empty list of category codes"
        )
    problems = []
    for i, code in enumerate(categories):
        if not isinstance(code, str) or pack.category(code) is None:
            problems.append(
                FieldProblem(
                    f"categories[{i}]",
                    "known_category",
                    f"{code!r} is not a category of the {pack.pack} pack; known: "
                    f"{', '.join(pack.category_codes())}",
                )
            )
    if problems:
        raise ValidationProblem(problems)
    return sorted(set(categories))  # type: ignore[arg-type]


def create_shop(
    uow: UnitOfWork,
    principal: Principal,
    now: datetime,
    *,
    id: str | None,
    seller_id: str,
    name: str,
    market: str,
    categories: list[str],
) -> dict[str, Any]:
    require(principal, "platform_admin")
    shop_id = _check_id(id, "id") or new_id("shop")
    if uow.sellers.get(seller_id) is None:
        raise ValidationProblem("seller_id", "existing_seller", f"seller {seller_id} not found")
    if not name.strip():
        raise ValidationProblem("name", "required", "name must not be empty")
    book = PolicyBook.read(uow)
    if market not in book.by_pack:
        raise ValidationProblem(
            "market", "known_pack", f"market must name a policy pack: {', '.join(book.names())}"
        )
    pack = book.in_force(market, now)
    codes = _check_categories(pack, categories)
    if uow.shops.get(shop_id) is not None:
        raise Conflict(f"shop {shop_id} already exists")
    uow.shops.add(
        id=shop_id,
        seller_id=seller_id,
        name=name.strip(),
        market=market,
        status="pending_deposit",
        created_at=now,
    )
    for code in codes:
        uow.shops.upsert_category(shop_id, code, True, now, f"api:{principal.actor}")
    return shop_json(uow, load_shop(uow, None, shop_id, now, book=book))


def shop_json(uow: UnitOfWork, view: ShopView) -> dict[str, Any]:
    row = view.row
    return {
        "id": row["id"],
        "seller_id": row["seller_id"],
        "name": row["name"],
        "market": row["market"],
        "categories": list(view.active),
        "status": row["status"],
        "restrictions": [],
        "required_deposit": view.required.as_json(),
        "policy": {"pack": view.pack.pack, "version": view.pack.version},
        "orders_cutoff_at": rfc3339(row["orders_cutoff_at"]),
        "created_at": rfc3339(row["created_at"]),
    }


def list_shops(
    uow: UnitOfWork, principal: Principal, now: datetime, cursor: str | None, limit: int
) -> dict[str, Any]:
    seller = principal.seller_id if principal.is_seller else None
    rows = uow.shops.page(seller, cursor, limit + 1)
    book = PolicyBook.read(uow)
    items = [shop_json(uow, load_shop(uow, None, r["id"], now, book=book)) for r in rows[:limit]]
    return {"items": items, "next_cursor": rows[limit - 1]["id"] if len(rows) > limit else None}


def position(uow: UnitOfWork, view: ShopView) -> DepositPosition:
    return DepositPosition.from_balances(view.required, uow.ledger.balances(view.row["id"]))


def review_funding(uow: UnitOfWork, view: ShopView, now: datetime, cause: str) -> None:
    """After anything that changes held or required: mark a first full funding
    (DEP-4) or issue a top-up notice when the shortfall grew (DEP-5)."""
    pos = position(uow, view)
    row = view.row
    shop_id = row["id"]
    if row["status"] == "pending_deposit":
        if pos.funded and pos.required.minor > 0:
            uow.shops.update(shop_id, status="active", funded_at=now)
        return
    owed = pos.shortfall + pos.receivable.max0()
    if not owed.is_positive():
        return
    last = uow.notices.latest(shop_id, "topup")
    if last is not None:
        previous = json.loads(last["data"]).get("owed_minor", 0)
        if previous >= owed.minor:
            return
    due = now + timedelta(days=view.pack.topup_grace_days)
    uow.notices.add(
        id=new_id("ntc"),
        shop_id=shop_id,
        kind="topup",
        subject=f"Top up the deposit of {row['name']}: {owed} due by {due:%Y-%m-%d}",
        body=(
            f"The deposit of your shop {row['name']} ({shop_id}) is below what is required "
            f"({cause}). Required {pos.required}, held {pos.held}"
            + (f", owed to the platform {pos.receivable}" if pos.receivable.is_positive() else "")
            + f". Please pay {owed} by {due:%Y-%m-%d} ({view.pack.topup_grace_days} days). "
            "If it is not paid by then, restrictions follow step by step (DEP-6)."
        ),
        data={
            "required_minor": pos.required.minor,
            "held_minor": pos.held.minor,
            "receivable_minor": pos.receivable.minor,
            "owed_minor": owed.minor,
            "currency": owed.currency,
            "cause": cause,
        },
        created_at=now,
        due_at=due,
        policy_pack=view.pack.pack,
        policy_version=view.pack.version,
    )


def set_categories(
    uow: UnitOfWork, principal: Principal, now: datetime, shop_id: str, categories: list[str]
) -> dict[str, Any]:
    view = load_shop(uow, principal, shop_id, now, lock=True)
    require_shop_role(
        principal, view.row["seller_id"], shop_id, ("owner", "admin"), ("platform_admin",)
    )
    if view.row["status"] in ("terminated", "unlinked"):
        raise Conflict(f"shop {shop_id} is {view.row['status']}; its categories are final")
    codes = _check_categories(view.pack, categories)
    before = view.required
    for row in uow.shops.categories(shop_id):
        if row["active"] and row["category"] not in codes:
            uow.shops.upsert_category(
                shop_id, row["category"], False, now, f"api:{principal.actor}"
            )
    for code in codes:
        if code not in view.active:
            uow.shops.upsert_category(shop_id, code, True, now, f"api:{principal.actor}")
    view = load_shop(uow, None, shop_id, now)
    if view.required.minor > before.minor:
        review_funding(uow, view, now, f"categories changed: required {before} → {view.required}")
    return shop_json(uow, load_shop(uow, None, shop_id, now))


def terminate(
    uow: UnitOfWork, principal: Principal, now: datetime, shop_id: str, reason: str
) -> dict[str, Any]:
    """REF-9: the contract ends; new orders are refused from now (EVT-4)."""
    require(principal, "platform_admin")
    if not reason.strip():
        raise ValidationProblem("reason", "required", "give the reason for the termination")
    view = load_shop(uow, principal, shop_id, now, lock=True)
    if view.row["status"] in ("terminated", "unlinked"):
        raise Conflict(f"shop {shop_id} is already {view.row['status']}")
    cutoff = view.row["orders_cutoff_at"]
    uow.shops.update(
        shop_id,
        status="terminated",
        terminated_at=now,
        termination_reason=reason.strip(),
        orders_cutoff_at=min(cutoff, now) if cutoff else now,
    )
    return shop_json(uow, load_shop(uow, None, shop_id, now))


def load_policy_version(uow: UnitOfWork, document: str, now: datetime, by: str) -> PolicyPack:
    """Store a new pack version (POL-1, POL-3) and, when it is already in force,
    give every shop whose required deposit rose a top-up notice (POL-4, DEP-5).

    A version that takes effect later changes nothing today; its notices are
    issued when the worker's timer reaches `effective_from` (a later issue).
    A lowered requirement needs no notice: the difference shows at once in the
    shop's difference-refund eligibility (REF-2).
    """
    before = PolicyBook.read(uow)
    pack = policies.load(uow, document, now, by)
    after = PolicyBook.read(uow)
    if after.in_force(pack.pack, now).version != pack.version:
        return pack
    for shop_id in uow.shops.ids_in_market(pack.pack):
        old = load_shop(uow, None, shop_id, now, book=before)
        new = load_shop(uow, None, shop_id, now, book=after)
        if new.required.minor > old.required.minor and new.row["status"] not in (
            "terminated",
            "unlinked",
        ):
            review_funding(
                uow,
                new,
                now,
                f"policy {pack.pack} version {pack.version}: required {old.required} → "
                f"{new.required}",
            )
    return pack


def get_shop(uow: UnitOfWork, principal: Principal, now: datetime, shop_id: str) -> dict[str, Any]:
    return shop_json(uow, load_shop(uow, principal, shop_id, now))
