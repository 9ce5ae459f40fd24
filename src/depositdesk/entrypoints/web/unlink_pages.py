"""The unlink wizard of the Seller Center (UNL-1..9): start a request (step-up), the
six-area checklist with each action's button, the closure notice and agreement,
confirm with the second factor, the verification afterwards, the archive and the
escalation to platform support.

Every button posts to a page route that calls the API's use case (services/unlinks,
services/unlink_actions, services/archives): no rule lives here. The actions and the
archive arrived in their own slices; a page shows what the running build has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import APIRouter, Depends, Form, HTTPException
from fastapi.responses import FileResponse
from starlette.responses import Response

from depositdesk.adapters.archive_writer import LocalArchiveStore
from depositdesk.domain.archives import Archive
from depositdesk.domain.errors import DomainError, Refused, ValidationProblem
from depositdesk.domain.shop import Language
from depositdesk.entrypoints.web import i18n, pages
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, redirect, render, seller_page
from depositdesk.entrypoints.web.step_up import NeedsCode, with_step_up
from depositdesk.entrypoints.web.unlink_texts import (
    AGREEMENT_VERSION,
    RUN_ACTIONS,
    SELLER_ACTIONS,
    action_label,
    area_label,
    check_label,
    outside_hint,
    status_label,
)
from depositdesk.services import archives, unlink_actions, unlinks
from depositdesk.services.access import Principal
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.unlinks import UnlinkView
from depositdesk.services.usecase import read, run

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
FIRST_RECORDS = 5  # the records shown under a check; the count says how many more


@dataclass(frozen=True, slots=True)
class UnlinkPage:
    """An unlink request with its shop and the seller's language (for the messages)."""

    view: UnlinkView
    shop: ShopView
    seller_zh: bool
    archive: Archive | None = None  # the shop's running archive, else its ready one

    @property
    def zone(self) -> str:
        return self.shop.pack.timezone


