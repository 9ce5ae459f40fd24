"""Sellers and shops."""

from __future__ import annotations

from depositdesk.domain.shop import Language, Seller, ShopStatus
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


class ShopOut(Out):
    id: str
    seller_id: str
    name: str
    market: str
    categories: list[str]
    status: ShopStatus
    restrictions: list[str]
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
            restrictions=[],
            required_deposit=MoneyOut.of(view.required),
            policy=PolicyRefOut.of(view.policy),
            orders_cutoff_at=shop.orders_cutoff_at,
            created_at=shop.created_at,
        )


class ShopPageOut(Out):
    items: list[ShopOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[ShopView], next_cursor: str | None) -> ShopPageOut:
        return cls(items=[ShopOut.of(v) for v in page.items], next_cursor=next_cursor)
