"""Request dependencies: the application, the clock's now, the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from depositdesk.bootstrap import App
from depositdesk.domain.events import EVENT_ID
from depositdesk.entrypoints.api.schemas.requests import MARKETPLACE_ID_PATTERN
from depositdesk.services.access import Principal
from depositdesk.services.tokens import authenticate
from depositdesk.services.usecase import read

bearer = HTTPBearer(auto_error=False, description="a token from `depositdesk token create`")


def get_app(request: Request) -> App:
    app: App = request.app.state.depositdesk
    return app


def get_now(app: App = Depends(get_app)) -> datetime:
    now: datetime = app.now_refreshed()
    return now


def get_principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer), app: App = Depends(get_app)
) -> Principal:
    if credentials is None:
        raise HTTPException(
            401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = read(app, authenticate, credentials.credentials)
    if principal is None:
        raise HTTPException(
            401, "the token is unknown or revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


def page_limit(
    limit: int = Query(50, ge=1, le=500, description="items per page (1-500)"),
) -> int:
    return limit


ShopId = Annotated[
    str, Path(pattern=MARKETPLACE_ID_PATTERN, description="the shop's id", examples=["shop1"])
]
# A violation's id as the marketplace's events carry it (domain/events.EVENT_ID),
# matched in full: 1-128 printable ASCII characters, `/` included (percent-encoded
# or not, it stays one path parameter: the routes declare it `{violation_id:path}`).
VIOLATION_ID_PATTERN = f"^{EVENT_ID.pattern}$"
ViolationId = Annotated[
    str,
    Path(
        pattern=VIOLATION_ID_PATTERN,
        description="the violation's id, as in its violation.recorded event",
        examples=["V-1042"],
    ),
]
RefundId = Annotated[
    str,
    Path(
        pattern="^ref_[0-9a-f]{20}$",
        description="the refund's id",
        examples=["ref_188a3c2f9d4e5b6a7c8d"],
    ),
]
PayoutId = Annotated[str, Path(pattern="^po_[0-9a-f]{20}$", description="the payout's id")]
SellerId = Annotated[str, Path(pattern=MARKETPLACE_ID_PATTERN, description="the seller's id")]
Cursor = Annotated[
    str | None,
    Query(max_length=300, description="next_cursor of the previous page, as it was given"),
]


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request: the application, the clock's now, the caller."""

    app: App
    now: datetime
    who: Principal


def get_call(
    app: App = Depends(get_app),
    now: datetime = Depends(get_now),
    who: Principal = Depends(get_principal),
) -> Call:
    return Call(app, now, who)
