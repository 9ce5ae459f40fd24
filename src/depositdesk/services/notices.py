"""Notices sent to sellers, as lists (interface.md `GET /v1/notices`)."""

from __future__ import annotations

from datetime import datetime

from depositdesk.domain.notices import Notice
from depositdesk.services.access import Principal
from depositdesk.services.paging import Page
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import load_shop


def list_notices(
    uow: UnitOfWork, who: Principal, now: datetime, *, shop_id: str | None, limit: int
) -> Page[Notice]:
    """Newest first: one shop's, or every shop `who` can see."""
    if shop_id is not None:
        load_shop(uow, who, now, shop_id)
        shop_ids: list[str] | None = [shop_id]
    elif who.is_seller:
        shop_ids = uow.shops.ids_of_seller(who.seller_id or "")
    else:
        shop_ids = None
    return Page.of(uow.notices.for_shops(shop_ids, limit))
