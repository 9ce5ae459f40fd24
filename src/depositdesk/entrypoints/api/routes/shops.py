from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Response

from depositdesk.domain.eligibility import RefundKind
from depositdesk.entrypoints.api import cursors
from depositdesk.entrypoints.api.answers import answer
from depositdesk.entrypoints.api.deps import Call, Cursor, SellerId, ShopId, get_call, page_limit
from depositdesk.entrypoints.api.schemas.deposits import (
    DepositOut,
    LedgerOut,
    NoticePageOut,
    PayInOut,
)
from depositdesk.entrypoints.api.schemas.eligibility import EligibilityOut
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import (
    MARKETPLACE_ID_PATTERN,
    CategoriesIn,
    PayInIn,
    SellerIn,
    ShopIn,
    TerminateIn,
)
from depositdesk.entrypoints.api.schemas.shops import SellerOut, ShopOut, ShopPageOut
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import deposits, notices, sellers, shops
from depositdesk.services.eligibility import WhatIf, eligibility
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1",
    tags=["sellers and shops"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)
WRITES = problem_responses(409, 413)


@router.post("/sellers", status_code=201, summary="Create a seller", responses=WRITES)
def create_seller(body: SellerIn, c: Call = Depends(get_call)) -> SellerOut:
    return SellerOut.of(run(c, sellers.create_seller, c.who, c.now, **body.model_dump()))


@router.get("/sellers/{seller_id}", summary="A seller")
def get_seller(seller_id: SellerId, c: Call = Depends(get_call)) -> SellerOut:
    return SellerOut.of(read(c, sellers.get_seller, c.who, c.now, seller_id))


@router.post("/shops", status_code=201, summary="Create a shop (DEP-1)", responses=WRITES)
def create_shop(body: ShopIn, c: Call = Depends(get_call)) -> ShopOut:
    return ShopOut.of(run(c, shops.create_shop, c.who, c.now, **body.model_dump()))


@router.get("/shops", summary="Shops you can see, newest first", response_model=ShopPageOut)
def list_shops(
    cursor: Cursor = None, limit: int = Depends(page_limit), c: Call = Depends(get_call)
) -> Response:
    scope, secret = f"shops:{c.who.party}", c.app.settings.secret_key
    after = cursors.decode_shop(cursor, scope, secret)
    page = read(c, shops.list_shops, c.who, c.now, cursor=after, limit=limit)
    return answer(ShopPageOut.of(page, cursors.encode(page.next_cursor, scope, secret)))


@router.get("/shops/{shop_id}", summary="A shop", response_model=ShopOut)
def get_shop(shop_id: ShopId, c: Call = Depends(get_call)) -> Response:
    return answer(ShopOut.of(read(c, shops.get_shop, c.who, c.now, shop_id)))


@router.put(
    "/shops/{shop_id}/categories",
    summary="Set categories; top-up notice if the required deposit rises (DEP-1, DEP-5)",
    responses=WRITES,
)
def put_categories(shop_id: ShopId, body: CategoriesIn, c: Call = Depends(get_call)) -> ShopOut:
    view = run(c, shops.set_categories, c.who, c.now, shop_id, categories=body.categories)
    return ShopOut.of(view)


@router.post("/shops/{shop_id}/terminate", summary="End the contract (REF-9)", responses=WRITES)
def terminate(shop_id: ShopId, body: TerminateIn, c: Call = Depends(get_call)) -> ShopOut:
    return ShopOut.of(run(c, shops.terminate, c.who, c.now, shop_id, reason=body.reason))


@router.get(
    "/shops/{shop_id}/deposit",
    summary="Held, required, shortfall, notices",
    response_model=DepositOut,
)
def get_deposit(shop_id: ShopId, c: Call = Depends(get_call)) -> Response:
    return answer(DepositOut.of(read(c, deposits.deposit, c.who, c.now, shop_id)))


@router.post(
    "/shops/{shop_id}/deposit/payins",
    status_code=201,
    summary="Record a pay-in (DEP-4); needs an Idempotency-Key",
    responses=WRITES,
    response_model=PayInOut,
)
def pay_in(
    shop_id: ShopId,
    body: PayInIn,
    c: Call = Depends(get_call),
    idempotency_key: str = Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the same key and body replay the first answer (DEP-3)",
    ),
) -> Response:
    result = run(
        c,
        deposits.pay_in,
        c.who,
        c.now,
        shop_id,
        amount=body.amount.amount,
        currency=body.amount.currency,
        reference=body.reference,
        idempotency_key=idempotency_key,
        payer=body.payer,
    )
    return answer(PayInOut.of(result), status_code=201)


@router.get(
    "/shops/{shop_id}/ledger",
    summary="Journal entries and balances (DEP-3)",
    response_model=LedgerOut,
)
def get_ledger(
    shop_id: ShopId,
    cursor: Cursor = None,
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> Response:
    scope, secret = f"ledger:{c.who.party}:{shop_id}", c.app.settings.secret_key
    before = cursors.decode_entry(cursor, scope, secret)
    page = read(c, deposits.ledger, c.who, c.now, shop_id, cursor=before, limit=limit)
    body = LedgerOut.json_of(page, cursors.encode(page.next_cursor, scope, secret))
    return Response(body, media_type="application/json")


@router.get(
    "/shops/{shop_id}/eligibility",
    summary="Can the deposit come back? (REF-1..3)",
    response_model=EligibilityOut,
)
def get_eligibility(
    shop_id: ShopId,
    kind: RefundKind = Query(RefundKind.FULL, description="full or difference"),
    category: str | None = Query(None, max_length=40, description="(difference) the category"),
    what_if: WhatIf | None = Query(None, description="stop: as if the category were stopped now"),
    currency: str | None = Query(
        None,
        pattern="^[A-Z]{3}$",
        description=(
            "the currency of an account you would name instead of the original route: "
            "`payout` then shows the amount at today's rate and that bank's fee (REF-7)"
        ),
    ),
    c: Call = Depends(get_call),
) -> Response:
    found = read(
        c,
        eligibility,
        c.who,
        c.now,
        shop_id,
        kind=kind.value,
        category=category,
        what_if=what_if.value if what_if else None,
        currency=currency,
        rates=c.app.gateways.rates,
    )
    return answer(EligibilityOut.of(found))


@router.get("/notices", summary="Notices sent (top-up, …)")
def get_notices(
    shop_id: str | None = Query(None, max_length=64, pattern=MARKETPLACE_ID_PATTERN),
    cursor: Cursor = None,
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> NoticePageOut:
    scope, secret = f"notices:{c.who.party}:{shop_id or '*'}", c.app.settings.secret_key
    after = cursors.decode_created(cursor, scope, secret)
    page = read(c, notices.list_notices, c.who, c.now, shop_id=shop_id, cursor=after, limit=limit)
    return NoticePageOut.of(page, cursors.encode(page.next_cursor, scope, secret))
