"""The console's enforcement board (DEP-5, DEP-6): under-funded shops by ladder step,
what each owes and how many days it is overdue (services/enforcement_board)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from depositdesk.entrypoints.web import pages
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.entrypoints.web.pages import Page, console_page, render
from depositdesk.services import enforcement_board
from depositdesk.services.usecase import read

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)
LADDER = (
    None,
    "warning",
    "listing_suspended",
    "delisted",
    "rights_suspended",
    "programs_suspended",
    "marketplace_suspended",
)


def step_label(step: str | None) -> str:
    return {
        None: _("Top-up notice sent"),
        "warning": _("Formal warning"),
        "listing_suspended": _("Listing suspended"),
        "delisted": _("Products delisted"),
        "rights_suspended": _("Seller rights suspended"),
        "programs_suspended": _("Programs suspended"),
        "marketplace_suspended": _("Marketplace access suspended"),
    }.get(step, step or "")


@router.get("/ops/enforcement", response_class=Response)
def board(page: Page = Depends(console_page)) -> Response:
    assert page.who is not None
    rows = read(page.app, enforcement_board.board, page.who, page.now)
    groups = [(step, [r for r in rows if r.step == step]) for step in LADDER]
    known = set(LADDER)
    other = [r for r in rows if r.step not in known]
    return render(
        page,
        "ops/enforcement.html",
        groups=[(s, g) for s, g in reversed(groups) if g],
        other=other,
        total=len(rows),
        step_label=step_label,
    )
