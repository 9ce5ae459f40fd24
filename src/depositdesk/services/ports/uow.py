"""What the services need from the outside world, as Protocols.

The SQL unit of work (adapters/db/uow.py) is the production implementation;
tests use it against SQLite and PostgreSQL rather than fakes, because the
projection's correctness lives in its queries.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from depositdesk.domain.clock import Clock


class UnitOfWork(Protocol):
    policies: Any
    sellers: Any
    shops: Any
    tokens: Any
    idempotency: Any
    notices: Any
    ledger: Any
    projection: Any
    sandbox: Any

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


UowFactory = Callable[[], UnitOfWork]


class Context(Protocol):
    """What every use case receives: a way to open a unit of work, and the clock."""

    clock: Clock

    def uow(self) -> UnitOfWork: ...