def _unlink_page(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> UnlinkPage:
    view = unlinks.get_unlink(uow, who, now, unlink_id)
    shop = load_shop(uow, who, now, view.shop_id)
    seller = uow.sellers.get(shop.shop.seller_id)
    archive = uow.archives.open_for_shop(shop.shop.id) or uow.archives.ready_for_shop(shop.shop.id)
    return UnlinkPage(view, shop, seller is not None and seller.language is Language.ZH, archive)


@dataclass(frozen=True, slots=True)
class StartPage:
    shop: ShopView
    open_id: str | None
    earliest: date


def _start_page(uow: UnitOfWork, who: Principal, now: datetime, shop_id: str) -> StartPage:
    shop = load_shop(uow, who, now, shop_id)
    current = uow.unlinks.open_for_shop(shop_id)
    pack = shop.pack
    earliest = (now + timedelta(days=pack.unlink_cutoff_days + 1)).astimezone(
        ZoneInfo(pack.timezone)
    )
    return StartPage(shop, current.id if current else None, earliest.date())


def _who(page: Page) -> Principal:
    assert page.who is not None
    return page.who


def date_text(value: date) -> str:
    """A calendar date of the market's calendar, per locale."""
    return format_date(value, format="long", locale=i18n.LOCALES[i18n.current()])


def _unlink_url(unlink_id: str, done: str | None = None) -> str:
    url = f"/seller/unlinks/{quote(unlink_id, safe='')}"
    return url + (f"?done={quote(done, safe='')}" if done else "")


def _common(page: Page) -> dict[str, Any]:
    return {
        "area_label": area_label,
        "check_label": check_label,
        "action_label": action_label,
        "outside_hint": outside_hint,
        "status_label": status_label,
        "SELLER_ACTIONS": SELLER_ACTIONS,
        "AGREEMENT_VERSION": AGREEMENT_VERSION,
        "day_text": date_text,
    }


# -- start ----------------------------------------------------------------------------------


@router.get("/seller/shops/{shop_id}/unlink", response_class=Response)
def start_page(shop_id: str, page: Page = Depends(seller_page)) -> Response:
    assert page.who is not None
    start = read(page.app, _start_page, page.who, page.now, shop_id)
    if start.open_id is not None:
        return redirect(page, _unlink_url(start.open_id))
    return render(
        page,
        "seller/unlink_start.html",
        start=start,
        unlink_date=(start.earliest + timedelta(days=30)).isoformat(),
        support_contact="",
        ask_code=False,
        error=None,
        **_common(page),
    )


@router.post("/seller/shops/{shop_id}/unlink", response_class=Response)
def start(
    shop_id: str,
    page: Page = Depends(seller_page),
    unlink_date: str = Form("", max_length=20),
    support_contact: str = Form("", max_length=2000),
    code: str = Form("", max_length=20),
) -> Response:
    assert page.who is not None
    start_info = read(page.app, _start_page, page.who, page.now, shop_id)

    def again(error: str | None, ask_code: bool, status: int) -> Response:
        return render(
            page,
            "seller/unlink_start.html",
            status=status,
            start=start_info,
            unlink_date=unlink_date,
            support_contact=support_contact,
            ask_code=ask_code,
            error=error,
            **_common(page),
        )

    try:
        day = date.fromisoformat(unlink_date.strip())
    except ValueError:
        return again(_("Enter the unlink date as a date (YYYY-MM-DD)."), bool(code), 422)
    try:
        view = with_step_up(
            page,
            code,
            lambda who: run(
                page.app,
                unlinks.request_unlink,
                who,
                page.now,
                shop_id,
                unlink_date=day,
                support_contact=support_contact,
            ),
        )
    except NeedsCode as need:
        return again(
            need.error
            or _("Unlinking a shop needs your second factor again: enter your app's code."),
            True,
            403 if need.error is None else 401,
        )
    except Refused as exc:
        open_id = exc.extra.get("unlink_id")
        if exc.code == "unlink_open" and isinstance(open_id, str):
            return redirect(page, _unlink_url(open_id))
        return again(exc.detail, False, exc.status)
    except ValidationProblem as exc:
        if any(p.rule == "too_soon" for p in exc.problems):
            return again(
                _("The date is too soon: the cutoff for new orders comes before it.")
                + " "
                + exc.detail,
                False,
                422,
            )
        return again(exc.detail, False, exc.status)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return again(exc.detail, False, exc.status)
    return redirect(page, _unlink_url(view.unlink.id))


# -- the checklist ---------------------------------------------------------------------------


@router.get("/seller/unlinks/{unlink_id}", response_class=Response)
def unlink_page(
    unlink_id: str, page: Page = Depends(seller_page), done: str | None = None
) -> Response:
    assert page.who is not None
    found = read(page.app, _unlink_page, _who(page), page.now, unlink_id)
    return _render_unlink(page, found, done=done)


def _render_unlink(
    page: Page,
    found: UnlinkPage,
    *,
    done: str | None = None,
    error: str | None = None,
    ask_code: bool = False,
    status: int = 200,
    problems: list[dict[str, Any]] | None = None,
) -> Response:
    u = found.view.unlink
    return render(
        page,
        "seller/unlink.html",
        status=status,
        found=found,
        u=u,
        checklist=found.view.checklist,
        zone=found.zone,
        done=done,
        error=error,
        ask_code=ask_code,
        problems=problems or [],
        first=FIRST_RECORDS,
        extras=extras_of(page, found),
        **_common(page),
    )


def extras_of(page: Page, found: UnlinkPage) -> dict[str, Any]:
    """The actions with a button, and the parts below the checklist (archive,
    escalation, cancel, verification)."""
    return {"actions": RUN_ACTIONS, "parts": ("seller/unlink_more.html",)}


def _act(
    page: Page,
    unlink_id: str,
    done: str,
    call: Callable[[Principal], object],
    *,
    code: str = "",
) -> Response:
    """Call a use case for this request (with the second factor passed again when a
    code came with the form); back to the checklist saying what was done, or the
    checklist again with why not."""
    try:
        with_step_up(page, code, call)
    except NeedsCode as need:
        found = read(page.app, _unlink_page, _who(page), page.now, unlink_id)
        return _render_unlink(
            page,
            found,
            error=need.error
            or _("This step needs your second factor again: enter your app's code."),
            ask_code=True,
            status=403 if need.error is None else 401,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        found = read(page.app, _unlink_page, _who(page), page.now, unlink_id)
        extra = exc.extra if isinstance(exc, Refused) else {}
        problems = extra.get("checks")
        return _render_unlink(
            page,
            found,
            error=exc.detail,
            status=exc.status,
            problems=problems if isinstance(problems, list) else None,
        )
    return redirect(page, _unlink_url(unlink_id, done))


@router.post("/seller/unlinks/{unlink_id}/closure-notice", response_class=Response)
def closure_notice(unlink_id: str, page: Page = Depends(seller_page)) -> Response:
    assert page.who is not None
    found = read(page.app, _unlink_page, _who(page), page.now, unlink_id)
    shop_id = found.shop.shop.id
    return _act(
        page,
        unlink_id,
        "closure-notice",
        lambda who: run(page.app, unlinks.start_closure_notice, who, page.now, shop_id),
    )


@router.post("/seller/unlinks/{unlink_id}/agreement", response_class=Response)
def agreement(
    unlink_id: str,
    page: Page = Depends(seller_page),
    accept: str = Form("", max_length=10),
    version: str = Form("", max_length=40),
) -> Response:
    if accept != "yes":
        found = read(page.app, _unlink_page, _who(page), page.now, unlink_id)
        return _render_unlink(
            page,
            found,
            error=_("Tick the box to accept the closure agreement."),
            status=422,
        )
    return _act(
        page,
        unlink_id,
        "agreement",
        lambda who: run(
            page.app, unlinks.accept_agreement, who, page.now, unlink_id, version=version
        ),
    )


@router.post("/seller/unlinks/{unlink_id}/confirm", response_class=Response)
def confirm(
    unlink_id: str, page: Page = Depends(seller_page), code: str = Form("", max_length=20)
) -> Response:
    def call(who: Principal) -> object:
        return run(page.app, unlinks.confirm, who, page.now, unlink_id)

    return _act(page, unlink_id, "confirmed", call, code=code)


@router.post("/seller/unlinks/{unlink_id}/actions/{action}", response_class=Response)
def run_action(
    unlink_id: str,
    action: str,
    page: Page = Depends(seller_page),
    discount_code: str = Form("", max_length=64),
    code: str = Form("", max_length=20),
) -> Response:
    """An action of the checklist, as `POST /v1/unlinks/{id}/actions/{action}` runs it
    (withdraw-proceeds: the payout is sent between two transactions, as the API does)."""
    if action not in RUN_ACTIONS or action == "archive":
        raise HTTPException(404, _("There is no such page."))

    def call(who: Principal) -> object:
        return unlink_actions.act(
            page.app,
            page.app.gateways.payouts,
            who,
            page.now,
            unlink_id,
            action,
            discount_code=discount_code.strip() or None,
        )

    return _act(page, unlink_id, action, call, code=code)


@router.post("/seller/unlinks/{unlink_id}/archive", response_class=Response)
def start_archive(
    unlink_id: str, page: Page = Depends(seller_page), anonymize: str = Form("", max_length=10)
) -> Response:
    """UNL-4: the shop's archive, as `POST /v1/shops/{id}/archives` starts it (the
    worker builds it; the page follows its progress)."""
    found = read(page.app, _unlink_page, _who(page), page.now, unlink_id)
    shop_id = found.shop.shop.id
    return _act(
        page,
        unlink_id,
        "archive",
        lambda who: run(
            page.app,
            archives.start_archive,
            who,
            page.now,
            shop_id,
            anonymize_customers=anonymize == "yes",
        ),
    )


@router.post("/seller/unlinks/{unlink_id}/cancel", response_class=Response)
def cancel(unlink_id: str, page: Page = Depends(seller_page)) -> Response:
    return _act(
        page,
        unlink_id,
        "cancelled",
        lambda who: run(page.app, unlinks.cancel, who, page.now, unlink_id),
    )


@router.post("/seller/unlinks/{unlink_id}/escalate", response_class=Response)
def escalate(
    unlink_id: str, page: Page = Depends(seller_page), message: str = Form("", max_length=2000)
) -> Response:
    """UNL-9: to platform support, with the errors seen, the checklist and the trail."""
    return _act(
        page,
        unlink_id,
        "escalated",
        lambda who: run(page.app, unlinks.escalate, who, page.now, unlink_id, message=message),
    )


@router.get("/seller/shops/{shop_id}/unlink/verification", response_class=Response)
def verification(shop_id: str, page: Page = Depends(seller_page)) -> Response:
    """UNL-8: gone from the active shops, no order after the cutoff, the confirmation
    sent: the three answers with their evidence."""
    found = read(page.app, _verification, _who(page), page.now, shop_id)
    return render(
        page,
        "seller/unlink_verification.html",
        v=found[0],
        shop=found[1],
        zone=found[1].pack.timezone,
        **_common(page),
    )


def _verification(
    uow: UnitOfWork, who: Principal, now: datetime, shop_id: str
) -> tuple[unlinks.Verification, ShopView]:
    return unlinks.verification(uow, who, now, shop_id), load_shop(uow, who, now, shop_id)


@router.get("/seller/archives/{archive_id}/download", response_class=Response)
def download_archive(archive_id: str, page: Page = Depends(seller_page)) -> Response:
    """UNL-4: the archive's zip, as `GET /v1/archives/{id}/download` streams it."""
    store = LocalArchiveStore(page.app.settings.data_dir)
    found = read(page.app, archives.download, _who(page), page.now, archive_id, store=store)
    return FileResponse(found.path, media_type="application/zip", filename=found.filename)
