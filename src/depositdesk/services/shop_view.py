"""A shop as the use cases see it: its row, the policy version in force, its categories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.errors import NotFound
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyBook, PolicyPack, PolicyRef
from depositdesk.domain.shop import Shop
from depositdesk.services.access import Principal, check_shop_visible
from depositdesk.services.ports.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ShopView:
    """A shop with the policy version in force for it and its active categories."""

    shop: Shop
    pack: PolicyPack
    categories: tuple[str, ...]  # the active ones, sorted

    @property
    def required(self) -> Money:
        """DEP-1: the highest deposit among the active categories."""
        return self.pack.required_deposit(self.categories)

    @property
    def policy(self) -> PolicyRef:
        return self.pack.ref


def load_shop(
    uow: UnitOfWork,
    who: Principal | None,
    now: datetime,
    shop_id: str,
    *,
    lock: bool = False,
    book: PolicyBook | None = None,
) -> ShopView:
    """The shop as `who` may see it (sellers: their own only; None: no check). Its
    categories and balances are read with it (one round trip on PostgreSQL; a money
    write's balances under its lock): nearly every use case that loads a shop shows
    or checks its deposit."""
    if not lock:
        uow.shops.read_ahead(shop_id)
    uow.ledger.read_ahead(shop_id)
    shop = uow.shops.get(shop_id, lock=lock)
    if shop is None:
        raise NotFound(f"shop {shop_id} not found")
    if who is not None:
        check_shop_visible(who, shop.seller_id, shop_id)
    return view_of(uow, shop, now, book or PolicyBook(uow.policies.versions()))


def load_shop_of(
    uow: UnitOfWork, who: Principal | None, now: datetime, shop_id: str, thing: str, lock: bool
) -> ShopView:
    """The shop a refund, an unlink… belongs to, as `who` may see it: a shop the caller
    may not see makes `thing` itself not found (another seller's ids reveal nothing)."""
    try:
        return load_shop(uow, who, now, shop_id, lock=lock)
    except NotFound:
        raise NotFound(f"{thing} not found") from None


def view_of(uow: UnitOfWork, shop: Shop, now: datetime, book: PolicyBook) -> ShopView:
    """The view of a shop already read (and locked, for money writes) by the caller."""
    active = tuple(c.category for c in uow.shops.categories(shop.id) if c.active)
    return ShopView(shop, book.in_force(shop.market, now), active)
