"""Refund applications, withdrawal, review (REF-3..5, REF-8)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header

from depositdesk.entrypoints.api import cursors
from depositdesk.entrypoints.api.deps import (
    Call,
    Cursor,
    PayoutId,
    RefundId,
    ShopId,
    get_call,
    page_limit,
)
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.refunds import PayoutOut, RefundOut, RefundPageOut
from depositdesk.entrypoints.api.schemas.requests import DecisionIn, PayoutResultIn, RefundIn
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import payouts, refunds
from depositdesk.services.paging import Page
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1",
    tags=["refunds"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)
WRITES = problem_responses(409, 413)


@router.post(
    "/shops/{shop_id}/refunds",
    status_code=201,
    summary="Apply for a refund (REF-3, REF-4): 422 not_eligible with the blockers, or "
    "the application with its amount reserved; needs an Idempotency-Key",
    responses=WRITES,
)
def apply(
    shop_id: ShopId,
    body: RefundIn,
    c: Call = Depends(get_call),
    idempotency_key: str = Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the same key and body replay the first answer (DEP-3)",
    ),
) -> RefundOut:
    d = body.destination
    view = run(
        c,
        refunds.apply,
        c.who,
        c.now,
        shop_id,
        kind=body.kind,
        category=body.category,
        reason=body.reason,
        destination_account=d.account if d else None,
        destination_currency=d.currency if d else None,
        destination_reason=d.reason if d else None,
        attachment_ids=body.attachment_ids,
        idempotency_key=idempotency_key,
    )
    return RefundOut.of(view)


@router.get("/shops/{shop_id}/refunds", summary="A shop's refund applications, newest first")
def list_refunds(
    shop_id: ShopId,
    cursor: Cursor = None,
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> RefundPageOut:
    scope, secret = f"refunds:{c.who.party}:{shop_id}", c.app.settings.secret_key
    after = cursors.decode_created(cursor, scope, secret)
    page = read(c, refunds.list_refunds, c.who, c.now, shop_id, cursor=after, limit=limit)
    return RefundPageOut.of(page, cursors.encode(page.next_cursor, scope, secret))


@router.get("/refunds/{refund_id}", summary="A refund: status, timeline, due dates (REF-8)")
def get_refund(refund_id: RefundId, c: Call = Depends(get_call)) -> RefundOut:
    return RefundOut.of(read(c, refunds.get_refund, c.who, c.now, refund_id))


@router.post(
    "/refunds/{refund_id}/withdraw",
    summary="Withdraw an application before it is approved (REF-7a)",
    responses=WRITES,
)
def withdraw(refund_id: RefundId, c: Call = Depends(get_call)) -> RefundOut:
    return RefundOut.of(run(c, refunds.withdraw, c.who, c.now, refund_id))


@router.post(
    "/refunds/{refund_id}/decision",
    summary="Approve or reject (REF-5; reviewer): eligibility is checked again",
    responses=WRITES,
)
def decide(refund_id: RefundId, body: DecisionIn, c: Call = Depends(get_call)) -> RefundOut:
    view = run(
        c,
        refunds.decide,
        c.who,
        c.now,
        refund_id,
        decision=body.decision,
        reason_code=body.reason_code,
        message=body.message,
    )
    return RefundOut.of(view)


@router.get(
    "/review-queue",
    summary="Submitted applications, the one due first at the top, with SLA state (REF-5)",
)
def review_queue(
    cursor: Cursor = None, limit: int = Depends(page_limit), c: Call = Depends(get_call)
) -> RefundPageOut:
    scope, secret = f"review-queue:{c.who.party}", c.app.settings.secret_key
    after = cursors.decode_created(cursor, scope, secret)
    page: Page[refunds.RefundView] = read(
        c, refunds.review_queue, c.who, c.now, limit=limit, cursor=after
    )
    return RefundPageOut.of(page, cursors.encode(page.next_cursor, scope, secret))


@router.post(
    "/payouts/{payout_id}/result",
    summary="The bank's answer for a payout (REF-6; integration): paid or failed, once",
    responses=WRITES,
)
def payout_result(
    payout_id: PayoutId, body: PayoutResultIn, c: Call = Depends(get_call)
) -> PayoutOut:
    payout = run(
        c,
        payouts.record_result,
        c.who,
        c.now,
        payout_id,
        status=body.status,
        bank_reference=body.bank_reference,
        reason=body.reason,
    )
    return PayoutOut.of(payout)
