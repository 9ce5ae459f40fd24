"""Request dependencies: the application, the clock's now, the caller."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request, params
from fastapi.routing import APIRoute
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


class Call:
    """One authenticated request: the application, the clock's now, the caller, and
    the request's unit of work. `run(c, fn, c.who, c.now, …)` and `read(c, …)` join
    that one transaction (the token, the clock and the use case in one); without
    one (`get_caller`), each opens its own.

    A request's Call (`get_call`) is made without touching the database and opened by
    its route (`CallRoute`) in the thread that runs the endpoint: the transaction,
    the token's lookup, the use case and the answer's encoding take one trip to the
    thread pool, not three (issue 9: each trip is two thread switches, about 0.14 ms
    on an idle 2-core machine and far more under load)."""

    __slots__ = ("_now", "_pending", "_who", "app", "unit")

    def __init__(
        self,
        app: App,
        now: datetime | None = None,
        who: Principal | None = None,
        unit: SqlUnitOfWork | None = None,
        *,
        pending: _Pending | None = None,
    ) -> None:
        self.app = app
        self._now = now
        self._who = who
        self.unit = unit
        self._pending = pending

    @property
    def now(self) -> datetime:
        if self._now is None:
            raise RuntimeError("the request's transaction is not open yet (see CallRoute)")
        return self._now

    @property
    def who(self) -> Principal:
        if self._who is None:
            raise RuntimeError("the request's transaction is not open yet (see CallRoute)")
        return self._who

    @property
    def clock(self) -> Clock:
        return self.app.clock

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if self.unit is not None:
            return self.unit
        return self.app.uow(read_only=read_only)

    @contextmanager
    def opened(self) -> Iterator[None]:
        """The request's one transaction, around the endpoint: a reader's for GET and
        HEAD, else one that may write (BEGIN IMMEDIATE on SQLite). The token is looked
        up in it, with no cache, so a revoked token is refused from the next request
        on. An error from the endpoint rolls everything back."""
        pending = self._pending
        if pending is None:  # opened already, or a Call of its own transactions
            yield
            return
        self._pending = None
        with self.app.uow(read_only=pending.read_only) as uow:
            uow.policies.read_ahead()  # with the token's lookup: nearly every route asks
            now = self.app.now_in(uow)
            who = authenticate(uow, pending.token, now)
            if who is None:
                raise _refused()
            pending.request.state.who = who  # a refusal later is audited with its caller
            self._now, self._who, self.unit = now, who, uow
            try:
                yield
            finally:
                self.unit = None


@dataclass(frozen=True, slots=True)
class _Pending:
    token: str
    read_only: bool
    request: Request


async def get_call(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    app: App = Depends(get_app),
) -> AsyncIterator[Call]:
    """The request's Call, opened by its route in the endpoint's thread (CallRoute).
    A request without a token is refused here; one with a token the database does not
    know, when the Call opens. Meanwhile the request holds one of the process's turns
    (waited for without a thread; reads and writes have turns of their own, api_readers
    and the rest of db_pool_size): were threads to wait for connections while the
    requests holding them wait for threads, the process would stall; and reads are
    Python work under one GIL, which more of at once only share more thinly."""
    token = _token(credentials)
    read_only = request.method in READ_METHODS
    state = request.app.state
    async with state.read_turns if read_only else state.write_turns:
        yield Call(app, pending=_Pending(token, read_only, request))


def open_call(call: Call = Depends(get_call)) -> Iterator[Call]:
    """The request's Call opened by a dependency, for dependencies that need the
    caller before the endpoint runs (a check before a body is read). It costs the two
    thread trips CallRoute saves."""
    with call.opened():
        yield call


def get_caller(
    app: App = Depends(get_app),
    who: Principal = Depends(get_principal),
    now: datetime = Depends(get_now),
) -> Call:
    """The caller without a request transaction, for routes whose use case must run
    its own: an upload streams its body first (a writer's lock must not wait on the
    client), ingestion commits chunk by chunk."""
    return Call(app, now, who)


def _takes_call(param: inspect.Parameter) -> bool:
    marks = [param.default, *getattr(param.annotation, "__metadata__", ())]
    return any(isinstance(m, params.Depends) and m.dependency is get_call for m in marks)


def _opening(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint that takes the request's Call, run inside the Call's
    transaction: opened, used and closed in the endpoint's own thread."""
    names = [n for n, p in inspect.signature(endpoint).parameters.items() if _takes_call(p)]
    if not names:
        return endpoint
    if inspect.iscoroutinefunction(endpoint):
        # Its Call would open on the event loop, which must not wait for a database.
        raise TypeError(f"{endpoint.__name__}: an async endpoint takes open_call, not get_call")
    name = names[0]

    @functools.wraps(endpoint)
    def in_its_transaction(*args: Any, **kwargs: Any) -> Any:
        call: Call = kwargs[name]
        with call.opened():
            return endpoint(*args, **kwargs)

    return in_its_transaction


class CallRoute(APIRoute):
    """A route whose endpoint runs in the request's one transaction (Call.opened)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _opening(endpoint), **kwargs)
