from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api.deps import get_app, get_now, get_principal, page_limit
from depositdesk.entrypoints.api.models import (
    CategoriesIn,
    PayInIn,
    SellerIn,
    ShopIn,
    TerminateIn,
)
from depositdesk.services import deposits, shops
from depositdesk.services.access import Principal
from depositdesk.services.eligibility import eligibility
from depositdesk.services.usecase import read, run

router = APIRouter(prefix="/v1", tags=["sellers and shops"])


@router.post("/sellers", status_code=201, summary="Create a seller")
def create_seller(
    body: SellerIn,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return run(
        app,
        shops.create_seller,
        who,
        now,
        id=body.id,
        name=body.name,
        email=body.email,
        language=body.language,
    )


@router.get("/sellers/{seller_id}", summary="A seller")
def get_seller(
    seller_id: str, app: App = Depends(get_app), who: Principal = Depends(get_principal)
) -> dict[str, Any]:
    return read(app, shops.get_seller, who, seller_id)


@router.post("/shops", status_code=201, summary="Create a shop (DEP-1)")
def create_shop(
    body: ShopIn,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return run(
        app,
        shops.create_shop,
        who,
        now,
        id=body.id,
        seller_id=body.seller_id,
        name=body.name,
        market=body.market,
        categories=body.categories,
    )


@router.get("/shops", summary="Shops you can see, newest first")
def list_shops(
    cursor: str | None = None,
    limit: int = Depends(page_limit),
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return read(app, shops.list_shops, who, now, cursor, limit)


@router.get("/shops/{shop_id}", summary="A shop")
def get_shop(
    shop_id: str,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return read(app, lambda uow: shops.shop_json(uow, shops.load_shop(uow, who, shop_id, now)))


@router.put(
    "/shops/{shop_id}/categories",
    summary="Set categories; top-up notice if the required deposit rises (DEP-1, DEP-5)",
)
def put_categories(
    shop_id: str,
    body: CategoriesIn,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return run(app, shops.set_categories, who, now, shop_id, body.categories)


@router.post("/shops/{shop_id}/terminate", summary="End the contract (REF-9)")
def terminate(
    shop_id: str,
    body: TerminateIn,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return run(app, shops.terminate, who, now, shop_id, body.reason)


@router.get("/shops/{shop_id}/deposit", summary="Held, required, shortfall, notices")
def get_deposit(
    shop_id: str,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return read(app, deposits.deposit_json, who, shop_id, now)


@router.post(
    "/shops/{shop_id}/deposit/payins",
    status_code=201,
    summary="Record a pay-in (DEP-4); needs an Idempotency-Key",
)
def pay_in(
    shop_id: str,
    body: PayInIn,
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> JSONResponse:
    status, payload = run(
        app,
        deposits.pay_in,
        who,
        now,
        shop_id,
        body.amount.model_dump(),
        body.reference,
        idempotency_key,
    )
    return JSONResponse(payload, status_code=status)


@router.get("/shops/{shop_id}/ledger", summary="Journal entries and balances (DEP-3)")
def get_ledger(
    shop_id: str,
    cursor: str | None = None,
    limit: int = Depends(page_limit),
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return read(app, deposits.ledger_json, who, shop_id, now, cursor, limit)


@router.get("/shops/{shop_id}/eligibility", summary="Can the deposit come back? (REF-1..3)")
def get_eligibility(
    shop_id: str,
    kind: str = Query("full", description="full or difference"),
    category: str | None = None,
    what_if: str | None = Query(None, description="stop: as if the category were stopped now"),
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return read(app, eligibility, who, now, shop_id, kind, category, what_if)


@router.get("/notices", summary="Notices sent (top-up, …)")
def get_notices(
    shop_id: str | None = None,
    limit: int = Depends(page_limit),
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> dict[str, Any]:
    return read(app, deposits.list_notices, who, now, shop_id, limit)
