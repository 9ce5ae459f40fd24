"""Idempotency keys (DEP-3): the first result of a money-moving call, kept to replay.

The result is stored as JSON made by pydantic from the service's own result
dataclass, and read back as that dataclass, so a replay is the first answer
exactly, typed, whatever has happened to the shop since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Connection, insert, select

from depositdesk.adapters.db.tables import idempotency_keys
from depositdesk.services.ports.repositories import Replay

T = TypeVar("T")


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    """A TypeAdapter per result type, built once (building one costs milliseconds)."""
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    return adapter


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, scope: str, key: str, kind: type[T]) -> Replay[T] | None:
        k = idempotency_keys.c
        row = self.conn.execute(
            select(k.request_hash, k.response).where(k.scope == scope, k.key == key)
        ).first()
        if row is None:
            return None
        result: T = _adapter(kind).validate_json(row.response)
        return Replay(row.request_hash, result)

    def put(
        self, scope: str, key: str, request_hash: str, result: object, created_at: datetime
    ) -> None:
        self.conn.execute(
            insert(idempotency_keys).values(
                scope=scope,
                key=key,
                request_hash=request_hash,
                status_code=201,
                response=_adapter(type(result)).dump_json(result).decode(),
                created_at=created_at,
            )
        )
