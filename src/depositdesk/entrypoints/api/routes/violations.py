"""A shop's violations and returning a deduction after rectification (DEP-8, DEP-9)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header

from depositdesk.entrypoints.api import cursors
from depositdesk.entrypoints.api.deps import (
    Call,
    Cursor,
    ShopId,
    ViolationId,
    get_call,
    page_limit,
)
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import ReturnIn
from depositdesk.entrypoints.api.schemas.violations import ViolationPageOut, ViolationReturnOut
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import violations
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1",
    tags=["violations"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)


@router.get(
    "/shops/{shop_id}/violations",
    summary="The shop's violations, newest first: deducted, returned, returnable until",
)
def list_violations(
    shop_id: ShopId,
    cursor: Cursor = None,
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> ViolationPageOut:
    scope, secret = f"violations:{c.who.party}:{shop_id}", c.app.settings.secret_key
    after = cursors.decode_created(cursor, scope, secret)
    page = read(c, violations.list_violations, c.who, c.now, shop_id, cursor=after, limit=limit)
    return ViolationPageOut.of(page, cursors.encode(page.next_cursor, scope, secret))


@router.post(
    # `:path`: a violation id may hold a `/` (domain/events.EVENT_ID)
    "/shops/{shop_id}/violations/{violation_id:path}/return",
    status_code=201,
    summary="Return part or all of a deduction after rectification (DEP-9); "
    "needs an Idempotency-Key",
    responses=problem_responses(409, 413),
)
def return_deduction(
    shop_id: ShopId,
    violation_id: ViolationId,
    body: ReturnIn,
    c: Call = Depends(get_call),
    idempotency_key: str = Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the same key and body replay the first answer (DEP-3)",
    ),
) -> ViolationReturnOut:
    result = run(
        c,
        violations.return_deduction,
        c.who,
        c.now,
        shop_id,
        violation_id,
        amount=body.amount.amount,
        currency=body.amount.currency,
        note=body.note,
        idempotency_key=idempotency_key,
    )
    return ViolationReturnOut.of(result)
