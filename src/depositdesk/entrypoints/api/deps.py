"""Request dependencies: the application, the clock's now, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from depositdesk.adapters.db.uow import SqlUnitOfWork
from depositdesk.bootstrap import App
from depositdesk.domain.clock import Clock
from depositdesk.domain.events import EVENT_ID
from depositdesk.entrypoints.api.schemas.requests import MARKETPLACE_ID_PATTERN
from depositdesk.services.access import Principal
from depositdesk.services.tokens import authenticate
from depositdesk.services.usecase import read

bearer = HTTPBearer(auto_error=False, description="a token from `depositdesk token create`")


# Methods whose routes only read: their one transaction is a reader's, which never
# waits for a writer (an ingestion chunk) on SQLite and is READ ONLY on PostgreSQL.
READ_METHODS = frozenset({"GET", "HEAD"})


def app_of(request: Request) -> App:
    app: App = request.app.state.depositdesk
    return app


async def get_app(request: Request) -> App:  # async: no thread for an attribute read
    return app_of(request)


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise HTTPException(
            401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
        )
    return credentials.credentials


def _refused() -> HTTPException:
    return HTTPException(
        401,
        "the token is unknown, revoked, or a session that ended: sign in again",
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_now(app: App = Depends(get_app)) -> datetime:
    now: datetime = app.now_refreshed()
    return now


def get_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    app: App = Depends(get_app),
) -> Principal:
    """The caller, looked up in a read transaction of its own (routes that run their
    own transactions: events, uploads, the sandbox clock)."""
    principal = read(app, authenticate, _token(credentials), app.now_refreshed())
    if principal is None:
        raise _refused()
    request.state.who = principal  # a refusal later is audited with its caller
    return principal


async def page_limit(
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
UnlinkId = Annotated[str, Path(pattern="^unl_[0-9a-f]{20}$", description="the unlink request's id")]
SellerId = Annotated[str, Path(pattern=MARKETPLACE_ID_PATTERN, description="the seller's id")]
Cursor = Annotated[
    str | None,
    Query(max_length=300, description="next_cursor of the previous page, as it was given"),
]


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request: the application, the clock's now, the caller, and
    the request's unit of work. `run(c, fn, c.who, c.now, …)` and `read(c, …)` join
    that one transaction (the token, the clock and the use case in one); without
    one (`get_caller`), each opens its own."""

    app: App
    now: datetime
    who: Principal
    unit: SqlUnitOfWork | None = None

    @property
    def clock(self) -> Clock:
        return self.app.clock

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if self.unit is not None:
            return self.unit
        return self.app.uow(read_only=read_only)


async def _connection_turn(request: Request) -> AsyncIterator[None]:
    """Wait (without a thread) until fewer than db_pool_size requests of this process
    hold a connection. A request holds its connection across the threads FastAPI runs
    its parts in; were threads to wait for connections while the requests holding them
    wait for threads, the process would stall."""
    async with request.app.state.connection_turns:
        yield


def get_call(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    app: App = Depends(get_app),
    _turn: None = Depends(_connection_turn),
) -> Iterator[Call]:
    """One transaction for the whole request: a reader's for GET and HEAD, else one
    that may write (BEGIN IMMEDIATE on SQLite). The token is looked up in it, with no
    cache, so a revoked token is refused from the next request on."""
    token = _token(credentials)
    with app.uow(read_only=request.method in READ_METHODS) as uow:
        now = app.now_in(uow)
        who = authenticate(uow, token, now)
        if who is None:
            raise _refused()
        request.state.who = who  # a refusal later is audited with its caller
        yield Call(app, now, who, uow)


def get_caller(
    app: App = Depends(get_app),
    who: Principal = Depends(get_principal),
    now: datetime = Depends(get_now),
) -> Call:
    """The caller without a request transaction, for routes whose use case must run
    its own: an upload streams its body first (a writer's lock must not wait on the
    client), ingestion commits chunk by chunk."""
    return Call(app, now, who)
