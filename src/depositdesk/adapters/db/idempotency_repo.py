"""Idempotency keys (DEP-3): the first result of a money-moving call, kept to replay.

The result is stored as JSON made by pydantic from the service's own result
dataclass, and read back as that dataclass, so a replay is the first answer
exactly, typed, whatever has happened to the shop since.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import Connection, bindparam, insert, select

from depositdesk.adapters.db.prepared import OnceAhead, Prepared, write_behind
from depositdesk.adapters.db.tables import idempotency_keys
from depositdesk.adapters.db.types import naive_utc
from depositdesk.services.ports.repositories import Replay

T = TypeVar("T")


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    """A TypeAdapter per result type, built once (building one costs milliseconds)."""
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    return adapter


_GET = Prepared(
    select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
        idempotency_keys.c.scope == bindparam("scope"), idempotency_keys.c.key == bindparam("key")
    )
)
_PUT = insert(idempotency_keys)  # built once; its compiled form is cached by SQLAlchemy
# PostgreSQL: the same insert, written behind (adapters/db/prepared.py): it goes with
# the commit's round trip. Nothing in the transaction reads it after `put`; a key
# taken meanwhile by a concurrent request fails that round trip before its COMMIT.
_PUT_PG = (
    "INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)


class IdempotencyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._ahead = OnceAhead(conn, _GET)  # by (scope, key)

    def read_ahead(self, scope: str, key: str) -> None:
        """Have (scope, key) read with the next statement sent (PostgreSQL): a money
        move's, the lock on its shop, so it is read under that lock (DEP-3: a
        concurrent retry of the key committed before the lock was granted is seen)."""
        self._ahead.queue((scope, key), {"scope": scope, "key": key})

    def get(self, scope: str, key: str, kind: type[T]) -> Replay[T] | None:
        found = self._ahead.take((scope, key))
        if found is None:
            found = _GET.rows(self.conn, scope=scope, key=key)
        if not found:
            return None
        request_hash, response = found[0]
        result: T = _adapter(kind).validate_json(response)
        return Replay(request_hash, result)

    def put(
        self, scope: str, key: str, request_hash: str, result: object, created_at: datetime
    ) -> None:
        response = _adapter(type(result)).dump_json(result).decode()
        if self.postgres:
            row = (scope, key, request_hash, 201, response, naive_utc(created_at))
            if not write_behind(self.conn, _PUT_PG, row):
                raw: Any = self.conn.connection.driver_connection
                raw.execute(_PUT_PG, row)
            return
        self.conn.execute(
            _PUT,
            {
                "scope": scope,
                "key": key,
                "request_hash": request_hash,
                "status_code": 201,
                "response": response,
                "created_at": created_at,
            },
        )
