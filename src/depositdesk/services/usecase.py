"""Running a use case: one unit of work, committed once (architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from depositdesk.services.ports.uow import Context

T = TypeVar("T")


def run(ctx: Context, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call fn(uow, *args) inside a transaction and commit when it returns."""
    with ctx.uow() as uow:
        result = fn(uow, *args, **kwargs)
        uow.commit()
        return result


def read(ctx: Context, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call fn(uow, *args) and roll back: for answers that change nothing."""
    with ctx.uow() as uow:
        return fn(uow, *args, **kwargs)
