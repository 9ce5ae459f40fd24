"""The Seller Center (`/seller/…`): shops, the deposit page, applying for a refund
with live eligibility (HTMX), the refund's timeline. Every figure comes from the
API's use cases (deposits, eligibility, refunds, attachments); another seller's
shop or refund is the 404 page, as the API's 404."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from depositdesk.domain.attachments import Attachment, Limits
from depositdesk.domain.calendar import BusinessCalendar
from depositdesk.domain.errors import DomainError, NotEligible, ValidationProblem
from depositdesk.domain.ledger import RecordedEntry
from depositdesk.domain.money import Money
from depositdesk.domain.policy import Category
from depositdesk.entrypoints.web import charts, files, pages
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, fragment, redirect, render, seller_page
from depositdesk.services import attachments, deposits, refunds, shops
from depositdesk.services.access import Principal
from depositdesk.services.deposits import DepositView
from depositdesk.services.eligibility import EligibilityAnswer, eligibility
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.refunds import RefundView
from depositdesk.services.shop_record import _held_change
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.usecase import read, run

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
MAX_SHOPS = 200
LEDGER_LINES = 200


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


@dataclass(frozen=True, slots=True)
class LedgerLine:
    entry: RecordedEntry
    change: Money  # what the entry did to the held deposit
    held_after: Money


@dataclass(frozen=True, slots=True)
class DepositPage:
    view: ShopView
    deposit: DepositView
    lines: tuple[LedgerLine, ...]  # newest first
    more: bool  # older entries than these exist
    setting: Category | None  # the category whose deposit is the required one (DEP-1)
    categories: tuple[Category, ...]
    refunds: tuple[RefundView, ...]


def _deposit_page(uow: UnitOfWork, who: Principal, now: datetime, shop_id: str) -> DepositPage:
    view = load_shop(uow, who, now, shop_id)
    deposit = deposits.deposit(uow, who, now, shop_id)
    ledger = deposits.ledger(uow, who, now, shop_id, cursor=None, limit=LEDGER_LINES)
    currency = view.pack.currency
    # The running balance (DEP-3), walked back from what is held now.
    held = deposit.position.held
    lines: list[LedgerLine] = []
    for entry in ledger.entries:
        change = _held_change(entry, currency)
        lines.append(LedgerLine(entry, change, held))
        held = held - change
    categories = tuple(c for c in (view.pack.category(code) for code in view.categories) if c)
    setting = max(categories, key=lambda c: c.deposit.minor, default=None)
    found = refunds.list_refunds(uow, who, now, shop_id, cursor=None, limit=10)
    return DepositPage(
        view,
        deposit,
        tuple(lines),
        ledger.next_cursor is not None,
        setting,
        categories,
        tuple(found.items),
    )


@router.get("/seller/shops/{shop_id}/deposit", response_class=Response)
def deposit_page(shop_id: str, page: Page = Depends(seller_page)) -> Response:
    assert page.who is not None
    data = read(page.app, _deposit_page, page.who, page.now, shop_id)
    chart = charts.held_vs_required(data.view, data.deposit, data.lines, page.now)
    return render(page, "seller/deposit.html", d=data, tz=data.view.pack.timezone, chart=chart)


# --- applying for a refund


def _check(
    page: Page, shop_id: str, kind: str, category: str | None, what_if: str | None
) -> EligibilityAnswer:
    assert page.who is not None
    return read(
        page.app,
        eligibility,
        page.who,
        page.now,
        shop_id,
        kind=kind,
        category=category or None,
        what_if=what_if or None,
        rates=page.app.gateways.rates,
    )


def _choice(kind: str | None, category: str | None, what_if: str | None) -> tuple[str, str, str]:
    """The form's choice; a category and its what-if only count for a difference."""
    if kind != "difference":
        return "full", "", ""
    return "difference", (category or "")[:40], "stop" if what_if == "stop" else ""


@router.get("/seller/shops/{shop_id}/refund", response_class=Response)
def refund_form(
    shop_id: str,
    kind: str | None = None,
    category: str | None = None,
    what_if: str | None = None,
    page: Page = Depends(seller_page),
) -> Response:
    return render(
        page,
        "seller/refund_apply.html",
        **_eligibility_context(page, shop_id, kind, category, what_if),
        key=secrets.token_urlsafe(16),
        errors={},
        form={},
    )


def _eligibility_context(
    page: Page, shop_id: str, kind: str | None, category: str | None, what_if: str | None
) -> dict[str, Any]:
    """What the apply form and its live eligibility part both show: the shop, the
    choices as understood, and the answer (or why there is none)."""
    assert page.who is not None
    view = read(page.app, load_shop, page.who, page.now, shop_id)
    kind, category, what_if = _choice(kind, category, what_if)
    answer, problem = _answer(page, shop_id, kind, category, what_if)
    return {
        "view": view,
        "tz": view.pack.timezone,
        "kind": kind,
        "category": category,
        "what_if": what_if,
        "answer": answer,
        "problem": problem,
    }


def _answer(
    page: Page, shop_id: str, kind: str, category: str, what_if: str
) -> tuple[EligibilityAnswer | None, str | None]:
    if kind == "difference" and not category and what_if:
        return None, _("Choose the category you would stop.")
    try:
        return _check(page, shop_id, kind, category, what_if), None
    except ValidationProblem as exc:
        return None, exc.detail


