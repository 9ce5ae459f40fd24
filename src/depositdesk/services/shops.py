"""Shops: opening them, their categories and required deposit (DEP-1), termination (REF-9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from depositdesk.domain.errors import Conflict, FieldProblem, ValidationProblem
from depositdesk.domain.funding import Cause, CauseKind
from depositdesk.domain.ids import new_id
from depositdesk.domain.policy import PolicyBook, PolicyPack
from depositdesk.domain.shop import Shop, ShopStatus
from depositdesk.domain.shop_state import CategoryActivity
from depositdesk.services.access import Principal, Role, require, require_shop_role
from depositdesk.services.difference_offers import offer_after_stop
from depositdesk.services.funding import review_funding
from depositdesk.services.paging import Page, ShopCursor
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.sellers import check_marketplace_id
from depositdesk.services.shop_view import ShopView, load_shop


def _check_categories(pack: PolicyPack, categories: list[str]) -> list[str]:
    if not categories:
        raise ValidationProblem(
            "categories", "non_empty_list", "categories must be a non-empty list of category codes"
        )
    problems = [
        FieldProblem(
            f"categories[{i}]",
            "known_category",
            f"{code!r} is not a category of the {pack.pack} pack; known: "
            f"{', '.join(pack.category_codes())}",
        )
        for i, code in enumerate(categories)
        if pack.category(code) is None
    ]
    if problems:
        raise ValidationProblem(problems)
    return sorted(set(categories))


def create_shop(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    id: str | None,
    seller_id: str,
    name: str,
    market: str,
    categories: list[str],
) -> ShopView:
    require(who, Role.PLATFORM_ADMIN)
    shop_id = check_marketplace_id(id, "id") or new_id("shop")
    if uow.sellers.get(seller_id) is None:
        raise ValidationProblem("seller_id", "existing_seller", f"seller {seller_id} not found")
    if not name.strip():
        raise ValidationProblem("name", "required", "name must not be empty")
    book = PolicyBook(uow.policies.versions())
    if market not in book.by_pack:
        raise ValidationProblem(
            "market", "known_pack", f"market must name a policy pack: {', '.join(book.names())}"
        )
    codes = _check_categories(book.in_force(market, now), categories)
    if uow.shops.get(shop_id) is not None:
        raise Conflict(f"shop {shop_id} already exists")
    shop = Shop(shop_id, seller_id, name.strip(), market, ShopStatus.PENDING_DEPOSIT, now)
    uow.shops.add(shop)
    for code in codes:
        uow.shops.upsert_category(shop_id, CategoryActivity(code, True, now, f"api:{who.actor}"))
    return load_shop(uow, None, now, shop_id, book=book)


def get_shop(uow: UnitOfWork, who: Principal, now: datetime, shop_id: str) -> ShopView:
    return load_shop(uow, who, now, shop_id)


def list_shops(
    uow: UnitOfWork, who: Principal, now: datetime, *, cursor: ShopCursor | None, limit: int
) -> Page[ShopView]:
    """The shops `who` can see, newest first."""
    seller = (who.seller_id or "") if who.is_seller else None
    shops = uow.shops.page(seller, cursor, limit + 1)
    book = PolicyBook(uow.policies.versions())
    items = [load_shop(uow, None, now, s.id, book=book) for s in shops[:limit]]
    last = shops[limit - 1] if len(shops) > limit else None
    return Page.of(items, ShopCursor(last.created_at, last.id) if last else None)


def set_categories(
    uow: UnitOfWork, who: Principal, now: datetime, shop_id: str, *, categories: list[str]
) -> ShopView:
    """DEP-1 with DEP-5/6: a new required deposit; a top-up notice when it rises, the
    enforcement steps lifted when it falls to what is held."""
    view = load_shop(uow, who, now, shop_id, lock=True)
    require_shop_role(
        who, view.shop.seller_id, shop_id, (Role.OWNER, Role.ADMIN), (Role.PLATFORM_ADMIN,)
    )
    if view.shop.status.is_final:
        raise Conflict(f"shop {shop_id} is {view.shop.status}; its categories are final")
    codes = _check_categories(view.pack, categories)
    before = view.required
    by = f"api:{who.actor}"
    stopped = []
    for activity in uow.shops.categories(shop_id):
        if activity.active and activity.category not in codes:
            uow.shops.upsert_category(shop_id, CategoryActivity(activity.category, False, now, by))
            stopped.append(activity.category)
    for code in codes:
        if code not in view.categories:
            uow.shops.upsert_category(shop_id, CategoryActivity(code, True, now, by))
    view = load_shop(uow, None, now, shop_id)
    if view.required != before:
        # A rise may need a top-up notice (DEP-5); a fall may fund the shop again,
        # which lifts its enforcement steps (DEP-6).
        cause = Cause(CauseKind.CATEGORIES_CHANGED, before, view.required)
        review_funding(uow, view, now, cause)
        offer_after_stop(uow, view, stopped, now)  # REF-2: the difference may come back
    return load_shop(uow, None, now, shop_id)


def terminate(
    uow: UnitOfWork, who: Principal, now: datetime, shop_id: str, *, reason: str
) -> ShopView:
    """REF-9: the contract ends; new orders are refused from now (EVT-4)."""
    require(who, Role.PLATFORM_ADMIN)
    if not reason.strip():
        raise ValidationProblem("reason", "required", "give the reason for the termination")
    view = load_shop(uow, who, now, shop_id, lock=True)
    shop = view.shop
    if shop.status.is_final:
        raise Conflict(f"shop {shop_id} is already {shop.status}")
    cutoff = shop.orders_cutoff_at
    uow.shops.save(
        replace(
            shop,
            status=ShopStatus.TERMINATED,
            terminated_at=now,
            termination_reason=reason.strip(),
            orders_cutoff_at=min(cutoff, now) if cutoff else now,
        )
    )
    return load_shop(uow, None, now, shop_id)
