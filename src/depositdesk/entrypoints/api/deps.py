"""Request dependencies: the application, the clock's now, the caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from depositdesk.bootstrap import App
from depositdesk.domain.errors import ValidationProblem
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


def page_limit(limit: int = 50) -> int:
    if not 1 <= limit <= 500:
        raise ValidationProblem("limit", "range", "limit must be between 1 and 500")
    return limit


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
