"""Sellers and shops."""

from __future__ import annotations

from depositdesk.domain.enforcement import restrictions
from depositdesk.domain.shop import ClosureFlag, Language, Seller, ShopStatus
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out, PolicyRefOut, Time
from depositdesk.services.paging import Page
from depositdesk.services.shop_view import ShopView


class SellerOut(Out):
    id: str
    name: str
    email: str
    language: Language
    created_at: Time

    @classmethod
    def of(cls, seller: Seller) -> SellerOut:
        return cls(
            id=seller.id,
            name=seller.name,
            email=seller.email,
            language=seller.language,
            created_at=seller.created_at,
        )


class ClosureFlagOut(Out):
    """DEP-8: a closure-grade violation flagged the shop for closure."""

    violation_id: str
    type: str
    flagged_at: Time


class ShopOut(Out):
    id: str
    seller_id: str
    name: str
    market: str
    categories: list[str]
    status: ShopStatus
    restrictions: list[str]
    enforcement_step: str | None
    closure_flag: ClosureFlagOut | None
    required_deposit: MoneyOut
    policy: PolicyRefOut
    orders_cutoff_at: Time | None
    created_at: Time

    @classmethod
    def of(cls, view: ShopView) -> ShopOut:
        shop = view.shop
        return cls(
            id=shop.id,
            seller_id=shop.seller_id,
            name=shop.name,
            market=shop.market,
            categories=list(view.categories),
            status=shop.status,
            restrictions=list(restrictions(view.pack.ladder, shop.enforcement_step)),
            enforcement_step=shop.enforcement_step,
            closure_flag=_flag(shop.closure_flag),
            required_deposit=MoneyOut.of(view.required),
            policy=PolicyRefOut.of(view.policy),
            orders_cutoff_at=shop.orders_cutoff_at,
            created_at=shop.created_at,
        )


def _flag(flag: ClosureFlag | None) -> ClosureFlagOut | None:
    if flag is None:
        return None
    return ClosureFlagOut(
        violation_id=flag.violation_id, type=flag.violation_type, flagged_at=flag.flagged_at
    )


class ShopPageOut(Out):
    items: list[ShopOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[ShopView], next_cursor: str | None) -> ShopPageOut:
        return cls(items=[ShopOut.of(v) for v in page.items], next_cursor=next_cursor)
