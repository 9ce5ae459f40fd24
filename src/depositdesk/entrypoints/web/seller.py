"""The Seller Center (`/seller/…`): shops, the deposit page, applying for a refund
with live eligibility, the refund's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends
from starlette.responses import Response

from depositdesk.entrypoints.web import pages
from depositdesk.entrypoints.web.pages import Page, render, seller_page
from depositdesk.services import deposits, shops
from depositdesk.services.access import Principal
from depositdesk.services.deposits import DepositView
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView
from depositdesk.services.usecase import read

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
MAX_SHOPS = 200


@dataclass(frozen=True, slots=True)
class ShopRow:
    view: ShopView
    deposit: DepositView


def _shop_rows(uow: UnitOfWork, who: Principal, now: datetime) -> list[ShopRow]:
    """The seller's shops with their deposits (the two use cases, in one read)."""
    found = shops.list_shops(uow, who, now, cursor=None, limit=MAX_SHOPS)
    return [ShopRow(v, deposits.deposit(uow, who, now, v.shop.id)) for v in found.items]


@router.get("/seller/shops", response_class=Response)
def shop_list(page: Page = Depends(seller_page)) -> Response:
    assert page.who is not None
    rows = read(page.app, _shop_rows, page.who, page.now)
    return render(page, "seller/shops.html", rows=rows)