@router.get("/seller/shops/{shop_id}/eligibility", response_class=Response)
def eligibility_fragment(
    shop_id: str,
    kind: str | None = None,
    category: str | None = None,
    what_if: str | None = None,
    page: Page = Depends(seller_page),
) -> Response:
    """Live eligibility for the apply form (HTMX swaps it in as the choices change)."""
    context = _eligibility_context(page, shop_id, kind, category, what_if)
    return fragment(page, "seller/eligibility.html", **context)


def _text(form: dict[str, object], name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@router.post("/seller/shops/{shop_id}/refund", response_class=Response)
async def apply_for_refund(shop_id: str, request: Request) -> Response:
    """The proof (PDF, PNG or JPEG) is uploaded first as `POST /v1/attachments` does,
    then the application is made as `POST /v1/shops/{id}/refunds` does; refused input
    shows the form again with what was wrong."""
    page = await run_in_threadpool(seller_page, request)
    form = await request.form()
    fields: dict[str, object] = {k: v for k, v in form.items() if isinstance(v, str)}
    proof = form.get("proof")
    data = b""
    name: str | None = None
    if isinstance(proof, UploadFile) and proof.filename:
        limit = page.app.settings.attachment_max_bytes
        data = await proof.read(limit + 1)
        name = proof.filename
    return await run_in_threadpool(_apply, page, shop_id, fields, data, name)


def _apply(
    page: Page, shop_id: str, form: dict[str, object], data: bytes, filename: str | None
) -> Response:
    assert page.who is not None
    application = page.app
    settings = application.settings
    kind, category, _what = _choice(_text(form, "kind"), _text(form, "category"), None)
    key = _text(form, "key", 200) or secrets.token_urlsafe(16)
    errors: dict[str, str] = {}
    attachment_ids: list[str] = []
    try:
        if data or filename:
            limits = Limits(
                max_bytes=settings.attachment_max_bytes, max_pixels=settings.attachment_max_pixels
            )
            attachment = run(
                application,
                attachments.upload,
                page.who,
                page.now,
                data=data,
                filename=filename,
                limits=limits,
                files=application.gateways.files,
            )
            attachment_ids.append(attachment.id)
        other = _text(form, "destination") == "other"
        found = run(
            application,
            refunds.apply,
            page.who,
            page.now,
            shop_id,
            kind=kind,
            category=category or None,
            reason=_text(form, "reason"),
            destination_account=_text(form, "account", 200) or None if other else None,
            destination_currency=_text(form, "currency", 3).upper() or None if other else None,
            destination_reason=_text(form, "account_reason") or None if other else None,
            attachment_ids=attachment_ids,
            idempotency_key=key,
        )
    except ValidationProblem as exc:
        for p in exc.problems:
            errors[p.field] = p.message
    except NotEligible:
        errors["kind"] = _("Not eligible yet: see what blocks it above.")
    except DomainError as exc:
        if exc.status == 404:
            raise
        errors["form"] = exc.detail
    else:
        return redirect(page, f"/seller/refunds/{found.refund.id}")
    view = read(application, load_shop, page.who, page.now, shop_id)
    answer, problem = _answer(page, shop_id, kind, category, "")
    return render(
        page,
        "seller/refund_apply.html",
        status=422,
        view=view,
        tz=view.pack.timezone,
        kind=kind,
        category=category,
        what_if="",
        answer=answer,
        problem=problem,
        key=secrets.token_urlsafe(16),
        errors=errors,
        form=form,
    )


# --- a refund's status


@dataclass(frozen=True, slots=True)
class Arrival:
    first: date
    last: date


def arrival(found: RefundView, view: ShopView) -> Arrival | None:
    """REF-6: the business days after paying in which the money arrives, as dates in
    the market's calendar (from when the payout was sent)."""
    payout = found.payout
    start = payout.sent_at if payout is not None and payout.sent_at else None
    if start is None:
        return None
    calendar = BusinessCalendar(view.pack.country, view.pack.timezone)
    low, high = found.expected_arrival
    day = calendar.local_date(start)
    return Arrival(calendar.add_business_days(day, low), calendar.add_business_days(day, high))


def _refund_page(
    uow: UnitOfWork, who: Principal, now: datetime, refund_id: str
) -> tuple[RefundView, ShopView, tuple[Attachment, ...]]:
    found = refunds.get_refund(uow, who, now, refund_id)
    proofs = tuple(
        attachments.get_attachment(uow, who, now, a) for a in found.refund.attachment_ids
    )
    return found, load_shop(uow, who, now, found.refund.shop_id), proofs


@router.get("/seller/refunds/{refund_id}", response_class=Response)
def refund_page(refund_id: str, page: Page = Depends(seller_page)) -> Response:
    assert page.who is not None
    found, view, proofs = read(page.app, _refund_page, page.who, page.now, refund_id)
    return render(
        page,
        "seller/refund.html",
        r=found.refund,
        found=found,
        view=view,
        proofs=proofs,
        tz=view.pack.timezone,
        arrival=arrival(found, view),
    )


@router.post("/seller/refunds/{refund_id}/withdraw", response_class=Response)
def withdraw(refund_id: str, page: Page = Depends(seller_page)) -> Response:
    assert page.who is not None
    run(page.app, refunds.withdraw, page.who, page.now, refund_id)
    return redirect(page, f"/seller/refunds/{refund_id}")


@router.get("/seller/attachments/{attachment_id}", response_class=Response)
def proof_file(attachment_id: str, page: Page = Depends(seller_page)) -> Response:
    return files.proof_file(page, attachment_id)
