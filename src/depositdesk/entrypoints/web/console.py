"""The operations console (`/ops/…`): the review queue with SLA clocks, and a
refund's review page (the eligibility re-check the decision makes, the proof files,
the shop's history and the seller's security signals, approve or reject with a
reason code). For the marketplace's platform users (reviewer, platform_admin,
auditor); the use cases decide who may do what, as for the API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Form
from starlette.responses import Response

from depositdesk.domain.attachments import Attachment
from depositdesk.domain.eligibility import Eligibility
from depositdesk.domain.errors import DomainError, NotEligible
from depositdesk.domain.refunds import RejectionCode
from depositdesk.entrypoints.web import charts, files, pages
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, console_page, redirect, render
from depositdesk.services import attachments, deposits, refunds
from depositdesk.services.access import Principal
from depositdesk.services.deposits import DepositView
from depositdesk.services.eligibility import assess_shop
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.refunds import RefundView
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.usecase import read, run

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
QUEUE = 100


@dataclass(frozen=True, slots=True)
class QueueRow:
    found: RefundView
    view: ShopView


def _queue(uow: UnitOfWork, who: Principal, now: datetime) -> list[QueueRow]:
    found = refunds.review_queue(uow, who, now, limit=QUEUE)
    return [QueueRow(f, load_shop(uow, None, now, f.refund.shop_id)) for f in found.items]


@router.get("/ops/reviews", response_class=Response)
def review_queue(page: Page = Depends(console_page)) -> Response:
    assert page.who is not None
    rows = read(page.app, _queue, page.who, page.now)
    counts = Counter(r.found.sla.value for r in rows if r.found.sla is not None)
    return render(
        page,
        "ops/reviews.html",
        rows=rows,
        counts=counts,
        chart=charts.sla_bars(counts) if rows else None,
    )


@dataclass(frozen=True, slots=True)
class Review:
    found: RefundView
    view: ShopView
    recheck: Eligibility  # what approving now would find (REF-5)
    deposit: DepositView
    proofs: tuple[Attachment, ...]
    history: tuple[RefundView, ...]  # the shop's other applications


def _review(uow: UnitOfWork, who: Principal, now: datetime, refund_id: str) -> Review:
    found = refunds.get_refund(uow, who, now, refund_id)
    refund = found.refund
    view = load_shop(uow, who, now, refund.shop_id)
    # The same check `decide` makes: this application's reservation counted as held.
    recheck = assess_shop(uow, view, now, refund.kind, refund.category, ignoring=refund)
    proofs = tuple(attachments.get_attachment(uow, who, now, a) for a in refund.attachment_ids)
    others = refunds.list_refunds(uow, who, now, refund.shop_id, cursor=None, limit=20)
    return Review(
        found,
        view,
        recheck,
        deposits.deposit(uow, who, now, refund.shop_id),
        proofs,
        tuple(f for f in others.items if f.refund.id != refund.id),
    )


def _review_page(
    page: Page, refund_id: str, status: int = 200, error: str | None = None
) -> Response:
    assert page.who is not None
    review = read(page.app, _review, page.who, page.now, refund_id)
    return render(
        page,
        "ops/refund.html",
        status=status,
        rv=review,
        r=review.found.refund,
        tz=review.view.pack.timezone,
        codes=[c.value for c in RejectionCode],
        error=error,
    )


@router.get("/ops/refunds/{refund_id}", response_class=Response)
def review_page(refund_id: str, page: Page = Depends(console_page)) -> Response:
    return _review_page(page, refund_id)


@router.post("/ops/refunds/{refund_id}/decision", response_class=Response)
def decide(
    refund_id: str,
    page: Page = Depends(console_page),
    decision: str = Form("", max_length=20),
    reason_code: str = Form("", max_length=40),
    message: str = Form("", max_length=2000),
) -> Response:
    assert page.who is not None
    try:
        run(
            page.app,
            refunds.decide,
            page.who,
            page.now,
            refund_id,
            decision=decision,
            reason_code=reason_code or None,
            message=message or None,
        )
    except NotEligible:
        return _review_page(
            page, refund_id, 422, _("It cannot be approved: the re-check below says why.")
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _review_page(page, refund_id, exc.status, exc.detail)
    return redirect(page, f"/ops/refunds/{refund_id}")


@router.get("/ops/attachments/{attachment_id}", response_class=Response)
def proof_file(attachment_id: str, page: Page = Depends(console_page)) -> Response:
    return files.proof_file(page, attachment_id)
