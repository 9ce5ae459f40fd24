from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse

from depositdesk.entrypoints.api.deps import Call, get_call, page_limit
from depositdesk.entrypoints.api.models import CategoriesIn, PayInIn, SellerIn, ShopIn, TerminateIn
from depositdesk.services import deposits, shops
from depositdesk.services.eligibility import eligibility
from depositdesk.services.usecase import read, run

router = APIRouter(prefix="/v1", tags=["sellers and shops"])


@router.post("/sellers", status_code=201, summary="Create a seller")
def create_seller(body: SellerIn, c: Call = Depends(get_call)) -> dict[str, Any]:
    return run(c.app, shops.create_seller, c.who, c.now, **body.model_dump())


@router.get("/sellers/{seller_id}", summary="A seller")
def get_seller(seller_id: str, c: Call = Depends(get_call)) -> dict[str, Any]:
    return read(c.app, shops.get_seller, c.who, seller_id)


@router.post("/shops", status_code=201, summary="Create a shop (DEP-1)")
def create_shop(body: ShopIn, c: Call = Depends(get_call)) -> dict[str, Any]:
    return run(c.app, shops.create_shop, c.who, c.now, **body.model_dump())


@router.get("/shops", summary="Shops you can see, newest first")
def list_shops(
    cursor: str | None = None, limit: int = Depends(page_limit), c: Call = Depends(get_call)
) -> dict[str, Any]:
    return read(c.app, shops.list_shops, c.who, c.now, cursor, limit)


@router.get("/shops/{shop_id}", summary="A shop")
def get_shop(shop_id: str, c: Call = Depends(get_call)) -> dict[str, Any]:
    return read(c.app, shops.get_shop, c.who, c.now, shop_id)


@router.put(
    "/shops/{shop_id}/categories",
    summary="Set categories; top-up notice if the required deposit rises (DEP-1, DEP-5)",
)
def put_categories(shop_id: str, body: CategoriesIn, c: Call = Depends(get_call)) -> dict[str, Any]:
    return run(c.app, shops.set_categories, c.who, c.now, shop_id, body.categories)


@router.post("/shops/{shop_id}/terminate", summary="End the contract (REF-9)")
def terminate(shop_id: str, body: TerminateIn, c: Call = Depends(get_call)) -> dict[str, Any]:
    return run(c.app, shops.terminate, c.who, c.now, shop_id, body.reason)


@router.get("/shops/{shop_id}/deposit", summary="Held, required, shortfall, notices")
def get_deposit(shop_id: str, c: Call = Depends(get_call)) -> dict[str, Any]:
    return read(c.app, deposits.deposit_json, c.who, shop_id, c.now)


@router.post(
    "/shops/{shop_id}/deposit/payins",
    status_code=201,
    summary="Record a pay-in (DEP-4); needs an Idempotency-Key",
)
def pay_in(
    shop_id: str,
    body: PayInIn,
    c: Call = Depends(get_call),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> JSONResponse:
    status, payload = run(
        c.app,
        deposits.pay_in,
        c.who,
        c.now,
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
    c: Call = Depends(get_call),
) -> dict[str, Any]:
    return read(c.app, deposits.ledger_json, c.who, shop_id, c.now, cursor, limit)


@router.get("/shops/{shop_id}/eligibility", summary="Can the deposit come back? (REF-1..3)")
def get_eligibility(
    shop_id: str,
    kind: str = Query("full", description="full or difference"),
    category: str | None = None,
    what_if: str | None = Query(None, description="stop: as if the category were stopped now"),
    c: Call = Depends(get_call),
) -> dict[str, Any]:
    return read(c.app, eligibility, c.who, c.now, shop_id, kind, category, what_if)


@router.get("/notices", summary="Notices sent (top-up, …)")
def get_notices(
    shop_id: str | None = None, limit: int = Depends(page_limit), c: Call = Depends(get_call)
) -> dict[str, Any]:
    return read(c.app, deposits.list_notices, c.who, c.now, shop_id, limit)
