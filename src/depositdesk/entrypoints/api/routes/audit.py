"""The audit log (AUD-1): its records, and the check of its hash chain."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response

from depositdesk.adapters.anchors import FileAnchorStore
from depositdesk.domain.errors import ValidationProblem
from depositdesk.entrypoints.api import cursors
from depositdesk.entrypoints.api.answers import answer
from depositdesk.entrypoints.api.deps import Call, Cursor, get_call, page_limit
from depositdesk.entrypoints.api.schemas.audit import AuditPageOut, AuditRecordOut, AuditVerifyOut
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import MARKETPLACE_ID_PATTERN
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import audit_trail
from depositdesk.services.usecase import read

router = APIRouter(
    prefix="/v1",
    tags=["audit"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 422, 500),
)


@router.get(
    "/audit",
    summary="Audit records, newest first (AUD-1; auditor, platform_admin)",
    response_model=AuditPageOut,
)
def list_audit(
    shop_id: str | None = Query(None, max_length=64, pattern=MARKETPLACE_ID_PATTERN),
    actor: str | None = Query(None, max_length=200, description="e.g. integration:3f2a9c1b7d4e"),
    since: datetime | None = Query(None, description="records at or after this time"),
    cursor: Cursor = None,
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> Response:
    if since is not None and since.tzinfo is None:
        raise ValidationProblem("since", "timezone", "since needs a time zone offset, e.g. Z")
    scope = f"audit:{c.who.party}:{shop_id or '*'}:{actor or '*'}:{since or '*'}"
    secret = c.app.settings.secret_key
    before = cursors.decode_entry(cursor, scope, secret)
    page = read(
        c,
        audit_trail.list_records,
        c.who,
        c.now,
        shop_id=shop_id,
        actor=actor,
        since=since,
        cursor=before,
        limit=limit,
    )
    return answer(
        AuditPageOut(
            items=[AuditRecordOut.of(r) for r in page.items],
            next_cursor=cursors.encode(page.next_cursor, scope, secret),
        )
    )


@router.get(
    "/audit/verify",
    summary="Check the audit log's hash chain and its daily anchors (AUD-1)",
    response_model=AuditVerifyOut,
)
def verify_audit(c: Call = Depends(get_call)) -> Response:
    anchors = FileAnchorStore(c.app.settings.data_dir).all()
    report = read(c, audit_trail.verify_chain, c.who, c.now, anchors=anchors)
    return answer(AuditVerifyOut.of(report))
