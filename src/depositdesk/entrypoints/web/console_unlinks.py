"""The operations console's unlink reviews (UNL-1, UNL-9): requests held for a
security review, with the signals that hold them, cleared or refused with a message
(the API's `POST /v1/unlinks/{id}/review`), and escalated requests with what the
seller sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form
from starlette.responses import Response

from depositdesk.domain.errors import DomainError
from depositdesk.entrypoints.web import pages
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, console_page, redirect, render
from depositdesk.entrypoints.web.unlink_texts import area_label, check_label, status_label
from depositdesk.services import unlinks
from depositdesk.services.access import Principal
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.unlinks import UnlinkView
from depositdesk.services.usecase import read, run

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
QUEUE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Reviewed:
    view: UnlinkView
    shop: ShopView
    escalations: tuple[dict[str, Any], ...] = ()  # UNL-9: what the seller sent, oldest first


def _queue(uow: UnitOfWork, who: Principal, now: datetime) -> list[Reviewed]:
    """Held for review and escalated, oldest first (services/unlinks.review_queue)."""
    found = unlinks.review_queue(uow, who, now, statuses=[], limit=QUEUE_LIMIT)
    return [Reviewed(v, load_shop(uow, who, now, v.shop_id)) for v in found]


def _one(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> Reviewed:
    view = unlinks.get_unlink(uow, who, now, unlink_id)  # the readers' check
    sent = tuple(uow.unlinks.escalations(unlink_id))
    return Reviewed(view, load_shop(uow, who, now, view.shop_id), sent)


def _labels() -> dict[str, Any]:
    return {"area_label": area_label, "check_label": check_label, "status_label": status_label}


@router.get("/ops/unlinks", response_class=Response)
def queue(page: Page = Depends(console_page), done: str | None = None) -> Response:
    assert page.who is not None
    rows = read(page.app, _queue, page.who, page.now)
    return render(page, "ops/unlinks.html", rows=rows, done=done, **_labels())


@router.get("/ops/unlinks/{unlink_id}", response_class=Response)
def review_page(unlink_id: str, page: Page = Depends(console_page)) -> Response:
    assert page.who is not None
    found = read(page.app, _one, page.who, page.now, unlink_id)
    return render(page, "ops/unlink_review.html", r=found, error=None, message="", **_labels())


@router.post("/ops/unlinks/{unlink_id}/review", response_class=Response)
def review(
    unlink_id: str,
    page: Page = Depends(console_page),
    decision: str = Form("", max_length=10),
    message: str = Form("", max_length=2000),
) -> Response:
    assert page.who is not None
    try:
        run(
            page.app,
            unlinks.review,
            page.who,
            page.now,
            unlink_id,
            decision=decision,
            message=message or None,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        found = read(page.app, _one, page.who, page.now, unlink_id)
        error = exc.detail
        if exc.code == "validation_error" and decision == "refuse" and not message.strip():
            error = _("Say why the request is refused: the seller reads this message.")
        return render(
            page,
            "ops/unlink_review.html",
            status=exc.status,
            r=found,
            error=error,
            message=message,
            **_labels(),
        )
    done = "cleared" if decision == "clear" else "refused"
    return redirect(page, f"/ops/unlinks?done={quote(done)}")
