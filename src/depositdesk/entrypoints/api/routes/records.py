"""A shop's full record as one document (AUD-2)."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Depends, Query, Response

from depositdesk.entrypoints.api.deps import Call, ShopId, get_call
from depositdesk.entrypoints.api.record_document import render_html, render_pdf
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services.shop_record import shop_record
from depositdesk.services.usecase import read

router = APIRouter(
    prefix="/v1",
    tags=["audit"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)


class RecordFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


@router.get(
    "/shops/{shop_id}/record",
    summary=(
        "The shop's record as one document: deposit history, notices, refund decisions, "
        "payouts and audit records (AUD-2; auditor, platform_admin, the shop's owner/admin)"
    ),
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "the document",
        }
    },
)
def get_record(
    shop_id: ShopId,
    format: RecordFormat = Query(RecordFormat.HTML, description="html or pdf"),
    c: Call = Depends(get_call),
) -> Response:
    record = read(c, shop_record, c.who, c.now, shop_id)
    stamp = c.now.strftime("%Y%m%d")
    if format is RecordFormat.PDF:
        return Response(
            render_pdf(record),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="record-{shop_id}-{stamp}.pdf"'},
        )
    return Response(render_html(record), media_type="text/html; charset=utf-8")
