"""Unlinking a shop (UNL-1..7): the request, its checklist, review, preconditions,
confirm."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response

from depositdesk.domain.money import Money
from depositdesk.entrypoints.api.deps import (
    Call,
    ShopId,
    UnlinkId,
    get_call,
    get_caller,
    page_limit,
)
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.unlinks import (
    ActionIn,
    ActionOut,
    AgreementIn,
    ClosureNoticeOut,
    EscalateIn,
    EscalationOut,
    UnlinkIn,
    UnlinkOut,
    UnlinkPageOut,
    UnlinkReviewIn,
    VerificationOut,
)
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import unlink_actions, unlinks
from depositdesk.services.unlink_actions import ActionAnswer
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


ActionName = Annotated[
    str,
    Path(
        max_length=60,
        description="cancel-unfulfillable-orders, withdraw-proceeds, tax-summary, archive, "
        "notify-customers",
    ),
]


@router.post(
    "/unlinks/{unlink_id}/actions/{action}",
    summary="Run an unlink action (UNL-2/3/4/6; owner/admin; withdraw-proceeds with "
    "step-up): idempotent, `changed` false when nothing more was done; tax-summary "
    "answers CSV with ?format=csv or Accept: text/csv",
    response_model=ActionOut,
    responses={
        **WRITES,
        200: {"content": {"text/csv": {}}, "description": "the action's outcome"},
    },
)
def run_action(
    unlink_id: UnlinkId,
    action: ActionName,
    request: Request,
    body: ActionIn | None = None,
    format: str | None = Query(default=None, pattern="^(json|csv)$", description="tax-summary"),
    idempotency_key: str | None = Header(
        default=None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the same key replays the first answer, changing nothing more",
    ),
    c: Call = Depends(get_caller),
) -> Any:
    answer: ActionAnswer = unlink_actions.act(
        c,
        c.app.gateways.payouts,
        c.who,
        c.now,
        unlink_id,
        action,
        discount_code=body.discount_code if body else None,
        anonymize_customers=body.anonymize_customers if body else None,
        idempotency_key=idempotency_key,
    )
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if answer.tax is not None and wants_csv:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["month", "currency", "orders", "sales", "tax", "cancelled"])
        for m in answer.tax:
            w.writerow(
                [
                    m.month,
                    m.currency,
                    m.orders,
                    Money(m.currency, m.sales_minor).format(),
                    Money(m.currency, m.tax_minor).format(),
                    m.cancelled,
                ]
            )
        name = f"tax-summary-{answer.unlink.shop_id}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return ActionOut.of(answer)


@router.post(
    "/unlinks/{unlink_id}/cancel",
    summary="Cancel an open request before its date (owner/admin): status cancelled, "
    "the cutoff lifted",
    responses=WRITES,
)
def cancel(unlink_id: UnlinkId, c: Call = Depends(get_call)) -> UnlinkOut:
    return UnlinkOut.of(run(c, unlinks.cancel, c.who, c.now, unlink_id))


@router.post(
    "/unlinks/{unlink_id}/escalate",
    status_code=201,
    summary="Escalate a stalled request to platform support (UNL-9; owner/admin): the "
    "errors seen, the checklist and the audit trail, in the reviewers' queue",
    responses=WRITES,
)
def escalate(unlink_id: UnlinkId, body: EscalateIn, c: Call = Depends(get_call)) -> EscalationOut:
    return EscalationOut.of(run(c, unlinks.escalate, c.who, c.now, unlink_id, message=body.message))


@router.get(
    "/shops/{shop_id}/unlink/verification",
    summary="UNL-8: the shop is gone from the active shops, no order after the cutoff, "
    "the confirmation sent, with the evidence",
)
def verification(shop_id: ShopId, c: Call = Depends(get_call)) -> VerificationOut:
    return VerificationOut.of(read(c, unlinks.verification, c.who, c.now, shop_id))


@router.get(
    "/unlinks",
    summary="Unlink requests for review, oldest first: ?status=manual_review,escalated "
    "(the default; also preparing, scheduled, unlinked, cancelled, refused); a seller "
    "sees its own",
)
def queue(
    status: str | None = Query(
        default=None, max_length=200, description="statuses, separated by , or |"
    ),
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> UnlinkPageOut:
    wanted = [s for s in (status or "").replace("|", ",").split(",") if s.strip()]
    items = read(
        c, unlinks.review_queue, c.who, c.now, statuses=[s.strip() for s in wanted], limit=limit
    )
    return UnlinkPageOut(items=[UnlinkOut.of(v) for v in items])
