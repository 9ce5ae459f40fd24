"""The console's audit pages (AUD-1): search the log by shop, actor and time, and
check its hash chain against the daily anchors, as `GET /v1/audit` and
`GET /v1/audit/verify` (and `depositdesk audit verify`) do."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends
from starlette.responses import Response

from depositdesk.adapters.anchors import FileAnchorStore
from depositdesk.entrypoints.web import pages
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, console_page, render
from depositdesk.services import audit_trail
from depositdesk.services.paging import EntryCursor
from depositdesk.services.usecase import read

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
PAGE = 50


def _since(text: str) -> datetime | None:
    """A date or a time from the form (a time without a zone is UTC)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/ops/audit", response_class=Response)
def search(
    page: Page = Depends(console_page),
    shop_id: str = "",
    actor: str = "",
    since: str = "",
    before: int | None = None,
) -> Response:
    assert page.who is not None
    error = None
    when = None
    if since.strip():
        try:
            when = _since(since.strip())
        except ValueError:
            error = _("Enter the time as a date (YYYY-MM-DD) or a date and time.")
    found = None
    if error is None:
        found = read(
            page.app,
            audit_trail.list_records,
            page.who,
            page.now,
            shop_id=shop_id.strip()[:64] or None,
            actor=actor.strip()[:200] or None,
            since=when,
            cursor=EntryCursor(before) if before else None,
            limit=PAGE,
        )
    return render(
        page,
        "ops/audit.html",
        status=422 if error else 200,
        found=found,
        error=error,
        shop_id=shop_id,
        actor=actor,
        since=since,
    )


@router.get("/ops/audit/verify", response_class=Response)
def verify(page: Page = Depends(console_page)) -> Response:
    assert page.who is not None
    anchors = FileAnchorStore(page.app.settings.data_dir).all()
    report = read(page.app, audit_trail.verify_chain, page.who, page.now, anchors=anchors)
    return render(page, "ops/audit_verify.html", report=report)
