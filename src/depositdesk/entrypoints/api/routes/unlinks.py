"""Unlinking a shop (UNL-1..7): the request, its checklist, review, preconditions,
confirm."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from depositdesk.entrypoints.api.deps import Call, ShopId, UnlinkId, get_call
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.unlinks import (
    AgreementIn,
    ClosureNoticeOut,
    UnlinkIn,
    UnlinkOut,
    UnlinkReviewIn,
)
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import unlinks
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1",
    tags=["unlinks"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)
WRITES = problem_responses(409, 413)


@router.post(
    "/shops/{shop_id}/unlink",
    status_code=201,
    summary="Ask to unlink the shop (UNL-1; owner/admin with step-up): held for a "
    "security review when the seller has recent signals",
    responses=WRITES,
)
def request_unlink(shop_id: ShopId, body: UnlinkIn, c: Call = Depends(get_call)) -> UnlinkOut:
    view = run(
        c,
        unlinks.request_unlink,
        c.who,
        c.now,
        shop_id,
        unlink_date=body.unlink_date,
        support_contact=body.support_contact,
    )
    return UnlinkOut.of(view)


@router.get(
    "/unlinks/{unlink_id}",
    summary="An unlink request and its six-area checklist, recomputed now (UNL-6b)",
)
def get_unlink(unlink_id: UnlinkId, c: Call = Depends(get_call)) -> UnlinkOut:
    return UnlinkOut.of(read(c, unlinks.get_unlink, c.who, c.now, unlink_id))


@router.post(
    "/unlinks/{unlink_id}/review",
    summary="Clear or refuse a request held for a security review (UNL-1; reviewer)",
    responses=WRITES,
)
def review(unlink_id: UnlinkId, body: UnlinkReviewIn, c: Call = Depends(get_call)) -> UnlinkOut:
    view = run(
        c, unlinks.review, c.who, c.now, unlink_id, decision=body.decision, message=body.message
    )
    return UnlinkOut.of(view)


@router.post(
    "/shops/{shop_id}/closure-notice",
    summary="Start showing the closure notice on the shop (UNL-6a; owner/admin)",
    responses=WRITES,
)
def closure_notice(shop_id: ShopId, c: Call = Depends(get_call)) -> ClosureNoticeOut:
    return ClosureNoticeOut.of(run(c, unlinks.start_closure_notice, c.who, c.now, shop_id))


@router.post(
    "/unlinks/{unlink_id}/agreement",
    summary="Accept the closure agreement, its version recorded (UNL-6a; owner/admin)",
    responses=WRITES,
)
def agreement(unlink_id: UnlinkId, body: AgreementIn, c: Call = Depends(get_call)) -> UnlinkOut:
    view = run(c, unlinks.accept_agreement, c.who, c.now, unlink_id, version=body.version)
    return UnlinkOut.of(view)


@router.post(
    "/unlinks/{unlink_id}/confirm",
    summary="Confirm when every area is ok (UNL-7; owner/admin with step-up): 422 "
    "unlink_not_ready with the checks that are not",
    responses=WRITES,
)
def confirm(unlink_id: UnlinkId, c: Call = Depends(get_call)) -> UnlinkOut:
    return UnlinkOut.of(run(c, unlinks.confirm, c.who, c.now, unlink_id))
