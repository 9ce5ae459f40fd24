"""Any other address under `/seller/` or `/ops/`: the 404 page (not the API's
problem+json). Included last, so every page route is matched first."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from starlette.responses import Response

from depositdesk.entrypoints.web import pages
from depositdesk.entrypoints.web.i18n import gettext as _

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)


@router.get("/seller/{rest:path}", response_class=Response)
@router.get("/ops/{rest:path}", response_class=Response)
def no_such_page(rest: str) -> Response:
    raise HTTPException(404, _("There is no such page."))
