"""Running a use case: one unit of work, committed once (architecture.md).

Every use case is a function `(uow, who, now, ids…, *, inputs) -> Result`;
`run` and `read` are typed so that a wrong argument is a type error, not a
surprise at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from depositdesk.domain.errors import IdempotencyKeyTaken
from depositdesk.services import audit
from depositdesk.services.ports.uow import Context, UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")


def run(
    ctx: Context, fn: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Call fn(uow, *args, **kwargs) inside a transaction and commit when it returns,
    with its audit record (AUD-1: services/audit.py) in the same transaction.

    A commit that lost its Idempotency-Key to a concurrent request kept nothing; the
    use case runs once more, in a new transaction, and finds the key's first answer
    (DEP-3: it replays it, or refuses the key for another request)."""
    for attempt in range(2):
        try:
            return _once(ctx, fn, *args, **kwargs)
        except IdempotencyKeyTaken:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _once(
    ctx: Context, fn: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    with ctx.uow() as uow:
        ahead = getattr(fn, "reads_ahead", None)  # services/money_moves.reads_key_ahead
        if ahead is not None:
            ahead(uow, *args, **kwargs)
        call = audit.begin(uow, fn, args, kwargs)
        try:
            result = fn(uow, *args, **kwargs)
        except BaseException:
            audit.abandon(call)
            raise
        audit.finish(uow, call, result)
        uow.commit()
        return result


def read(
    ctx: Context, fn: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Call fn(uow, *args, **kwargs) in a read-only transaction and roll back: for
    answers that change nothing. It never waits for a writer (an ingestion chunk)."""
    with ctx.uow(read_only=True) as uow:
        return fn(uow, *args, **kwargs)
